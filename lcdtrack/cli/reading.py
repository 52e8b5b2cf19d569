"""`lcdtrack show` and `lcdtrack history`: read what the store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from lcdtrack import pipeline, report
from lcdtrack.cli.app import (
    RecordFormat,
    app,
    open_store,
    run,
)


@app.command()
def show(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(help="L39314, DL39314 or L39314@7.", show_default=False)
    ],
    fmt: Annotated[
        RecordFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RecordFormat.text,
) -> None:
    """Show the structured record of a stored LCD: dates, indications with criteria and doses,
    sections. JSON gives the whole record.

    Example: lcdtrack show L39314 --format json
    """
    with run(lambda: open_store(ctx)) as store:
        snapshot = run(lambda: pipeline.resolve(store, reference))
        typer.echo(report.render_record(snapshot, fmt.value), nl=False)


@app.command()
def history(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="An LCD id such as L39314.", show_default=False)],
) -> None:
    """List the stored versions of an LCD, oldest first, with effective dates and the number of
    changes from the previous snapshot.

    Example: lcdtrack history L39314
    """
    with run(lambda: open_store(ctx)) as store:
        entries = run(lambda: pipeline.history(store, reference))
    typer.echo(f"{'snapshot':>8}  {'version':<16} {'effective':<10}  {'changes':>7}  source")
    for entry in entries:
        snap = entry.snapshot
        dates = snap.record.dates
        effective = dates.revision_effective or dates.original_effective or "-"
        changes = "-" if entry.changes_from_previous is None else str(entry.changes_from_previous)
        typer.echo(f"{snap.id:>8}  {snap.label:<16} {effective:<10}  {changes:>7}  "
                   f"{snap.extractor}: {snap.source}")  # fmt: skip
        if entry.note:
            typer.echo(f"{'':>8}  note: {entry.note}")
