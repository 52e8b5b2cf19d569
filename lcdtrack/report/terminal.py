"""Rich terminal output: the text layout with colour and style, drawn only when asked.

`render_terminal(comparison, color=…, width=…)` renders into a string through a
`rich.console.Console` on a StringIO, so it stays a pure function: the CLI passes
`color=True` only when stdout is a TTY and --no-color was not given. Without colour the result
holds no escape sequence at all. Data is only ever put into `rich.text.Text` objects, never
into markup strings, and is cleaned first, so a document cannot style or move the terminal.
"""

from __future__ import annotations

import io
import re

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lcdtrack.models import CmsStatement, Comparison, TextEdit
from lcdtrack.report.common import Entry, describe, group_changes, one_line, statement_paragraphs
from lcdtrack.report.summary import heading, summary_line
from lcdtrack.report.text import marked as plain_marked

DEFAULT_WIDTH = 100
_TAIL = re.compile(r"(?: |\x1b\[[0-9;]*m)+$")
MARK_STYLES = {"+": "bold green", "-": "bold red", "~": "bold yellow"}
EDIT_STYLES = {"=": "", "-": "red strike", "+": "green"}
TAG_STYLES = {"high": "bold white on red", "tightened": "bold red", "loosened": "bold green"}


def render_terminal(
    comparison: Comparison, *, color: bool = False, width: int = DEFAULT_WIDTH
) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=max(width, 40),
        height=25,
        highlight=False,
        emoji=False,
        markup=False,
        force_jupyter=False,
        force_interactive=False,
        legacy_windows=False,
    )
    for renderable in renderables(comparison, color):
        console.print(renderable)
    return "".join(_trim(line) + "\n" for line in buffer.getvalue().split("\n")[:-1])


def renderables(comparison: Comparison, color: bool = True) -> list[RenderableType]:
    items: list[RenderableType] = [
        Text(heading(comparison), style="bold"),
        Text(summary_line(comparison.changes)),
    ]
    for title, changes in group_changes(comparison.changes):
        items += [Text(""), Text(title, style="bold underline")]
        for change in changes:
            items += entry_renderables(describe(change), color)
    if comparison.cms_statements:
        items += [Text(""), Text("What CMS says", style="bold underline")]
        for statement in comparison.cms_statements:
            items += _statement(statement)
    if comparison.disagreements:
        items += [Text(""), _check_this(comparison.disagreements)]
    return items


def entry_renderables(entry: Entry, color: bool = True) -> list[RenderableType]:
    """The change's line, then its word diff or excerpt; without colour, the word diff keeps
    the plain text marks (`[-deleted-]{+inserted+}`) so it still reads."""
    mark = Text.assemble("  ", (entry.mark, MARK_STYLES.get(entry.mark, "")), " ")
    items: list[RenderableType] = [hang(mark, head(entry))]
    if entry.inline:
        items.append(hang(Text(" " * 6), marked(entry.inline, color)))
    items += [hang(Text(" " * 6), marked(run, color)) for run in entry.runs]
    if entry.body:
        items.append(hang(Text(" " * 6), Text.assemble((entry.body, "dim"))))
    return items


def head(entry: Entry) -> Text:
    name = Text(entry.subject, style="bold")
    if entry.where:
        name.append(f" ({entry.where})", style="cyan")
    parts = [name, Text(entry.label)] if entry.subject_first else [Text(entry.label), name]
    if entry.values:
        parts.append(_values(entry.values))
    line = Text(": ").join(part for part in parts if part.plain)
    for tag in entry.tags:
        line.append("  ")
        line.append(f"[{tag}]" if tag == "high" else tag, style=TAG_STYLES.get(tag, "bold"))
    return line


def _values(values: tuple[str, ...]) -> Text:
    if len(values) == 2:
        return Text.assemble((values[0], "red"), " → ", (values[1], "green"))
    return Text(" → ".join(values))


def marked(edits: tuple[TextEdit, ...], color: bool = True) -> Text:
    if not color:
        return Text(plain_marked(edits))
    return Text(" ").join(Text(edit.text, style=EDIT_STYLES[edit.op]) for edit in edits)


def _statement(statement: CmsStatement) -> list[RenderableType]:
    items: list[RenderableType] = [
        hang(Text("  "), Text(one_line(statement.source), style="italic"))
    ]
    quote = Text.assemble("    ", ("│ ", "dim"))
    items += [hang(quote, Text(f"“{p}”")) for p in statement_paragraphs(statement.text)]
    return items


def _check_this(disagreements: tuple[str, ...]) -> Panel:
    lines: list[RenderableType] = [Text("CMS's own account and the detected changes disagree:")]
    bullet = Text("! ", style="bold red")
    lines += [hang(bullet, Text(one_line(text), style="bold")) for text in disagreements]
    return Panel(
        Group(*lines),
        title=Text("Check this", style="bold red"),
        title_align="left",
        box=box.HEAVY,
        border_style="red",
        expand=False,
    )


def _trim(line: str) -> str:
    """The line without the spaces rich pads it with (kept in front of closing style codes)."""
    return _TAIL.sub(lambda tail: tail.group(0).replace(" ", ""), line)


def hang(prefix: Text, body: Text) -> Table:
    """`prefix`, then `body` wrapped with its continuation lines aligned under its start."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(prefix, body)
    return grid
