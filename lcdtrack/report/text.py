"""Plain text: no colour, no markup, reads the same in a terminal, a pipe and an email body.

Word diffs are marked `[-deleted-]{+inserted+}` (as `git diff --word-diff` does). Every
string from a fetched document is cleaned of escapes, control and bidi characters first.
"""

from __future__ import annotations

import re

from lcdtrack.models import Comparison, Snapshot, TextEdit
from lcdtrack.report.common import (
    Entry,
    clean,
    describe,
    group_changes,
    one_line,
    statement_paragraphs,
    value,
)
from lcdtrack.report.summary import heading, summary_line

_BREAKS = re.compile(r"[\n\u2028\u2029]+")
CHECK_TITLE = "Check this: CMS's account and the detected changes disagree"


def render_text(comparison: Comparison) -> str:
    lines = [heading(comparison), summary_line(comparison.changes)]
    for title, changes in group_changes(comparison.changes):
        lines += ["", title]
        for change in changes:
            lines += ["  " + line for line in entry_lines(describe(change))]
    if comparison.cms_statements:
        lines += ["", "What CMS says"]
        for statement in comparison.cms_statements:
            lines.append(f"  {one_line(statement.source)}:")
            lines += [f"    “{p}”" for p in statement_paragraphs(statement.text)]
    if comparison.disagreements:
        lines += ["", CHECK_TITLE]
        lines += [f"  ! {one_line(text)}" for text in comparison.disagreements]
    return "\n".join(lines) + "\n"


def entry_lines(entry: Entry) -> list[str]:
    """The change's line, then its word diff or excerpt, indented beneath it."""
    lines = [f"{entry.mark} {head(entry)}"]
    if entry.inline:
        lines.append("    " + marked(entry.inline))
    lines += ["    " + marked(run) for run in entry.runs]
    if entry.body:
        lines.append("    " + entry.body)
    return lines


def head(entry: Entry) -> str:
    name = f"{entry.subject} ({entry.where})" if entry.where else entry.subject
    parts = [name, entry.label] if entry.subject_first else [entry.label, name]
    if entry.values:
        parts.append(" → ".join(entry.values))
    line = ": ".join(part for part in parts if part)
    return f"{line}  [{', '.join(entry.tags)}]" if entry.tags else line


def marked(edits: tuple[TextEdit, ...]) -> str:
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return " ".join(marks[edit.op].format(edit.text) for edit in edits)


# -- records ------------------------------------------------------------------------------


def render_record_text(snapshot: Snapshot) -> str:
    """One stored snapshot, for reading: identity, dates, indications, sections, history.
    A line break inside a value becomes a space, so no value can start a line of its own."""
    lines = (_BREAKS.sub(" ", clean(line)) for line in _record_lines(snapshot))
    return "\n".join(lines) + "\n"


def _record_lines(snapshot: Snapshot) -> list[str]:
    record = snapshot.record
    lines = [
        f"{snapshot.label}  {record.title}",
        f"{record.kind} LCD · CMS lcd_id {value(str(record.lcd_id or ''))} · "
        f"status {value(record.status)} · snapshot {snapshot.id} from {snapshot.extractor} "
        f"({snapshot.fetched_at})",
    ]
    if record.source_proposed_id:
        lines.append(f"Source proposed LCD: {record.source_proposed_id}")
    if record.source_lcd_id:
        lines.append(f"Source LCD: {record.source_lcd_id}")
    dates = [
        f"{name.replace('_', ' ')} {date}" for name, date in vars(record.dates).items() if date
    ]
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
