"""Renderers: pure functions from a `Comparison` to text for people or data for programs.

    diff (Comparison)  →  report: text | terminal | markdown | html | json | jsonl  →  CLI, alerts

They decide how a change reads, never where it goes (printing is the CLI's job, delivery the
alerts'). One module per format; `common` holds what they share (grouping, labels, word-diff
snippets, the cleaning of fetched text) and `summary` the header; `history` renders what the
history queries answer (version timelines, an indication's life, search hits).

Every string from a fetched document is data: text formats strip escapes, control and bidi
characters, Markdown and HTML escape what their syntax needs, JSON leaves it to the encoder.
"""

from __future__ import annotations

from collections.abc import Callable

from lcdtrack.models import Comparison, Snapshot
from lcdtrack.report.common import ASPECT_LABELS, FIELD_LABELS, group_changes
from lcdtrack.report.data import comparison_data, record_data, render_json, render_jsonl
from lcdtrack.report.data import dumps as _dumps
from lcdtrack.report.history import (
    render_indication_timeline,
    render_search,
    render_version_timeline,
)
from lcdtrack.report.html import render_html
from lcdtrack.report.markdown import render_markdown
from lcdtrack.report.summary import summary_counts, summary_line
from lcdtrack.report.terminal import DEFAULT_WIDTH, render_terminal
from lcdtrack.report.text import render_record_text, render_text

FORMATS = ("text", "terminal", "markdown", "html", "json", "jsonl")
RECORD_FORMATS = ("text", "json")

_RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
    "jsonl": render_jsonl,
}


def render(
    comparison: Comparison, fmt: str = "text", *, color: bool = False, width: int = DEFAULT_WIDTH
) -> str:
    """`comparison` in format `fmt` (one of FORMATS). `color` and `width` concern only
    "terminal": colour and style only when `color`, lines wrapped at `width` columns."""
    if fmt == "terminal":
        return render_terminal(comparison, color=color, width=width)
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return _RENDERERS[fmt](comparison)


def render_record(snapshot: Snapshot, fmt: str = "text") -> str:
    """One stored snapshot as text (for reading) or JSON (the record itself, plus provenance)."""
    if fmt == "json":
        return _dumps(record_data(snapshot), indent=2)
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(RECORD_FORMATS)}")
    return render_record_text(snapshot)


__all__ = [
    "ASPECT_LABELS",
    "DEFAULT_WIDTH",
    "FIELD_LABELS",
    "FORMATS",
    "RECORD_FORMATS",
    "comparison_data",
    "group_changes",
    "render",
    "render_html",
    "render_indication_timeline",
    "render_json",
    "render_jsonl",
    "render_markdown",
    "render_record",
    "render_search",
    "render_terminal",
    "render_text",
    "render_version_timeline",
    "summary_counts",
    "summary_line",
]
