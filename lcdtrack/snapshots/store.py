"""`SnapshotStore`: every extracted version kept in SQLite, deduplicated, raw bytes alongside.

Snapshots are append-only and content-addressed: a snapshot is identified by its document,
version and the hash of its canonical record JSON, so saving the same content again creates
nothing. The raw bytes are kept (zlib-compressed, keyed by their own hash) so that a later
extractor can re-read them. Each save is one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from lcdtrack.errors import NotFound, StoreError
from lcdtrack.models import Change, CmsStatement, LcdDocument, RawDocument, Snapshot
from lcdtrack.snapshots.canonical import canonical_json, content_hash, record_hash
from lcdtrack.snapshots.migrations import migrations

BUSY_TIMEOUT_MS = 30_000


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SaveResult:
    snapshot: Snapshot
    created: bool


@dataclass(frozen=True)
class ChangeLog:
    """What changed from `previous` to the snapshot being saved, stored with it atomically."""

    previous: Snapshot
    changes: tuple[Change, ...]
    statements: tuple[CmsStatement, ...] = ()
    disagreements: tuple[str, ...] = ()


class SnapshotStore:
    """The history database. `path` may be ":memory:" for throw-away use; with `create=False`
    a missing file is an error instead of a new empty database."""

    def __init__(
        self, path: str | Path, clock: Callable[[], str] = utc_now, create: bool = True
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self._depth = 0
        if not create and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no such database (run `lcdtrack fetch` first)")
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.db = Database(conn)
            if self.path != ":memory:":
                self._use_wal()
            self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.apply_migrations(migrations)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot open the snapshot database ({error})") from None

    def _use_wal(self) -> None:
        """Switch a new database to WAL. The switch needs the database to itself and SQLite
        answers "database is locked" at once, without its busy timeout, while another process
        is switching it too; so wait and retry, as the busy timeout would."""
        give_up = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > give_up:
                    raise
                time.sleep(0.01)

    def apply_migrations(self, migration_set: Migrations) -> None:
        """Apply a migration set's pending migrations under a write lock taken first (BEGIN
        IMMEDIATE waits out the busy timeout), so that processes opening a new database at once
        apply them once, one after the other, instead of failing with "database is locked" or
        "table already exists". Each migration nests in the transaction as a savepoint."""
        if not migration_set.pending(self.db):
            return
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration_set.apply(self.db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def save(
        self,
        raw: RawDocument,
        record: LcdDocument,
        extractor: str,
        extractor_version: str,
        change_log: ChangeLog | None = None,
        relink: Callable[[Snapshot], tuple[Snapshot, ChangeLog]] | None = None,
    ) -> SaveResult:
        """Store a snapshot unless the same record of the same version is already stored; with
        `change_log`, its changes from the previous snapshot land in the same transaction.

        `relink` is for a version stored out of order: called with the new snapshot, it returns
        the stored successor and that successor's change log from the new snapshot, which
        replaces its old one in the same transaction (a crash cannot leave the successor linked
        to a stale predecessor)."""
        data = record.to_dict()
        rhash = record_hash(data)
        with self.transaction():
            existing = self._find(record.public_id, record.version, rhash)
            now = self.clock()
            self._upsert_document(record, now)
            if existing is not None:
                return SaveResult(existing, created=False)
            raw_hash = self._save_raw(raw, now)
            snapshot_id = self._insert_snapshot(
                raw, record, data, rhash, raw_hash, extractor, extractor_version, now
            )
            self._insert_parts(snapshot_id, record)
            if change_log is not None:
                self._insert_changes(change_log, snapshot_id, record.version, now)
            if relink is not None:
                self._replace_changes(*relink(self.get(snapshot_id)))
        return SaveResult(self.get(snapshot_id), created=True)

    def replace_change_log(self, to_snapshot: Snapshot, change_log: ChangeLog) -> None:
        """Re-link `to_snapshot` to a new predecessor (a version stored out of order), keeping
        the review state of changes that are still there."""
        with self.transaction():
            self._replace_changes(to_snapshot, change_log)

    def _replace_changes(self, to_snapshot: Snapshot, change_log: ChangeLog) -> None:
        reviewed = {
            (row[0], row[1], row[2]): (row[3], row[4])
            for row in self.db.execute(
                "select kind, subject, coalesce(aspect, ''), reviewed_at, reviewed_by "
                "from changes where to_snapshot = ? and reviewed_at is not null",
                [to_snapshot.id],
            ).fetchall()
        }
        self.db.execute("delete from changes where to_snapshot = ?", [to_snapshot.id])
        self.db.execute("delete from change_notes where to_snapshot = ?", [to_snapshot.id])
        self._insert_changes(change_log, to_snapshot.id, to_snapshot.version, self.clock())
        for (kind, subject, aspect), (at, by) in reviewed.items():
            self.db.execute(
                "update changes set reviewed_at = ?, reviewed_by = ? where to_snapshot = ? "
                "and kind = ? and subject = ? and coalesce(aspect, '') = ?",
                [at, by, to_snapshot.id, kind, subject, aspect],
            )

    def _insert_changes(
        self, log: ChangeLog, snapshot_id: int, version: int | None, now: str
    ) -> None:
        link = {
            "document_id": log.previous.document_id,
            "from_snapshot": log.previous.id,
            "to_snapshot": snapshot_id,
        }
        self.db.table("changes").insert_all(
            {
                **link,
                "from_version": log.previous.version,
                "to_version": version,
                "kind": change.kind,
                "subject": change.subject,
                "aspect": change.aspect,
                "context": change.context,
                "severity": change.severity,
                "direction": change.direction,
                "before": change.before,
                "after": change.after,
                "detected_at": now,
            }
            for change in log.changes
        )
        notes = [("cms_statement", s.source, s.text) for s in log.statements]
        notes += [("disagreement", "lcdtrack", text) for text in log.disagreements]
        self.db.table("change_notes").insert_all(
            {**link, "kind": kind, "source": source, "text": text} for kind, source, text in notes
        )

    @contextmanager
    def transaction(self, what: str = "save the snapshot") -> Iterator[None]:
        """One `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so concurrent
        writers queue instead of deadlocking); nested uses join the outermost. A database error
        rolls everything back and becomes a StoreError saying what could not be done."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        conn = self.db.conn
        self._depth = 1
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("COMMIT")
        except BaseException as error:
            conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                raise StoreError(f"{self.path}: could not {what} ({error})") from None
            raise
        finally:
            self._depth = 0

    def _upsert_document(self, record: LcdDocument, now: str) -> None:
        table = self.db.table("documents")
        row = {"id": record.public_id, "lcd_id": record.lcd_id, "kind": record.kind,
               "title": record.title, "last_seen": now}  # fmt: skip
        if self._exists("documents", "id = ?", [record.public_id]):
            table.update(record.public_id, {k: v for k, v in row.items() if v is not None})
        else:
            table.insert({**row, "first_seen": now})

    def _save_raw(self, raw: RawDocument, now: str) -> str:
        digest = content_hash(raw.content)
        if not self._exists("raw_sources", "hash = ?", [digest]):
            self.db.table("raw_sources").insert(
                {
                    "hash": digest,
                    "content": zlib.compress(raw.content, 6),
                    "compression": "zlib",
                    "size": len(raw.content),
                    "media_type": raw.media_type,
                    "first_source": raw.source,
                    "stored_at": now,
                }
            )
        return digest

    def _insert_snapshot(
        self,
        raw: RawDocument,
        record: LcdDocument,
        data: dict[str, Any],
        rhash: str,
        raw_hash: str,
        extractor: str,
        extractor_version: str,
        now: str,
    ) -> int:
        dates = record.dates
        table = self.db.table("snapshots")
        table.insert(
            {
                "document_id": record.public_id,
                "lcd_id": record.lcd_id,
                "version": record.version,
                "title": record.title,
                "record_hash": rhash,
                "raw_hash": raw_hash,
                "extractor": extractor,
                "extractor_version": extractor_version,
                "source": raw.source,
                "fetched_at": raw.fetched_at or now,
                "saved_at": now,
                "original_effective": dates.original_effective,
                "revision_effective": dates.revision_effective,
                "revision_ending": dates.revision_ending,
                "retirement": dates.retirement,
                "last_updated": dates.last_updated,
                "record_zlib": zlib.compress(canonical_json(data).encode("utf-8"), 6),
            }
        )
        assert table.last_rowid is not None
        return table.last_rowid

    def _insert_parts(self, snapshot_id: int, record: LcdDocument) -> None:
        for position, section in enumerate(record.sections):
            digest = content_hash(section.text.encode("utf-8"))
            self.db.execute(
                "insert or ignore into section_texts (hash, text) values (?, ?)",
                [digest, section.text],
            )
            row = {"snapshot_id": snapshot_id, "position": position, "name": section.name}
            self.db.table("sections").insert({**row, "text_hash": digest})
        self.db.table("indications").insert_all(
            {
                "snapshot_id": snapshot_id,
                "position": i,
                "name": ind.name,
                "match_key": ind.match_key,
                "aliases": json.dumps(list(ind.aliases)),
                "stance": ind.stance,
                "criteria": json.dumps(list(ind.criteria), ensure_ascii=False),
                "doses": json.dumps([str(d) for s in ind.dosing for d in s.doses]),
                "text": ind.text,
            }
            for i, ind in enumerate(record.indications)
        )
        self.db.table("codes").insert_all(
            {
                "snapshot_id": snapshot_id,
                "system": group.system,
                "code_group": group.group,
                "coverage": group.coverage,
                "code": code.code,
                "description": code.description,
                "is_range": int(code.is_range),
                "article": group.source,
            }
            for group in record.code_groups
            for code in group.codes
        )

    # -- reading --------------------------------------------------------------------------

    def get(self, snapshot_id: int) -> Snapshot:
        rows = list(self.db.query("select * from snapshots where id = ?", [snapshot_id]))
        if not rows:
            raise NotFound(f"no snapshot with id {snapshot_id}")
        return _snapshot(rows[0])

    def latest(self, document_id: str, version: int | None = None) -> Snapshot:
        """The newest snapshot of a document, or of one version of it."""
        where, params = "document_id = ?", [document_id.upper()]
        if version is not None:
            where += " and version = ?"
            params.append(str(version))
        rows = list(
            self.db.query(
                f"select * from snapshots where {where} "
                "order by coalesce(version, -1) desc, id desc limit 1",
                params,
            )
        )
        if not rows:
            wanted = f"{document_id}@{version}" if version is not None else document_id
            raise NotFound(f"{wanted}: no stored snapshot (fetch it first)")
        return _snapshot(rows[0])

    def history(self, document_id: str) -> list[Snapshot]:
        """Every snapshot of a document, oldest version first."""
        rows = self.db.query(
            "select * from snapshots where document_id = ? order by coalesce(version, -1), id",
            [document_id.upper()],
        )
        snapshots = [_snapshot(row) for row in rows]
        if not snapshots:
            raise NotFound(f"{document_id}: no stored snapshot (fetch it first)")
        return snapshots

    def raw(self, raw_hash: str) -> bytes:
        rows = list(self.db.query("select * from raw_sources where hash = ?", [raw_hash]))
        if not rows:
            raise NotFound(f"no raw source {raw_hash}")
        return zlib.decompress(rows[0]["content"])

    def neighbours(
        self, document_id: str, version: int | None
    ) -> tuple[Snapshot | None, Snapshot | None]:
        """The stored snapshots just before and just after where `version` sorts."""
        key = -1 if version is None else version
        before = list(
            self.db.query(
                "select * from snapshots where document_id = ? and coalesce(version, -1) <= ? "
                "order by coalesce(version, -1) desc, id desc limit 1",
                [document_id.upper(), key],
            )
        )
        after = list(
            self.db.query(
                "select * from snapshots where document_id = ? and coalesce(version, -1) > ? "
                "order by coalesce(version, -1), id limit 1",
                [document_id.upper(), key],
            )
        )
        return (
            _snapshot(before[0]) if before else None,
            _snapshot(after[0]) if after else None,
        )

    def proposed_for(self, final_id: str) -> str | None:
        """The stored proposed LCD whose record names `final_id` as its source LCD."""
        for (document_id,) in self.db.execute(
            "select id from documents where kind = 'proposed' order by id"
        ).fetchall():
            if self.latest(document_id).record.source_lcd_id == final_id.upper():
                return str(document_id)
        return None

    def raw_sources(self) -> list[tuple[str, str]]:
        """(hash, first source) of every stored raw document, oldest first."""
        rows = self.db.execute("select hash, first_source from raw_sources order by rowid")
        return [(str(h), str(s)) for h, s in rows.fetchall()]

    def document_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("select id from documents").fetchall()}

    def report_state(self) -> dict[tuple[str, int], str]:
        """(document id, version) → the report's `updated_on` when the version was last stored."""
        rows = self.db.execute("select document_id, version, updated_on from report_state")
        return {(doc, version): updated for doc, version, updated in rows.fetchall()}

    def record_report_state(self, document_id: str, version: int, updated_on: str) -> None:
        with self.transaction():
            self.db.table("report_state").upsert(
                {
                    "document_id": document_id,
                    "version": version,
                    "updated_on": updated_on,
                    "checked_at": self.clock(),
                },
                pk=("document_id", "version"),
            )

    def counts(self) -> dict[str, int]:
        return {
            name: self.db.table(name).count for name in ("documents", "snapshots", "raw_sources")
        }

    def _find(self, document_id: str, version: int | None, rhash: str) -> Snapshot | None:
        rows = list(
            self.db.query(
                "select * from snapshots where document_id = ? and version is ? "
                "and record_hash = ?",
                [document_id, version, rhash],
            )
        )
        return _snapshot(rows[0]) if rows else None

    def _exists(self, table: str, where: str, params: list[Any]) -> bool:
        sql = f"select 1 from [{table}] where {where} limit 1"
        return bool(list(self.db.query(sql, params)))


def _snapshot(row: dict[str, Any]) -> Snapshot:
    return Snapshot(
        id=row["id"],
        document_id=row["document_id"],
        version=row["version"],
        record=LcdDocument.from_dict(json.loads(zlib.decompress(row["record_zlib"]))),
        record_hash=row["record_hash"],
        raw_hash=row["raw_hash"],
        extractor=row["extractor"],
        extractor_version=row["extractor_version"],
        source=row["source"],
        fetched_at=row["fetched_at"],
    )
