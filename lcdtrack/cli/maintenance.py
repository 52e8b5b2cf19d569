"""Housekeeping and team workflow: the extractor registry, re-extraction, the review backlog,
Datasette metadata."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from lcdtrack import pipeline
from lcdtrack.cli.app import EXIT_OK, EXIT_TROUBLE, app, open_store, run
from lcdtrack.extractors import EXTRACTORS
from lcdtrack.progress import progress_bar
from lcdtrack.snapshots import queries


@app.command("extractors")
def list_extractors() -> None:
    """List the registered extractors (source formats lcdtrack reads)."""
    for extractor in EXTRACTORS.values():
        typer.echo(f"{extractor.name:<16} v{extractor.version}  {extractor.description}")


@app.command()
def reextract(ctx: typer.Context) -> None:
    """Run today's extractors over every stored raw source. A record that comes out different
    is added as a new snapshot linked to the same raw bytes; nothing is rewritten or deleted.

    Use it after upgrading lcdtrack, so improvements reach the history you already have.
    """
    counts = {"new": 0, "unchanged": 0, "failed": 0}
    with run(lambda: open_store(ctx)) as store:
        total = len(store.raw_sources())
        with progress_bar(total, "Re-extracting") as advance:
            for outcome in pipeline.reextract(store):
                if outcome.error is not None or outcome.result is None:
                    counts["failed"] += 1
                    typer.echo(f"Error: {outcome.error}", err=True)
                else:
                    counts["new" if outcome.result.created else "unchanged"] += 1
                advance(outcome.source)
    typer.echo(
        f"{total} raw sources: {counts['new']} new records, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed"
    )
    raise typer.Exit(EXIT_TROUBLE if counts["failed"] else EXIT_OK)


@app.command()
def changes(
    ctx: typer.Context,
    document: Annotated[
        str | None, typer.Argument(help="Only this document (L39314).", show_default=False)
    ] = None,
    unreviewed: Annotated[
        bool, typer.Option("--unreviewed", help="Only changes nobody has acknowledged.")
    ] = False,
) -> None:
    """List stored changes between versions (id, document, versions, severity, what changed),
    for a team to work through; acknowledge them with `lcdtrack ack ID...`.

    \b
    Example:
      lcdtrack changes --unreviewed
    """
    with run(lambda: open_store(ctx)) as store:
        rows = (
            queries.unreviewed(store, document)
            if unreviewed
            else queries.all_changes(store, document)
        )
    if not rows:
        typer.echo("No changes." if not unreviewed else "No unreviewed changes.")
        return
    for row in rows:
        what = row["aspect"] or row["kind"]
        typer.echo(
            f"{row['id']:>6}  {row['document_id']}@{row['from_version']}→{row['to_version']}  "
            f"[{row['severity']}] {what}: {_one_line(row['subject'])}"
        )


@app.command()
def ack(
    ctx: typer.Context,
    change_ids: Annotated[
        list[int], typer.Argument(help="Change ids from `lcdtrack changes`.", show_default=False)
    ],
    by: Annotated[
        str | None, typer.Option(help="Who reviewed them (default: your user name).")
    ] = None,
) -> None:
    """Mark changes as reviewed, so `lcdtrack changes --unreviewed` no longer lists them."""
    reviewer = by or getpass.getuser()
    with run(lambda: open_store(ctx)) as store:
        marked = queries.acknowledge(store, change_ids, reviewer)
    typer.echo(f"{marked} change(s) marked reviewed by {reviewer}")
    raise typer.Exit(EXIT_OK if marked == len(change_ids) else EXIT_TROUBLE)


@app.command("datasette-metadata")
def datasette_metadata(ctx: typer.Context) -> None:
    """Print Datasette metadata for the database (titles, column notes, canned queries).

    \b
    Example:
      lcdtrack datasette-metadata > metadata.json && datasette lcdtrack.db -m metadata.json
    """
    name = Path(ctx.obj).stem
    typer.echo(json.dumps(queries.datasette_metadata(name), indent=2))


def _one_line(text: str | None) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= 90 else line[:89] + "…"
