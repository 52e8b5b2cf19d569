"""`lcdtrack fetch` and `lcdtrack import`: bring documents into the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lcdtrack import pipeline, sync
from lcdtrack.cli.app import (
    EXIT_OK,
    EXIT_TROUBLE,
    app,
    open_store,
    run,
)
from lcdtrack.fetch.bulk import LcdDownload
from lcdtrack.fetch.coverage_api import DEFAULT_API_URL, CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.progress import progress_bar
from lcdtrack.snapshots import SnapshotStore


class DocumentType(str, Enum):
    lcd = "lcd"
    proposed = "proposed"
    article = "article"


_REPORT_KINDS = {"lcd": "final", "proposed": "proposed", "article": "article"}


@app.command()
def fetch(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to fetch: ids such as L39314, L39314@7, DL39314 (proposed), A59105 "
            "(article), fetched from the Coverage API; or files: a saved Coverage API response "
            "(JSON) or an MCD LCD page saved as text (format detected).",
            show_default=False,
        ),
    ] = None,
    fetch_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Fetch every document the CMS reports list (filters below narrow it)."
        ),
    ] = False,
    doc_type: Annotated[
        list[DocumentType] | None,
        typer.Option(
            "--type", help="With --all: lcd, proposed, article (repeatable). Default lcd."
        ),
    ] = None,
    contractor: Annotated[
        str | None, typer.Option(help="With --all: contractor id(s), comma-separated.")
    ] = None,
    state: Annotated[
        str | None, typer.Option(help="With --all: state id(s), comma-separated.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="With --all: report status filter (final LCDs: A, R, F)."),
    ] = None,
    api_url: Annotated[
        str,
        typer.Option(
            envvar="LCDTRACK_API_URL", help="Coverage API base URL. Env: LCDTRACK_API_URL."
        ),
    ] = DEFAULT_API_URL,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="With --all: documents fetched at once.")
    ] = sync.DEFAULT_WORKERS,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the server on each request.")
    ] = HttpPolicy.timeout,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            envvar="LCDTRACK_RETRIES",
            help="Retries on 429, 5xx and network errors (exponential back-off with jitter; "
            "Retry-After is honoured). Env: LCDTRACK_RETRIES.",
        ),
    ] = HttpPolicy.retries,
    extractor: Annotated[
        str | None,
        typer.Option(help="Force an extractor for files (see `lcdtrack extractors`)."),
    ] = None,
) -> None:
    """Fetch LCDs and store each version as a snapshot (identical content is stored once).

    By id, from the CMS Coverage API (an LCD comes with its companions and its Billing and
    Coding articles, so its record carries the ICD-10 and CPT/HCPCS codes); or from saved files.
    With --all, every document the reports list whose version or update date differs from what
    is stored; unchanged documents cost no request.

    Exit status 0 if everything was stored, 2 if anything failed (the rest is still stored).

    \b
    Examples:
      lcdtrack fetch L39314 DL39314
      lcdtrack fetch L39314@7 lcd_39313_ver_19.json
      lcdtrack fetch --all --contractor 269 --type lcd --type article
    """
    if not sources and not fetch_all:
        typer.echo("Error: give ids or files to fetch, or --all", err=True)
        raise typer.Exit(EXIT_TROUBLE)
    failed = False
    http = HttpClient(HttpPolicy(timeout=timeout, retries=retries, backoff=_backoff()))
    with (
        run(lambda: open_store(ctx, create=True)) as store,
        CoverageApiClient(api_url, http) as api,
    ):
        if sources:
            failed |= _fetch_sources(store, api, sources, extractor)
        if fetch_all:
            kinds = tuple(_REPORT_KINDS[t.value] for t in doc_type or [DocumentType.lcd])
            filters = {
                key: value
                for key, value in (
                    ("contractor_id", contractor),
                    ("state_id", state),
                    ("status", status),
                )
                if value
            }
            failed |= _sync(store, api, kinds, filters, workers)
    raise typer.Exit(EXIT_TROUBLE if failed else EXIT_OK)


def _backoff() -> float:
    """First back-off step in seconds (doubling each retry); LCDTRACK_BACKOFF overrides it."""
    try:
        return float(os.environ.get("LCDTRACK_BACKOFF", HttpPolicy.backoff))
    except ValueError:
        return HttpPolicy.backoff


def _fetch_sources(
    store: SnapshotStore, api: CoverageApiClient, sources: list[str], extractor: str | None
) -> bool:
    failed = False
    for outcome in pipeline.fetch_all(store, sources, extractor, api):
        if outcome.error is not None or outcome.result is None:
            failed = True
            typer.echo(f"Error: {outcome.error}", err=True)
            continue
        snapshot = outcome.result.snapshot
        state = "new" if outcome.result.created else "unchanged"
        typer.echo(f"{snapshot.label:<16} {state:<9} {snapshot.extractor:<14} {outcome.source}")
    return failed


def _sync(
    store: SnapshotStore,
    api: CoverageApiClient,
    kinds: tuple[str, ...],
    filters: dict[str, str],
    workers: int,
) -> bool:
    sync_plan = run(lambda: sync.plan(store, api, kinds, filters))
    counts = {"new": 0, "changed": 0, "unchanged": sync_plan.skipped, "failed": 0}
    with progress_bar(len(sync_plan.to_fetch), "Fetching") as advance:
        for event in sync.run(store, api, sync_plan, workers):
            counts[event.outcome] += 1
            if event.error:
                typer.echo(f"Error: {event.error}", err=True)
            advance(event.label)
    typer.echo(
        f"{len(sync_plan.rows)} documents in the reports: {counts['new']} new, "
        f"{counts['changed']} changed, {counts['unchanged']} unchanged, {counts['failed']} failed "
        f"({api.http.requests} requests)"
    )
    return counts["failed"] > 0


@app.command("import")
def import_download(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="An MCD bulk download: current_lcd.zip or all_lcd.zip as downloaded, its inner "
            "*_csv.zip, or a folder of its CSV files.",
            show_default=False,
        ),
    ],
) -> None:
    """Import every LCD version of an MCD bulk download as snapshots (identical content is
    stored once; each version lands in its own transaction, so an interrupted import can simply
    be run again).

    Exit status 0 if every row was stored, 2 if any failed (the rest is still stored).

    \b
    Examples:
      lcdtrack import current_lcd.zip
      lcdtrack import current_lcd_csv/
    """
    counts = {"new": 0, "unchanged": 0, "failed": 0}
    with (
        run(lambda: open_store(ctx, create=True)) as store,
        run(lambda: pipeline.open_download(path)) as download,
    ):
        total = run(download.count)
        with progress_bar(total, "Importing") as advance:
            run(lambda: _import_rows(store, download, counts, advance))
    typer.echo(
        f"{total} LCD versions in {path.name}: {counts['new']} new, "
        f"{counts['unchanged']} unchanged, {counts['failed']} failed"
    )
    raise typer.Exit(EXIT_TROUBLE if counts["failed"] else EXIT_OK)


def _import_rows(
    store: SnapshotStore,
    download: LcdDownload,
    counts: dict[str, int],
    advance: Callable[[str], None],
) -> None:
    for outcome in pipeline.import_download(store, download):
        if outcome.error is not None or outcome.result is None:
            counts["failed"] += 1
            typer.echo(f"Error: {outcome.error}", err=True)
            advance(outcome.source)
            continue
        counts["new" if outcome.result.created else "unchanged"] += 1
        advance(outcome.result.snapshot.label)
