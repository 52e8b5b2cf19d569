"""Renderers: pure functions from a `Comparison` to text, Markdown or JSON.

They decide how a change reads, never where it goes (printing is the CLI's job, delivery the
alerts'). Every string from a fetched document is treated as data: control characters are
removed from text output, Markdown and JSON escape what their format needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from lcdtrack.models import Change, Comparison, Snapshot, SnapshotRef, TextEdit

FORMATS = ("text", "markdown", "json")
CONTEXT_WORDS = 8
MAX_EDIT_CHARS = 400
MAX_BODY_CHARS = 300

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FIELD_LABELS = {
    "title": "title",
    "status": "status",
    "original_effective": "original effective date",
    "revision_effective": "revision effective date",
    "revision_ending": "revision ending date",
    "retirement": "retirement date",
    "notice_start": "notice period start",
    "notice_end": "notice period end",
    "comment_start": "comment period start",
    "comment_end": "comment period end",
    "last_updated": "last updated",
    "published": "MCD publish date",
    "source_proposed_id": "source proposed LCD",
    "source_lcd_id": "source LCD",
}
_ASPECT_LABELS = {
    "renamed": "renamed",
    "stance_changed": "coverage stance changed",
    "criterion_added": "criterion added",
    "criterion_removed": "criterion removed",
    "criterion_changed": "criterion changed",
    "dose_changed": "dose changed",
    "dose_added": "dose added",
    "dose_removed": "dose removed",
    "text_changed": "text changed",
}


def render(comparison: Comparison, fmt: str = "text") -> str:
    renderers: dict[str, Callable[[Comparison], str]] = {
        "text": render_text,
        "markdown": render_markdown,
        "json": render_json,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return renderers[fmt](comparison)


def summary_counts(changes: Iterable[Change]) -> dict[str, int]:
    changes = list(changes)
    return {
        "indications_added": sum(c.kind == "indication_added" for c in changes),
        "indications_removed": sum(c.kind == "indication_removed" for c in changes),
        "indications_changed": len({c.subject for c in changes if c.kind == "indication_changed"}),
        "sections_changed": sum(c.kind == "section_changed" for c in changes),
        "sections_added": sum(c.kind == "section_added" for c in changes),
        "sections_removed": sum(c.kind == "section_removed" for c in changes),
        "metadata_changed": sum(c.kind == "metadata_changed" for c in changes),
    }


def summary_line(changes: Iterable[Change]) -> str:
    n = summary_counts(changes)
    if not any(n.values()):
        return "No changes."
    parts = [
        f"{_plural(n['indications_added'], 'indication')} added, "
        f"{n['indications_removed']} removed, {n['indications_changed']} changed"
    ]
    sections = [
        f"{n[f'sections_{verb}']} {verb}"
        for verb in ("changed", "added", "removed")
        if n[f"sections_{verb}"]
    ]
    if sections:
        parts.append(f"sections {', '.join(sections)}")
    if n["metadata_changed"]:
        parts.append(f"{_plural(n['metadata_changed'], 'metadata field')} changed")
    return "; ".join(parts) + "."


# -- text ---------------------------------------------------------------------------------


def render_text(comparison: Comparison) -> str:
    lines = [_heading(comparison.old, comparison.new), summary_line(comparison.changes)]
    for title, group in _groups(comparison.changes):
        lines += ["", title]
        for change in group:
            lines += ["  " + line for line in _text_lines(change)]
    return "\n".join(_plain(line) for line in lines) + "\n"


def _text_lines(change: Change) -> list[str]:
    if change.kind == "indication_added":
        return [f"+ indication added: {change.subject}", *_body(change.after, change.subject)]
    if change.kind == "indication_removed":
        return [f"- indication removed: {change.subject}", *_body(change.before, change.subject)]
    if change.kind == "indication_changed":
        label = _ASPECT_LABELS.get(change.aspect or "", change.aspect or "changed")
        head = f"~ {change.subject}: {label}"
        if change.edits:
            return [head, "    " + _inline_edits(change.edits, "[-", "-]", "{+", "+}")]
        return [head + f": {_value(change.before)} → {_value(change.after)}"]
    if change.kind == "metadata_changed":
        field = FIELD_LABELS.get(change.subject, change.subject)
        return [f"~ {field}: {_value(change.before)} → {_value(change.after)}"]
    if change.kind == "section_added":
        return [f"+ {change.subject} (section added)", *_body(change.after, "")]
    if change.kind == "section_removed":
        return [f"- {change.subject} (section removed)", *_body(change.before, "")]
    return [
        f"~ {change.subject}",
        *("    " + snippet for snippet in _snippets(change.edits, "[-", "-]", "{+", "+}")),
    ]


# -- markdown -----------------------------------------------------------------------------


def render_markdown(comparison: Comparison) -> str:
    old, new = comparison.old, comparison.new
    lines = [
        f"## {_md(old.label)} → {_md(new.label)}: {_md(new.title)}",
        "",
        f"**{summary_line(comparison.changes)}**",
    ]
    for title, group in _groups(comparison.changes):
        lines += ["", f"### {title}", ""]
        for change in group:
            lines.extend(_markdown_lines(change))
    return "\n".join(lines) + "\n"


def _markdown_lines(change: Change) -> list[str]:
    subject = _md(change.subject)
    if change.kind == "indication_added":
        return [f"- **Added:** {subject}"]
    if change.kind == "indication_removed":
        return [f"- **Removed:** {subject}"]
    if change.kind == "indication_changed":
        label = _ASPECT_LABELS.get(change.aspect or "", change.aspect or "changed")
        if change.edits:
            return [
                f"- **{subject}**: {label}: "
                + _inline_edits(change.edits, "~~", "~~", "**", "**", _md)
            ]
        return [
            f"- **{subject}**: {label}: {_md(_value(change.before))} → {_md(_value(change.after))}"
        ]
    if change.kind == "metadata_changed":
        field = FIELD_LABELS.get(change.subject, change.subject)
        return [f"- {field}: {_md(_value(change.before))} → {_md(_value(change.after))}"]
    if change.kind in ("section_added", "section_removed"):
        return [f"- **{subject}**: section {change.kind.split('_')[1]}"]
    snippets = _snippets(change.edits, "~~", "~~", "**", "**", _md)
    return [f"- **{subject}**", *(f"  - …{s}…" for s in snippets)]


# -- json ---------------------------------------------------------------------------------


def render_json(comparison: Comparison) -> str:
    return json.dumps(comparison_data(comparison), indent=2, ensure_ascii=False) + "\n"


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    return {
        "old": _ref_data(comparison.old),
        "new": _ref_data(comparison.new),
        "summary": summary_counts(comparison.changes),
        "changes": [change.to_dict() for change in comparison.changes],
    }


def _ref_data(ref: SnapshotRef) -> dict[str, Any]:
    return {
        "id": ref.document_id,
        "version": ref.version,
        "label": ref.label,
        "title": ref.title,
        "kind": ref.kind,
        "snapshot": ref.snapshot_id,
        "extractor": ref.extractor,
        "source": ref.source,
        "effective": ref.effective,
    }


# -- shared -------------------------------------------------------------------------------


def _groups(changes: tuple[Change, ...]) -> list[tuple[str, list[Change]]]:
    groups = [
        ("Indications", [c for c in changes if c.kind.startswith("indication_")]),
        ("Dates and status", [c for c in changes if c.kind == "metadata_changed"]),
        ("Sections", [c for c in changes if c.kind.startswith("section_")]),
    ]
    return [(title, group) for title, group in groups if group]


def _heading(old: SnapshotRef, new: SnapshotRef) -> str:
    return f"{old.label} → {new.label}  {new.title}"


def _body(text: str | None, name: str) -> list[str]:
    if not text:
        return []
    body = text[len(name) :].strip() if name and text.startswith(name) else text.strip()
    body = " ".join(body.split())
    if not body:
        return []
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS].rsplit(" ", 1)[0] + " …"
    return [f"    {body}"]


def _inline_edits(
    edits: tuple[TextEdit, ...],
    del_open: str,
    del_close: str,
    ins_open: str,
    ins_close: str,
    escape: Callable[[str], str] = lambda s: s,
) -> str:
    parts = []
    for edit in edits:
        text = escape(_clip(edit.text.strip()))
        if not text:
            continue
        if edit.op == "=":
            parts.append(text)
        elif edit.op == "-":
            parts.append(f"{del_open}{text}{del_close}")
        else:
            parts.append(f"{ins_open}{text}{ins_close}")
    return " ".join(parts)


def _snippets(
    edits: tuple[TextEdit, ...],
    del_open: str,
    del_close: str,
    ins_open: str,
    ins_close: str,
    escape: Callable[[str], str] = lambda s: s,
) -> list[str]:
    """One line per run of edits, with a few words of unchanged context on each side."""
    snippets: list[str] = []
    index = 0
    while index < len(edits):
        if edits[index].op == "=":
            index += 1
            continue
        before = edits[index - 1].text.split()[-CONTEXT_WORDS:] if index else []
        run: list[str] = [escape(" ".join(before))] if before else []
        while index < len(edits) and edits[index].op != "=":
            edit = edits[index]
            text = escape(_clip(" ".join(edit.text.split())))
            opener, closer = (del_open, del_close) if edit.op == "-" else (ins_open, ins_close)
            run.append(f"{opener}{text}{closer}")
            index += 1
        if index < len(edits):
            run.append(escape(" ".join(edits[index].text.split()[:CONTEXT_WORDS])))
        snippets.append(" ".join(part for part in run if part))
    return snippets


def _clip(text: str) -> str:
    if len(text) <= MAX_EDIT_CHARS:
        return text
    half = MAX_EDIT_CHARS // 2
    return f"{text[:half].rsplit(' ', 1)[0]} … {text[-half:].split(' ', 1)[-1]}"


def _value(value: str | None) -> str:
    return "(none)" if value is None or value == "" else value


def _plain(text: str) -> str:
    return _CONTROL.sub("", text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _plain(text))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- records ------------------------------------------------------------------------------


def render_record(snapshot: Snapshot, fmt: str = "text") -> str:
    """One stored snapshot as text (for reading) or JSON (the record itself, plus provenance)."""
    if fmt == "json":
        data = {
            "snapshot": {
                "id": snapshot.id,
                "label": snapshot.label,
                "extractor": snapshot.extractor,
                "extractor_version": snapshot.extractor_version,
                "source": snapshot.source,
                "fetched_at": snapshot.fetched_at,
                "record_hash": snapshot.record_hash,
                "raw_hash": snapshot.raw_hash,
            },
            "record": snapshot.record.to_dict(),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}; choose from text, json")
    return "\n".join(_plain(line) for line in _record_lines(snapshot)) + "\n"


def _record_lines(snapshot: Snapshot) -> list[str]:
    record = snapshot.record
    lines = [
        f"{snapshot.label}  {record.title}",
        f"{record.kind} LCD · CMS lcd_id {_value(str(record.lcd_id or ''))} · "
        f"status {_value(record.status)} · snapshot {snapshot.id} from {snapshot.extractor} "
        f"({snapshot.fetched_at})",
    ]
    if record.source_proposed_id:
        lines.append(f"Source proposed LCD: {record.source_proposed_id}")
    if record.source_lcd_id:
        lines.append(f"Source LCD: {record.source_lcd_id}")
    dates = [f"{name.replace('_', ' ')} {value}"
             for name, value in vars(record.dates).items() if value]  # fmt: skip
    lines.append("Dates: " + ("; ".join(dates) if dates else "(none stated)"))
    lines += ["", f"Indications ({len(record.indications)})"]
    for number, indication in enumerate(record.indications, 1):
        stance = f"  [{indication.stance}]" if indication.stance else ""
        lines.append(f"  {number:>2}. {indication.name}{stance}")
        lines += [f"        criterion: {c}" for c in indication.criteria]
        lines += [f"        dose: {d}" for s in indication.dosing for d in s.doses]
    lines += ["", f"Sections ({len(record.sections)})"]
    lines += [f"  {s.name} ({len(s.text.split()):,} words)" for s in record.sections]
    lines.append(f"Bibliography: {len(record.bibliography)} entries")
    if record.revision_history:
        lines += ["", "Revision history"]
        lines += [f"  {r.date or '?'} {r.number}: {r.explanation}" for r in record.revision_history]
    return lines
