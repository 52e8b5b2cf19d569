"""Renderers for what the history answers: version timelines, the life of an indication and
search hits. Plain text that reads well in a terminal and pastes into an email."""

from __future__ import annotations

from collections.abc import Sequence

from lcdtrack.report.common import clean as sanitize
from lcdtrack.snapshots.queries import IndicationEvent, SearchHit, VersionEntry

_SEVERITIES = ("high", "medium", "low")


def render_version_timeline(document_id: str, entries: Sequence[VersionEntry]) -> str:
    lines = [f"{document_id}: {len(entries)} stored version(s), oldest first", ""]
    lines.append(f"{'snapshot':>8}  {'version':<14} {'effective':<10}  {'changes':<22} source")
    for entry in entries:
        snapshot, dates = entry.snapshot, entry.snapshot.record.dates
        effective = dates.revision_effective or dates.original_effective or "-"
        total = sum(entry.counts.values())
        detail = ", ".join(f"{entry.counts[s]} {s}" for s in _SEVERITIES if entry.counts.get(s))
        changes = (
            "-"
            if total == 0 and entry is entries[0]
            else f"{total}" + (f" ({detail})" if detail else "")
        )
        lines.append(
            f"{snapshot.id:>8}  {snapshot.label:<14} {effective:<10}  {changes:<22} "
            f"{snapshot.extractor}"
        )
        for source, text in entry.statements:
            lines.append(f"{'':>10}CMS ({sanitize(source)}): {_clip(sanitize(text), 160)}")
        for text in entry.disagreements:
            lines.append(f"{'':>10}Check: {_clip(sanitize(text), 160)}")
    return "\n".join(lines) + "\n"


def render_indication_timeline(
    document_id: str, query: str, events: Sequence[IndicationEvent]
) -> str:
    lines = [f"{document_id}: indication matching {sanitize(query)!r}", ""]
    for event in events:
        snapshot, dates = event.snapshot, event.snapshot.record.dates
        effective = (
            dates.revision_effective
            or dates.original_effective
            or ("proposed" if snapshot.record.kind == "proposed" else "no effective date")
        )
        detail = f": {_clip(sanitize(event.detail), 140)}" if event.detail else ""
        lines.append(f"  {snapshot.label:<14} ({effective})  {event.event}{detail}")
    return "\n".join(lines) + "\n"


def render_search(query: str, hits: Sequence[SearchHit]) -> str:
    if not hits:
        return f"No matches for {sanitize(query)!r}.\n"
    lines = [f"{len(hits)} match(es) for {sanitize(query)!r}", ""]
    for hit in hits:
        label = f"{hit.document_id}@{hit.version}" if hit.version is not None else hit.document_id
        lines.append(f"  {label:<14} {sanitize(hit.where)}")
        lines.append(f"      {_clip(sanitize(hit.snippet), 200)}")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
