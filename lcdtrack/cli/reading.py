"""`lcdtrack show`, `history` and `search`: read what the store holds."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lcdtrack import pipeline, report
from lcdtrack.cli.app import EXIT_TROUBLE, RecordFormat, app, open_store, run
from lcdtrack.errors import LcdtrackError
from lcdtrack.snapshots import queries


@app.command()
def show(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(help="L39314, DL39314 or L39314@7.", show_default=False)
    ],
    fmt: Annotated[
        RecordFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RecordFormat.text,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Show the version in force for services on this date (YYYY-MM-DD), from the "
            "effective, ending and retirement dates of the stored versions.",
        ),
    ] = None,
) -> None:
    """Show the structured record of a stored LCD: dates, indications with criteria and doses,
    codes, sections. JSON gives the whole record.

    \b
    Examples:
      lcdtrack show L39314 --format json
      lcdtrack show L39314 --as-of 2022-12-01
    """
    with run(lambda: open_store(ctx)) as store:
        if as_of is None:
            snapshot = run(lambda: pipeline.resolve(store, reference))
        else:
            document_id, _ = run(lambda: pipeline.parse_reference(reference))
            answer = run(lambda: queries.in_force(store, document_id, _iso(as_of)))
            typer.echo(answer.explanation, err=True)
            if answer.snapshot is None:
                raise typer.Exit(EXIT_TROUBLE)
            snapshot = answer.snapshot
        typer.echo(report.render_record(snapshot, fmt.value), nl=False)


@app.command()
def history(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="An LCD id such as L39314.", show_default=False)],
    indication: Annotated[
        str | None,
        typer.Option(help="Follow one indication: its abbreviation (IMNM) or words of its name."),
    ] = None,
) -> None:
    """The stored versions of an LCD, oldest first: effective dates, changes from the previous
    version by severity, and what CMS said about the revision. With --indication, the life of
    one indication: when it appeared, each change to it, when it left.

    \b
    Examples:
      lcdtrack history L39314
      lcdtrack history L39314 --indication IMNM
    """
    with run(lambda: open_store(ctx)) as store:
        document_id, _ = run(lambda: pipeline.parse_reference(reference))
        if indication:
            events = run(lambda: queries.indication_timeline(store, document_id, indication))
            typer.echo(report.render_indication_timeline(document_id, indication, events), nl=False)
        else:
            entries = run(lambda: queries.version_timeline(store, document_id))
            typer.echo(report.render_version_timeline(document_id, entries), nl=False)


@app.command()
def search(
    ctx: typer.Context,
    words: Annotated[str, typer.Argument(help="Words or a quoted phrase.", show_default=False)],
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Search every stored version, not the latest.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many hits.")] = 50,
) -> None:
    """Full-text search over the sections and indications of the latest version of every
    stored document (stemmed: "myositis" finds "Myositis").

    \b
    Example:
      lcdtrack search "necrotizing myositis"
    """
    with run(lambda: open_store(ctx)) as store:
        hits = run(lambda: queries.search(store, words, all_versions, limit))
    typer.echo(report.render_search(words, hits), nl=False)


def _iso(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise LcdtrackError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None
