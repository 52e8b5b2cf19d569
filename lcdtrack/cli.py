"""The `lcdtrack` command line: each command parses options, makes one library call, renders
the result and picks the exit status. Library errors become one `Error: …` line, exit 2.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from lcdtrack import pipeline, report, sync
from lcdtrack.errors import EXIT_CHANGES, EXIT_OK, EXIT_TROUBLE, LcdtrackError
from lcdtrack.extractors import EXTRACTORS
from lcdtrack.fetch.coverage_api import DEFAULT_API_URL, CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.progress import progress_bar
from lcdtrack.snapshots import SnapshotStore

app = typer.Typer(
    name="lcdtrack",
    help=(
        "Track how Medicare Local Coverage Determinations (LCDs) change.\n\n"
        "Fetch LCD versions into a local SQLite history, then ask what changed in the terms a "
        "reader uses: indications added or removed, criteria and doses changed, sections "
        "reworded.\n\n"
        "Try it offline: lcdtrack demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

T = TypeVar("T")
DEFAULT_DB = "lcdtrack.db"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class Severity(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class RecordFormat(str, Enum):
    text = "text"
    json = "json"


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path,
        typer.Option(
            "--db",
            envvar="LCDTRACK_DB",
            help="SQLite history file (created if missing). Env: LCDTRACK_DB.",
            show_default=True,
        ),
    ] = Path(DEFAULT_DB),
) -> None:
    ctx.obj = db


def _open(ctx: typer.Context, create: bool = False) -> SnapshotStore:
    """The store named by --db; reading commands never create an empty one."""
    return SnapshotStore(ctx.obj, create=create)


def _run(action: Callable[[], T]) -> T:
    """Call the library; turn its errors into one line on stderr and exit status 2."""
    try:
        return action()
    except LcdtrackError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(EXIT_TROUBLE) from None


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
    with _run(lambda: _open(ctx, create=True)) as store, CoverageApiClient(api_url, http) as api:
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
    sync_plan = _run(lambda: sync.plan(store, api, kinds, filters))
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
    with _run(lambda: _open(ctx)) as store:
        snapshot = _run(lambda: pipeline.resolve(store, reference))
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
    with _run(lambda: _open(ctx)) as store:
        entries = _run(lambda: pipeline.history(store, reference))
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
) -> None:
    """Show what changed between two stored LCD versions, in coverage terms.

    Reports indications added, removed, renamed or changed (criteria, doses, age limits, lab
    thresholds, time windows with tightened/loosened, stance, wording), codes added, removed or
    moved, dates and status, and a word-level diff of each reworded section, each with a
    severity. CMS's own explanation of the change is shown beside it, and where it disagrees
    with what was found, that is flagged. Reformatting is never a change.

    Exit status as diff(1): 0 no changes, 1 changes, 2 trouble.

    Examples:
      lcdtrack diff DL39314 L39314
      lcdtrack diff --proposed L39314
      lcdtrack diff L39314
      lcdtrack diff L39314@7 L39314@11 --format json --min-severity medium
    """
    if proposed and new is not None:
        typer.echo("Error: --proposed takes one id, the final LCD", err=True)
        raise typer.Exit(EXIT_TROUBLE)
    with _run(lambda: _open(ctx)) as store:
        if proposed:
            comparison = _run(lambda: pipeline.diff_proposed(store, old, min_severity.value))
        else:
            comparison = _run(lambda: pipeline.diff(store, old, new, min_severity.value))
    typer.echo(report.render(comparison, fmt.value), nl=False)
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
) -> None:
    """Offline demo: load the bundled proposed DL39314 and final L39314 (IVIG) into a fresh
    database and show what the final LCD changed. No network is used.
    """

    def run(path: Path) -> None:
        with SnapshotStore(path) as store:
            comparison = _run(lambda: pipeline.demo(store))
        typer.echo(report.render(comparison, fmt.value), nl=False)

    if keep is not None:
        if keep.exists():
            typer.echo(f"Error: {keep} exists; the demo writes a fresh database", err=True)
            raise typer.Exit(EXIT_TROUBLE)
        run(keep)
        typer.echo(
            f"\nDemo database kept at {keep}; try: lcdtrack --db {keep} show L39314", err=True
        )
        return
    with tempfile.TemporaryDirectory(prefix="lcdtrack-demo-") as folder:
        run(Path(folder) / "demo.db")


@app.command("extractors")
def list_extractors() -> None:
    """List the registered extractors (source formats lcdtrack reads)."""
    for extractor in EXTRACTORS.values():
        typer.echo(f"{extractor.name:<16} v{extractor.version}  {extractor.description}")


if __name__ == "__main__":  # pragma: no cover
    app(prog_name=os.path.basename(__file__))
