"""`AlertStore`: the alert state kept beside the snapshots, in the same SQLite file.

    snapshot store → diff → report → alerts (watch list, `check`)  ⇄  this store

It holds watches, per notifier and document the snapshot that notifier was last told about,
the delivery outbox and the consecutive-failure counters. Every write that must stay consistent
with another (an alert's outbox row and the advance of what its notifier has been told) happens
in one `BEGIN IMMEDIATE` transaction. It shares the `SnapshotStore`'s connection; its schema is
the separate "lcdtrack-alerts" migration set. Only notifier *names* are stored, never secrets.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from lcdtrack.errors import StoreError
from lcdtrack.snapshots.alert_migrations import alert_migrations
from lcdtrack.snapshots.schema import schema_sql
from lcdtrack.snapshots.store import SnapshotStore

WATCH_KINDS = ("document", "contractor", "state", "keyword", "code")


@dataclass(frozen=True)
class Watch:
    """What to watch (`kind` one of WATCH_KINDS, `value` an id, a contractor or state id, words
    or a code), the least severe change worth an alert, and which notifiers (none = all)."""

    id: int
    kind: str
    value: str
    min_severity: str = "low"
    notifiers: tuple[str, ...] = ()
    report_kinds: tuple[str, ...] = ("final",)

    @property
    def label(self) -> str:
        return self.value if self.kind == "document" else f"{self.kind} {self.value}"


@dataclass(frozen=True)
class NewDelivery:
    """An alert to record in the outbox before it is sent."""

    notifier: str
    item_key: str
    message_key: str
    kind: str
    document_id: str | None = None
    from_snapshot: int | None = None
    to_snapshot: int | None = None
    min_severity: str = "low"
    text: str = ""


@dataclass(frozen=True)
class Delivery(NewDelivery):
    """An outbox row: recorded at `created_at`, tried `attempts` times, delivered or not."""

    id: int = 0
    created_at: str = ""
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class FailureState:
    """How many checks in a row could not check `subject`, and whether that was alerted."""

    subject: str
    consecutive: int = 0
    first_failed_at: str | None = None
    last_error: str = ""
    alerted: bool = False


class AlertStore:
    """Alert state on the snapshot store's database (migrations applied on opening)."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self.db: Database = store.db
        self.clock = store.clock
        try:
            store.apply_migrations(alert_migrations)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{store.path}: cannot prepare the alert tables ({error})") from None

    def atomic(self) -> AbstractContextManager[None]:
        """One `BEGIN IMMEDIATE` transaction of the store; nested uses join the outermost."""
        return self.store.transaction("save alert state")

    # -- watches --------------------------------------------------------------------------

    def add_watch(
        self,
        kind: str,
        value: str,
        min_severity: str = "low",
        notifiers: Iterable[str] = (),
        report_kinds: Iterable[str] = ("final",),
    ) -> Watch:
        existing = self._rows("select * from watches where kind = ? and value = ?", [kind, value])
        if existing:
            raise StoreError(
                f"{_label(kind, value)} is already watched (watch {existing[0]['id']})"
            )
        with self.atomic():
            table = self.db.table("watches")
            table.insert(
                {
                    "kind": kind,
                    "value": value,
                    "report_kinds": json.dumps(list(report_kinds)),
                    "min_severity": min_severity,
                    "notifiers": json.dumps(list(notifiers)),
                    "created_at": self.clock(),
                }
            )
            watch_id = table.last_rowid
        assert watch_id is not None
        return self.watch(watch_id)

    def watch(self, watch_id: int) -> Watch:
        rows = self._rows("select * from watches where id = ?", [watch_id])
        if not rows:
            raise StoreError(f"no watch with id {watch_id}")
        return _watch(rows[0])

    def watches(self) -> list[Watch]:
        return [_watch(row) for row in self._rows("select * from watches order by id", [])]

    def remove_watch(self, watch_id: int) -> bool:
        with self.atomic():
            cursor = self.db.execute("delete from watches where id = ?", [watch_id])
        return cursor.rowcount > 0

    # -- what the watches cover, from the stored documents ---------------------------------

    def latest_snapshot_ids(self) -> dict[str, int]:
        """Document id → id of its latest snapshot (the store's own ordering)."""
        rows = self.db.execute("select document_id, id from latest_snapshots").fetchall()
        return {str(document): int(snapshot) for document, snapshot in rows}

    def documents_with_code(self, code: str) -> set[str]:
        """Documents whose latest snapshot lists `code` (from their Billing and Coding articles;
        an article lists its own codes)."""
        rows = self.db.execute(
            "select distinct s.document_id from codes c join latest_snapshots s "
            "on s.id = c.snapshot_id where upper(c.code) = upper(?)",
            [code.strip()],
        ).fetchall()
        return {str(row[0]) for row in rows}

    def documents_matching(self, words: str) -> set[str]:
        """Documents whose latest snapshot has `words` in its title, a section or an indication
        (case-insensitive substring, so a phrase matches as written)."""
        pattern = f"%{words.strip().lower()}%"
        rows = self.db.execute(
            """
            select s.document_id from latest_snapshots s where lower(s.title) like ?
            union select s.document_id from latest_snapshots s join section_text t
              on t.snapshot_id = s.id where lower(t.text) like ? or lower(t.name) like ?
            union select s.document_id from latest_snapshots s join indications i
              on i.snapshot_id = s.id where lower(i.text) like ? or lower(i.name) like ?
            """,
            [pattern] * 5,
        ).fetchall()
        return {str(row[0]) for row in rows}

    # -- what each notifier was told -------------------------------------------------------

    def notified(self) -> dict[tuple[str, str], int]:
        """(notifier, document id) → the snapshot that notifier was last told about."""
        rows = self.db.execute("select notifier, document_id, snapshot_id from notified")
        return {(str(n), str(d)): int(s) for n, d, s in rows.fetchall()}

    def record(
        self,
        deliveries: Iterable[NewDelivery],
        told: Iterable[tuple[str, str, int]] = (),
        failures: Iterable[FailureState] = (),
        recovered: Iterable[str] = (),
    ) -> None:
        """In one transaction: outbox rows (an existing (notifier, item_key) is kept as is), the
        snapshots notifiers are now told about, failure counters set and cleared."""
        now = self.clock()
        with self.atomic():
            for delivery in deliveries:
                self.db.execute(
                    "insert or ignore into deliveries (notifier, item_key, message_key, kind, "
                    "document_id, from_snapshot, to_snapshot, min_severity, text, created_at, "
                    "attempts) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    [delivery.notifier, delivery.item_key, delivery.message_key, delivery.kind,
                     delivery.document_id, delivery.from_snapshot, delivery.to_snapshot,
                     delivery.min_severity, delivery.text, now],
                )  # fmt: skip
            self.db.table("notified").upsert_all(
                (
                    {"notifier": n, "document_id": d, "snapshot_id": s, "updated_at": now}
                    for n, d, s in told
                ),
                pk=("notifier", "document_id"),
            )
            for state in failures:
                self.db.execute(
                    "insert or replace into check_failures (subject, consecutive, "
                    "first_failed_at, last_failed_at, last_error, alerted) "
                    "values (?, ?, ?, ?, ?, ?)",
                    [state.subject, state.consecutive, state.first_failed_at or now, now,
                     state.last_error, int(state.alerted)],
                )  # fmt: skip
            for subject in recovered:
                self.db.execute("delete from check_failures where subject = ?", [subject])

    # -- the outbox -----------------------------------------------------------------------

    def pending(self) -> list[Delivery]:
        """Recorded alerts not yet delivered, oldest first."""
        rows = self._rows("select * from deliveries where delivered_at is null order by id", [])
        return [_delivery(row) for row in rows]

    def mark_delivered(self, delivery_ids: Iterable[int]) -> None:
        now = self.clock()
        with self.atomic():
            for delivery_id in delivery_ids:
                self.db.execute(
                    "update deliveries set delivered_at = ?, attempts = attempts + 1 where id = ?",
                    [now, delivery_id],
                )

    def mark_failed(self, delivery_ids: Iterable[int], error: str) -> None:
        with self.atomic():
            for delivery_id in delivery_ids:
                self.db.execute(
                    "update deliveries set attempts = attempts + 1, last_error = ? where id = ?",
                    [error, delivery_id],
                )

    def delivered(self, notifier: str | None = None) -> list[Delivery]:
        where, params = "delivered_at is not null", []
        if notifier is not None:
            where += " and notifier = ?"
            params.append(notifier)
        rows = self._rows(f"select * from deliveries where {where} order by id", params)
        return [_delivery(row) for row in rows]

    # -- failures -------------------------------------------------------------------------

    def failures(self) -> dict[str, FailureState]:
        rows = self._rows("select * from check_failures", [])
        return {
            row["subject"]: FailureState(
                subject=row["subject"],
                consecutive=row["consecutive"],
                first_failed_at=row["first_failed_at"],
                last_error=row["last_error"] or "",
                alerted=bool(row["alerted"]),
            )
            for row in rows
        }

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))


def _label(kind: str, value: str) -> str:
    return value if kind == "document" else f"{kind} {value}"


def _watch(row: dict[str, Any]) -> Watch:
    return Watch(
        id=row["id"],
        kind=row["kind"],
        value=row["value"],
        min_severity=row["min_severity"] or "low",
        notifiers=tuple(json.loads(row["notifiers"] or "[]")),
        report_kinds=tuple(json.loads(row["report_kinds"] or '["final"]')),
    )


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        id=row["id"],
        notifier=row["notifier"],
        item_key=row["item_key"],
        message_key=row["message_key"],
        kind=row["kind"],
        document_id=row["document_id"],
        from_snapshot=row["from_snapshot"],
        to_snapshot=row["to_snapshot"],
        min_severity=row["min_severity"] or "low",
        text=row["text"] or "",
        created_at=row["created_at"] or "",
        attempts=row["attempts"] or 0,
        last_error=row["last_error"],
    )


def alert_schema_sql() -> str:
    """CREATE statements of the alert tables (for the README), from the real migrations."""
    return schema_sql(alert_migrations)
