"""A self-contained HTML redline, built to survive email clients.

Inline `style` attributes only: no <style> block, no external CSS, no script, no event
handler. Deletions are <del>, insertions <ins>, each with its own background colour. Every
string from a fetched document is cleaned and passed through `html.escape`; a link is made
only from an http(s) URL, itself escaped.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from lcdtrack.models import CmsStatement, Comparison, SnapshotRef, TextEdit
from lcdtrack.report.common import Entry, describe, group_changes, one_line, statement_paragraphs
from lcdtrack.report.summary import summary_line

BODY = (
    "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;"
    "line-height:1.5;color:#1f2328;background:#ffffff;max-width:60em;margin:0 auto;padding:16px"
)
STYLES = {
    "h1": "font-size:22px;margin:0 0 4px 0",
    "h2": "font-size:18px;margin:24px 0 8px 0;border-bottom:1px solid #d0d7de",
    "title": "margin:0 0 8px 0;color:#59636e",
    "summary": "margin:8px 0;font-weight:bold",
    "ul": "margin:0;padding-left:20px",
    "li": "margin:6px 0",
    "detail": "margin:2px 0 0 0;color:#1f2328",
    "excerpt": "margin:2px 0 0 0;color:#59636e",
    "where": "color:#59636e",
    "ins": "background-color:#ccffd8;color:#055d20;text-decoration:none",
    "del": "background-color:#ffd7d5;color:#82071e;text-decoration:line-through",
    "high": "background-color:#cf222e;color:#ffffff;font-weight:bold;padding:0 4px;"
    "border-radius:3px;font-size:12px",
    "tightened": "color:#cf222e;font-weight:bold;font-size:12px",
    "loosened": "color:#1a7f37;font-weight:bold;font-size:12px",
    "tag": "color:#59636e;font-weight:bold;font-size:12px",
    "quote": "margin:8px 0;padding:4px 12px;border-left:4px solid #d0d7de;color:#1f2328",
    "check": "margin:24px 0;padding:8px 16px;border:2px solid #cf222e;background-color:#fff0ef",
    "check-h2": "font-size:18px;margin:4px 0 8px 0;color:#cf222e",
    "link": "color:#0969da",
}
MARKS = {"+": ("added", "#1a7f37"), "-": ("removed", "#cf222e"), "~": ("changed", "#9a6700")}


def render_html(comparison: Comparison) -> str:
    old, new = comparison.old, comparison.new
    title = f"{one_line(old.label)} → {one_line(new.label)}: {one_line(new.title)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{escape(title)}</title></head>",
        f'<body style="{BODY}">',
        f'<h1 style="{STYLES["h1"]}">{_side(old)} → {_side(new)}</h1>',
        _p("title", _titles(old, new)),
        _p("summary", escape(summary_line(comparison.changes))),
    ]
    for group, changes in group_changes(comparison.changes):
        parts.append(f'<h2 style="{STYLES["h2"]}">{escape(group)}</h2>')
        parts.append(f'<ul style="{STYLES["ul"]}">')
        parts += [entry_html(describe(change)) for change in changes]
        parts.append("</ul>")
    if comparison.cms_statements:
        parts.append(f'<h2 style="{STYLES["h2"]}">What CMS says</h2>')
        parts += [_statement(statement) for statement in comparison.cms_statements]
    if comparison.disagreements:
        parts.append(_check_this(comparison.disagreements))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def entry_html(entry: Entry) -> str:
    word, colour = MARKS.get(entry.mark, ("changed", "#9a6700"))
    mark = (
        f'<span style="color:{colour};font-weight:bold" title="{word}">{escape(entry.mark)}</span>'
    )
    details = ""
    if entry.inline:
        details += _div("detail", marked(entry.inline))
    details += "".join(_div("detail", marked(run)) for run in entry.runs)
    if entry.body:
        details += _div("excerpt", escape(entry.body))
    return f'<li style="{STYLES["li"]};list-style:none">{mark} {head(entry)}{details}</li>'


def head(entry: Entry) -> str:
    name = f"<strong>{escape(entry.subject)}</strong>" if entry.subject else ""
    if entry.where:
        name += f' <span style="{STYLES["where"]}">({escape(entry.where)})</span>'
    label = escape(entry.label)
    parts = [name, label] if entry.subject_first else [label, name]
    if len(entry.values) == 2:
        before, after = entry.values
        parts.append(f"{_mark('-', before)} → {_mark('+', after)}")
    elif entry.values:
        parts.append(escape(entry.values[0]))
    tags = "".join(f" {_tag(tag)}" for tag in entry.tags)
    return ": ".join(part for part in parts if part) + tags


def marked(edits: tuple[TextEdit, ...]) -> str:
    return " ".join(escape(e.text) if e.op == "=" else _mark(e.op, e.text) for e in edits)


def _mark(op: str, text: str) -> str:
    tag = "ins" if op == "+" else "del"
    return f'<{tag} style="{STYLES[tag]}">{escape(text)}</{tag}>'


def _tag(tag: str) -> str:
    style = STYLES.get(tag, STYLES["tag"])
    return f'<span style="{style}">{escape(tag)}</span>'


def _side(ref: SnapshotRef) -> str:
    """The side's label, linked to where it was fetched when that is an http(s) URL."""
    label = escape(one_line(ref.label))
    url = safe_url(ref.source)
    return f'<a href="{escape(url)}" style="{STYLES["link"]}">{label}</a>' if url else label


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http or https URL, else None (javascript:, data:, files)."""
    if not url:
        return None
    url = one_line(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _titles(old: SnapshotRef, new: SnapshotRef) -> str:
    title = escape(one_line(new.title))
    if one_line(old.title) != one_line(new.title):
        title += f" (was: {escape(one_line(old.title))})"
    return title


def _statement(statement: CmsStatement) -> str:
    source = f'<p style="margin:0"><strong>{escape(one_line(statement.source))}</strong></p>'
    body = "".join(
        f'<p style="margin:4px 0">{escape(p)}</p>' for p in statement_paragraphs(statement.text)
    )
    return f'<blockquote style="{STYLES["quote"]}">{source}{body}</blockquote>'


def _check_this(disagreements: tuple[str, ...]) -> str:
    items = "".join(
        f'<li style="{STYLES["li"]}"><strong>{escape(one_line(text))}</strong></li>'
        for text in disagreements
    )
    return (
        f'<div style="{STYLES["check"]}">'
        f'<h2 style="{STYLES["check-h2"]}">⚠ Check this</h2>'
        '<p style="margin:0">CMS\'s own account and the detected changes disagree:</p>'
        f'<ul style="{STYLES["ul"]}">{items}</ul></div>'
    )


def _p(style: str, content: str) -> str:
    return f'<p style="{STYLES[style]}">{content}</p>'


def _div(style: str, content: str) -> str:
    return f'<div style="{STYLES[style]}">{content}</div>'
