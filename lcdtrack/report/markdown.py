"""GitHub-flavoured Markdown: for issues, pull requests, wikis and chat.

Deletions are `~~struck~~`, insertions **bold**. Fetched text is cleaned, then every Markdown
special character is backslash-escaped, so a document can neither inject links, images or
HTML nor break the layout. The "Check this" block is a GitHub alert (`> [!WARNING]`).
"""

from __future__ import annotations

import re

from lcdtrack.models import Comparison, TextEdit
from lcdtrack.report.common import Entry, clean, describe, group_changes, statement_paragraphs
from lcdtrack.report.summary import summary_line

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LEADING = re.compile(r"^([#+\-=])")


def render_markdown(comparison: Comparison) -> str:
    old, new = comparison.old, comparison.new
    title = md(new.title) if old.title == new.title else f"{md(new.title)} (was: {md(old.title)})"
    lines = [
        f"## {md(old.label)} → {md(new.label)}: {title}",
        "",
        f"**{summary_line(comparison.changes)}**",
    ]
    for group, changes in group_changes(comparison.changes):
        lines += ["", f"### {group}", ""]
        for change in changes:
            lines += entry_lines(describe(change))
    if comparison.cms_statements:
        lines += ["", "### What CMS says"]
        for statement in comparison.cms_statements:
            lines += ["", f"> **{md(statement.source)}**", ">"]
            lines += [f"> {md(p)}" for p in statement_paragraphs(statement.text)]
    if comparison.disagreements:
        lines += ["", "### ⚠️ Check this", "", "> [!WARNING]"]
        lines.append("> CMS's own account and the detected changes disagree:")
        lines.append(">")
        lines += [f"> - **{md(text)}**" for text in comparison.disagreements]
    return "\n".join(lines) + "\n"


def entry_lines(entry: Entry) -> list[str]:
    lines = [f"- {head(entry)}"]
    if entry.inline:
        lines.append(f"  - {marked(entry.inline)}")
    lines += [f"  - {marked(run)}" for run in entry.runs]
    if entry.body:
        lines.append(f"  > {md(entry.body)}")
    return lines


def head(entry: Entry) -> str:
    """ "**Added:** X", "**X**: dose changed: a → b", "**status**: a → b", with tags."""
    name = md(entry.subject) + (f" ({md(entry.where)})" if entry.where else "")
    values = " → ".join(md(v) for v in entry.values)
    if entry.subject_first:
        line = ": ".join(part for part in (f"**{name}**", md(entry.label), values) if part)
    else:
        verb = md(entry.verb[:1].upper() + entry.verb[1:])
        line = f"**{verb}:** " + ": ".join(part for part in (name, values) if part)
    return line + "".join(_tag(tag) for tag in entry.tags)


def _tag(tag: str) -> str:
    return " **\\[high\\]**" if tag == "high" else f" *({md(tag)})*"


def marked(edits: tuple[TextEdit, ...]) -> str:
    marks = {"=": "{}", "-": "~~{}~~", "+": "**{}**"}
    return " ".join(marks[edit.op].format(md(edit.text)) for edit in edits)


def md(text: str) -> str:
    """Cleaned, one line, with Markdown's specials (and a leading block marker) escaped."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(clean(text).split()))
    return _LEADING.sub(r"\\\1", escaped)
