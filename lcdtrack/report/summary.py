"""The header every format starts with: both sides named, and the summary line.

`summary_counts` is also the `summary` object of the JSON output; `summary_line` reads it out,
e.g. "1 indication added, 0 removed, 0 changed; 2 codes removed; 3 sections reworded; 1
high-severity."
"""

from __future__ import annotations

from collections.abc import Iterable

from lcdtrack.models import Change, Comparison
from lcdtrack.report.common import one_line, plural


def heading(comparison: Comparison) -> str:
    """ "DL39314@19 → L39314@7  Title", with the older title too when it differs."""
    old, new = comparison.old, comparison.new
    title = one_line(new.title)
    if one_line(old.title) != title:
        title += f" (was: {one_line(old.title)})"
    return f"{one_line(old.label)} → {one_line(new.label)}  {title}"


def summary_counts(changes: Iterable[Change]) -> dict[str, int]:
    changes = list(changes)

    def count(kind: str) -> int:
        return sum(c.kind == kind for c in changes)

    return {
        "indications_added": count("indication_added"),
        "indications_removed": count("indication_removed"),
        "indications_changed": len({c.subject for c in changes if c.kind == "indication_changed"}),
        "indications_renamed": count("indication_renamed"),
        "codes_added": count("code_added"),
        "codes_removed": count("code_removed"),
        "codes_moved": count("code_moved"),
        "codes_changed": count("code_changed"),
        "code_groups_changed": count("code_group_changed"),
        "sections_changed": count("section_changed"),
        "sections_added": count("section_added"),
        "sections_removed": count("section_removed"),
        "metadata_changed": count("metadata_changed"),
        "high_severity": sum(c.severity == "high" for c in changes),
    }


def summary_line(changes: Iterable[Change]) -> str:
    """E.g. "1 indication added, 0 removed, 0 changed; 2 codes removed; 3 sections reworded."""
    changes = list(changes)
    if not changes:
        return "No changes."
    n = summary_counts(changes)
    indications = (
        f"{plural(n['indications_added'], 'indication')} added, "
        f"{n['indications_removed']} removed, {n['indications_changed']} changed"
    )
    if n["indications_renamed"]:
        indications += f", {n['indications_renamed']} renamed"
    codes = [(verb, n[f"codes_{verb}"]) for verb in ("added", "removed", "moved")]
    sections = [(verb, n[f"sections_{verb}"]) for verb in ("added", "removed")]
    parts = [
        indications,
        _tally("code", [*codes, ("re-described", n["codes_changed"])]),
        _tally("code group", [("changed", n["code_groups_changed"])]),
        _tally("section", [("reworded", n["sections_changed"]), *sections]),
        _tally("date/status field", [("changed", n["metadata_changed"])]),
        f"{n['high_severity']} high-severity" if n["high_severity"] else "",
    ]
    return "; ".join(part for part in parts if part) + "."


def _tally(noun: str, counts: list[tuple[str, int]]) -> str:
    """ "3 sections reworded, 1 added": the noun goes with the first non-zero count."""
    shown = [(verb, count) for verb, count in counts if count]
    if not shown:
        return ""
    (verb, count), rest = shown[0], shown[1:]
    return ", ".join([f"{plural(count, noun)} {verb}", *(f"{c} {v}" for v, c in rest)])
