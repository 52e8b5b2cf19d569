"""Questions people ask of the history, answered from the store: version timelines, the life
of one indication, the version in force on a date, full-text search and the review backlog.

Everything here reads (the review state aside); SQL is parameterised throughout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lcdtrack.errors import NotFound
from lcdtrack.models import Snapshot
from lcdtrack.snapshots.datasette import DATABASE, METADATA
from lcdtrack.snapshots.store import SnapshotStore


@dataclass(frozen=True)
class VersionEntry:
    snapshot: Snapshot
    counts: dict[str, int]
    statements: tuple[tuple[str, str], ...]
    disagreements: tuple[str, ...]


@dataclass(frozen=True)
class IndicationEvent:
    snapshot: Snapshot
    event: str
    detail: str = ""


@dataclass(frozen=True)
class AsOf:
    snapshot: Snapshot | None
    explanation: str


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    version: int | None
    snapshot_id: int
    where: str
    snippet: str


def version_timeline(store: SnapshotStore, document_id: str) -> list[VersionEntry]:
    """Each stored snapshot with its change counts by severity and what CMS said about it."""
    entries = []
    for snapshot in store.history(document_id):
        counts = dict(
            store.db.execute(
                "select coalesce(severity, 'low'), count(*) from changes where to_snapshot = ? "
                "group by 1",
                [snapshot.id],
            ).fetchall()
        )
        notes = store.db.execute(
            "select kind, source, text from change_notes where to_snapshot = ? order by id",
            [snapshot.id],
        ).fetchall()
        statements = tuple(
            (source, text) for kind, source, text in notes if kind == "cms_statement"
        )
        if not statements and snapshot.record.revision_history:
            row = snapshot.record.revision_history[0]
            statements = ((f"Revision history {row.number}", row.explanation),)
        disagreements = tuple(text for kind, _, text in notes if kind == "disagreement")
        entries.append(VersionEntry(snapshot, counts, statements, disagreements))
    return entries


def indication_timeline(
    store: SnapshotStore, document_id: str, query: str
) -> list[IndicationEvent]:
    """When an indication (by name, abbreviation or words of its name) appeared, changed, left.

    A final LCD's timeline starts from the proposed LCD it came from, when that is stored, so
    an indication added between proposal and final shows as added in the final.
    """
    snapshots = store.history(document_id)
    events: list[IndicationEvent] = []
    present_before: set[str] = set()
    proposal = _source_proposal(store, snapshots[0])
    if proposal is not None:
        present_before = _matching(proposal, query)
        state = "present" if present_before else "absent"
        events.append(IndicationEvent(proposal, f"{state} in the proposed LCD"))
    for index, snapshot in enumerate(snapshots):
        names = _matching(snapshot, query)
        if names and not present_before:
            first = index == 0 and proposal is None
            event = "present in the first stored version" if first else "added"
            events.append(IndicationEvent(snapshot, event, ", ".join(sorted(names))))
        elif present_before and not names:
            events.append(IndicationEvent(snapshot, "removed", ", ".join(sorted(present_before))))
        for kind, subject, aspect, before, after in store.db.execute(
            "select kind, subject, aspect, before, after from changes where to_snapshot = ? "
            "and kind in ('indication_changed', 'indication_renamed') order by id",
            [snapshot.id],
        ).fetchall():
            if subject in names:
                label = aspect or kind.removeprefix("indication_")
                events.append(IndicationEvent(snapshot, label, _short(before, after)))
        present_before = names
    if not any(e.event != "absent in the proposed LCD" for e in events):
        raise NotFound(f"{document_id}: no stored version has an indication matching {query!r}")
    return events


def _matching(snapshot: Snapshot, query: str) -> set[str]:
    return {i.name for i in snapshot.record.indications if _matches(query, i.name, i.aliases)}


def _source_proposal(store: SnapshotStore, first: Snapshot) -> Snapshot | None:
    """The stored proposed LCD a final LCD came from (by its link, or the proposal's)."""
    if first.record.kind != "final":
        return None
    proposed_id = first.record.source_proposed_id or store.proposed_for(first.document_id)
    if not proposed_id:
        return None
    try:
        return store.latest(proposed_id)
    except NotFound:
        return None


def in_force(store: SnapshotStore, document_id: str, date: str) -> AsOf:
    """The stored version in force for services on `date` (YYYY-MM-DD), or why none can be said."""
    snapshots = [s for s in store.history(document_id) if s.record.kind == "final"]
    if not snapshots:
        return AsOf(None, f"{document_id} is a proposed LCD: a proposal is never in force")
    candidates = []
    for snapshot in snapshots:
        dates = snapshot.record.dates
        start = dates.revision_effective or dates.original_effective
        end = dates.revision_ending or dates.retirement
        if start and start <= date and (end is None or date <= end):
            candidates.append(snapshot)
    if candidates:
        best = max(candidates, key=lambda s: (s.version or -1, s.id))
        return AsOf(best, f"{best.label} was in force on {date} ({_window(best)})")
    known = ", ".join(f"{s.label}: {_window(s)}" for s in snapshots)
    return AsOf(None, f"no stored version of {document_id} covers {date}; stored: {known}")


def search(
    store: SnapshotStore, query: str, all_versions: bool = False, limit: int = 50
) -> list[SearchHit]:
    """Full-text search of sections and indications (latest snapshot per document by default)."""
    match = _fts_query(query)
    latest = "" if all_versions else "and s.id in (select id from latest_snapshots)"
    rows = store.db.execute(
        f"""
        select s.document_id, s.version, s.id, 'section: ' || x.name,
               snippet(section_texts_fts, 0, '[', ']', '…', 12)
        from section_texts_fts join section_texts t on t.rowid = section_texts_fts.rowid
        join sections x on x.text_hash = t.hash
        join snapshots s on s.id = x.snapshot_id
        where section_texts_fts match ? {latest}
        union all
        select s.document_id, s.version, s.id, 'indication: ' || i.name,
               snippet(indications_fts, 1, '[', ']', '…', 12)
        from indications_fts join indications i on i.rowid = indications_fts.rowid
        join snapshots s on s.id = i.snapshot_id
        where indications_fts match ? {latest}
        limit ?
        """,
        [match, match, limit],
    ).fetchall()
    return [SearchHit(*row) for row in rows]


def unreviewed(store: SnapshotStore, document_id: str | None = None) -> list[dict[str, Any]]:
    """Changes nobody has acknowledged, oldest first."""
    return _changes(store, "reviewed_at is null", document_id)


def all_changes(store: SnapshotStore, document_id: str | None = None) -> list[dict[str, Any]]:
    return _changes(store, "1 = 1", document_id)


def _changes(store: SnapshotStore, where: str, document_id: str | None) -> list[dict[str, Any]]:
    params: list[str] = []
    if document_id:
        where += " and document_id = ?"
        params.append(document_id.upper())
    cursor = store.db.execute(
        f"select id, document_id, from_version, to_version, kind, subject, aspect, severity, "
        f"before, after from changes where {where} order by id",
        params,
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def acknowledge(store: SnapshotStore, change_ids: list[int], by: str) -> int:
    """Mark changes reviewed; returns how many were newly marked."""
    marked = 0
    for change_id in change_ids:
        cursor = store.db.execute(
            "update changes set reviewed_at = ?, reviewed_by = ? "
            "where id = ? and reviewed_at is null",
            [store.clock(), by, change_id],
        )
        marked += cursor.rowcount
    return marked


def _matches(query: str, name: str, aliases: tuple[str, ...]) -> bool:
    wanted = query.strip().lower()
    if wanted in (a.lower() for a in aliases):
        return True
    words = re.findall(r"[a-z0-9]+", wanted)
    haystack = name.lower()
    return bool(words) and all(word in haystack for word in words)


def _short(before: str | None, after: str | None) -> str:
    def clip(value: str | None) -> str:
        text = " ".join((value or "(none)").split())
        return text if len(text) <= 80 else text[:77] + "…"

    return f"{clip(before)} → {clip(after)}"


def _window(snapshot: Snapshot) -> str:
    dates = snapshot.record.dates
    start = dates.revision_effective or dates.original_effective or "?"
    end = dates.revision_ending or dates.retirement
    return f"effective {start} – {end or 'no end date'}"


def _fts_query(query: str) -> str:
    """A user's words as an FTS5 phrase/AND query with no operator injection."""
    terms = re.findall(r"\"[^\"]+\"|\S+", query)
    quoted = ['"' + term.strip('"').replace('"', "") + '"' for term in terms]
    return " ".join(q for q in quoted if q != '""') or '""'


def datasette_metadata(database: str = DATABASE) -> dict[str, Any]:
    """Titles, descriptions, column notes and canned queries for Datasette, for a database
    file named `database` (Datasette keys metadata by the file's stem)."""
    metadata: dict[str, Any] = json.loads(json.dumps(METADATA))
    metadata["databases"] = {database: metadata["databases"][DATABASE]}
    return metadata
