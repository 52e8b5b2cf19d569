"""`lcdtrack diff` and `lcdtrack demo`: what changed, in coverage terms."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from lcdtrack import pipeline, report
from lcdtrack.cli.app import (
    EXIT_CHANGES,
    EXIT_OK,
    EXIT_TROUBLE,
    DiffFormat,
    Severity,
    app,
    open_store,
    run,
)
from lcdtrack.models import Comparison
from lcdtrack.snapshots import SnapshotStore

NoColor = Annotated[
    bool,
    typer.Option("--no-color", help="Plain text even on a terminal (as does NO_COLOR)."),
]


def _render(comparison: Comparison, fmt: DiffFormat, no_color: bool) -> str:
    """Text on a terminal is drawn in colour; piped, redirected or --no-color, it is plain."""
    if (
        fmt is DiffFormat.text
        and not no_color
        and not os.environ.get("NO_COLOR")
        and sys.stdout.isatty()
    ):
        width = shutil.get_terminal_size().columns
        return report.render(comparison, "terminal", color=True, width=width)
    return report.render(comparison, fmt.value)


@app.command()
def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Older side: ID or ID@VERSION.", show_default=False)],
    new: Annotated[
        str | None,
        typer.Argument(
            help="Newer side. Omit to compare OLD's two latest snapshots.", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.text,
    proposed: Annotated[
        bool,
        typer.Option(
            "--proposed",
            help="OLD is a final LCD: compare the proposed LCD it came from with its first "
            "stored version.",
        ),
    ] = False,
    min_severity: Annotated[
        Severity,
        typer.Option(help="Only list changes of this severity or higher (low, medium, high)."),
    ] = Severity.low,
    no_color: NoColor = False,
) -> None:
    """Show what changed between two stored LCD versions, in coverage terms.

    Reports indications added, removed, renamed or changed (criteria, doses, age limits, lab
    thresholds, time windows with tightened/loosened, stance, wording), codes added, removed or
    moved, dates and status, and a word-level diff of each reworded section, each with a
    severity. CMS's own explanation of the change is shown beside it, and where it disagrees
    with what was found, that is flagged. Reformatting is never a change.

    Exit status as diff(1): 0 no changes, 1 changes, 2 trouble.

    \b
    Examples:
      lcdtrack diff DL39314 L39314
      lcdtrack diff --proposed L39314
      lcdtrack diff L39314
      lcdtrack diff L39314@7 L39314@11 --format json --min-severity medium
    """
    if proposed and new is not None:
        typer.echo("Error: --proposed takes one id, the final LCD", err=True)
        raise typer.Exit(EXIT_TROUBLE)
    with run(lambda: open_store(ctx)) as store:
        if proposed:
            comparison = run(lambda: pipeline.diff_proposed(store, old, min_severity.value))
        else:
            comparison = run(lambda: pipeline.diff(store, old, new, min_severity.value))
    typer.echo(_render(comparison, fmt, no_color), nl=False)
    raise typer.Exit(EXIT_CHANGES if comparison.changes else EXIT_OK)


@app.command()
def demo(
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.text,
    keep: Annotated[
        Path | None,
        typer.Option(help="Write the demo database here instead of a temporary file."),
    ] = None,
    no_color: NoColor = False,
) -> None:
    """Offline demo: load the bundled proposed DL39314 and final L39314 (IVIG) into a fresh
    database and show what the final LCD changed. No network is used.
    """

    def show_demo(path: Path) -> None:
        with SnapshotStore(path) as store:
            comparison = run(lambda: pipeline.demo(store))
        typer.echo(_render(comparison, fmt, no_color), nl=False)

    if keep is not None:
        if keep.exists():
            typer.echo(f"Error: {keep} exists; the demo writes a fresh database", err=True)
            raise typer.Exit(EXIT_TROUBLE)
        show_demo(keep)
        typer.echo(
            f"\nDemo database kept at {keep}; try: lcdtrack --db {keep} show L39314", err=True
        )
        return
    with tempfile.TemporaryDirectory(prefix="lcdtrack-demo-") as folder:
        show_demo(Path(folder) / "demo.db")
