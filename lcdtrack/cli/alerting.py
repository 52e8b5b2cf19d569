"""`lcdtrack watch`, `check`, `notify` and `schedule`: the alert stage at the command line."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from lcdtrack import alerts, sync
from lcdtrack.alerts.check import CheckOptions, CheckResult
from lcdtrack.alerts.config import DEFAULT_CONFIG, AlertConfig, load_config
from lcdtrack.alerts.delivery import send_test
from lcdtrack.alerts.notifiers import NOTIFIERS, NotifierContext, Notifiers
from lcdtrack.alerts.schedule import (
    DEFAULT_AT,
    DEFAULT_EVERY,
    UNIT_NAME,
    install,
    parse_every,
    run_every,
    schedule_files,
    unit_folder,
)
from lcdtrack.alerts.watches import add_watch, covered_now
from lcdtrack.cli.app import EXIT_OK, EXIT_TROUBLE, Severity, app, open_store, run
from lcdtrack.cli.fetching import DocumentType
from lcdtrack.errors import LcdtrackError
from lcdtrack.fetch.coverage_api import DEFAULT_API_URL, CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.snapshots.alert_store import AlertStore

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="LCDTRACK_CONFIG",
        help=f"Notifier and check settings (default ./{DEFAULT_CONFIG} if present). "
        "Env: LCDTRACK_CONFIG.",
        show_default=False,
    ),
]
_REPORT_KINDS = {"lcd": "final", "proposed": "proposed", "article": "article"}

watch_app = typer.Typer(
    help="The watch list: what `lcdtrack check` looks at and who hears about it.",
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


def _config(path: Path | None) -> AlertConfig:
    return run(lambda: load_config(path))


def _notifiers(config: AlertConfig) -> Notifiers:
    return Notifiers(config, NotifierContext(os.environ, sys.stdout, config.folder))


@watch_app.command("add")
def watch_add(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(help="Documents: L39314, DL39314 (proposed), A59105.", show_default=False),
    ] = None,
    contractor: Annotated[
        list[str] | None, typer.Option(help="A contractor id (the CMS report's filter).")
    ] = None,
    state: Annotated[
        list[str] | None, typer.Option(help="A state id (the report's filter).")
    ] = None,
    keyword: Annotated[
        list[str] | None, typer.Option(help="Words in a stored document's title or text.")
    ] = None,
    code: Annotated[
        list[str] | None,
        typer.Option(help="A code (J1459), found in stored Billing and Coding code tables."),
    ] = None,
    min_severity: Annotated[
        Severity, typer.Option(help="Alert only on changes of this severity or higher.")
    ] = Severity.low,
    notifier: Annotated[
        list[str] | None,
        typer.Option("--notifier", "-n", help="Send to this notifier (repeatable; default all)."),
    ] = None,
    doc_type: Annotated[
        list[DocumentType] | None,
        typer.Option("--type", help="For --contractor/--state: lcd, proposed, article."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Watch documents, a contractor's or state's documents, a keyword or a code.

    \b
    Examples:
      lcdtrack watch add L39314 DL39314
      lcdtrack watch add --contractor 269 --type lcd --type proposed --min-severity medium
      lcdtrack watch add --code J1459 --notifier team-email
    """
    targets = [("document", v) for v in ids or []]
    targets += [("contractor", v) for v in contractor or []]
    targets += [("state", v) for v in state or []]
    targets += [("keyword", v) for v in keyword or []]
    targets += [("code", v) for v in code or []]
    if not targets:
        typer.echo(
            "Error: say what to watch: ids, --contractor, --state, --keyword or --code", err=True
        )
        raise typer.Exit(EXIT_TROUBLE)
    configured = _config(config).notifiers
    kinds = [_REPORT_KINDS[t.value] for t in doc_type or [DocumentType.lcd]]
    with run(lambda: open_store(ctx, create=True)) as store:
        store_alerts = AlertStore(store)
        for kind, value in targets:
            add = partial(add_watch, store_alerts, kind, value, min_severity.value)
            watch = run(partial(add, notifier or [], kinds, configured))
            typer.echo(f"watch {watch.id}: {watch.label}")


@watch_app.command("list")
def watch_list(ctx: typer.Context) -> None:
    """List the watches: id, target, least severity, notifiers, what is stored for it now."""
    with run(lambda: open_store(ctx)) as store:
        store_alerts = AlertStore(store)
        for watch in store_alerts.watches():
            names = ", ".join(watch.notifiers) or "all notifiers"
            typer.echo(
                f"{watch.id:>4}  {watch.label:<24} {watch.min_severity:<6}  {names:<24}  "
                f"{covered_now(store_alerts, watch)}"
            )


@watch_app.command("remove")
def watch_remove(
    ctx: typer.Context,
    watch_ids: Annotated[list[int], typer.Argument(help="Watch ids (see `watch list`).")],
) -> None:
    """Stop watching (what was stored and sent stays)."""
    missing = []
    with run(lambda: open_store(ctx)) as store:
        store_alerts = AlertStore(store)
        for watch_id in watch_ids:
            if store_alerts.remove_watch(watch_id):
                typer.echo(f"removed watch {watch_id}")
            else:
                missing.append(watch_id)
    for watch_id in missing:
        typer.echo(f"Error: no watch with id {watch_id}", err=True)
    raise typer.Exit(EXIT_TROUBLE if missing else EXIT_OK)


@app.command()
def check(
    ctx: typer.Context,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and store, but send and record no alert.")
    ] = False,
    digest: Annotated[
        bool, typer.Option("--digest", help="One message per notifier for this check.")
    ] = False,
    api_url: Annotated[
        str | None,
        typer.Option(
            envvar="LCDTRACK_API_URL", help="Coverage API base URL. Env: LCDTRACK_API_URL."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the server on each request.")
    ] = HttpPolicy.timeout,
    retries: Annotated[
        int, typer.Option(min=0, envvar="LCDTRACK_RETRIES", help="Retries per request.")
    ] = HttpPolicy.retries,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="Documents fetched at once.")
    ] = sync.DEFAULT_WORKERS,
    wait: Annotated[
        float | None,
        typer.Option(min=0, help="Seconds to wait for another running check (default 10)."),
    ] = None,
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running, one check every --every.")
    ] = False,
    every: Annotated[str, typer.Option(help="With --loop: weekly, 1d, 6h, 30m…")] = DEFAULT_EVERY,
    iterations: Annotated[
        int | None, typer.Option(min=1, help="With --loop: stop after this many checks.")
    ] = None,
) -> None:
    """Fetch what the watches cover, store new versions, and alert each notifier once per
    change (and once when a document cannot be checked, once when it recovers).

    Exit status: 0 no change, 1 changes, 2 failures (a document, a delivery, the config).

    \b
    Examples:
      lcdtrack check
      lcdtrack check --dry-run
      lcdtrack check --loop --every 6h
    """
    settings = _config(config)
    notifiers = _notifiers(settings)
    options = CheckOptions(
        dry_run=dry_run,
        digest=digest or settings.digest,
        failures_before_alert=settings.failures_before_alert,
        lock_wait=settings.lock_wait if wait is None else wait,
        workers=workers,
    )
    url = api_url or settings.api_url or DEFAULT_API_URL
    policy = HttpPolicy(timeout=timeout, retries=retries, backoff=_backoff())

    def once() -> int:
        try:
            with (
                open_store(ctx, create=True) as store,
                CoverageApiClient(url, HttpClient(policy)) as api,
            ):
                result = alerts.check(store, api, notifiers, options)
        except LcdtrackError as error:
            typer.echo(f"Error: {error}", err=True)
            return EXIT_TROUBLE
        _show(result)
        return result.exit_status

    if not loop:
        raise typer.Exit(once())
    cadence = run(lambda: parse_every(every))
    raise typer.Exit(run_every(once, cadence.seconds, iterations=iterations))


def _show(result: CheckResult) -> None:
    for subject, error in sorted(result.coverage.failures.items()):
        line = str(error) if str(error).startswith(subject) else f"{subject}: {error}"
        typer.echo(f"Error: {line}", err=True)
    for name, reason in result.delivery.failed:
        line = reason if reason.startswith(f"notifier {name}") else f"notifier {name}: {reason}"
        typer.echo(f"Error: {line}", err=True)
    for problem in result.plan.problems:
        typer.echo(f"Error: {problem}", err=True)
    verb = "would send" if result.dry_run else "sent"
    for message in result.planned if result.dry_run else result.delivery.sent:
        typer.echo(f"{verb:<10} {message.notifier:<14} {message.subject}")
    typer.echo(result.summary)


def _backoff() -> float:
    try:
        return float(os.environ.get("LCDTRACK_BACKOFF", HttpPolicy.backoff))
    except ValueError:
        return HttpPolicy.backoff


@app.command()
def notify(
    test: Annotated[
        str | None,
        typer.Option("--test", metavar="NAME", help="Send a test message through NAME."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """List the notifier kinds and the configured notifiers, or send a test message.

    \b
    Examples:
      lcdtrack notify
      lcdtrack notify --test team-email
    """
    settings = _config(config)
    if test is None:
        typer.echo("Notifier kinds:")
        for kind in NOTIFIERS.values():
            typer.echo(f"  {kind.name:<10} {kind.description}")
        typer.echo(f"Configured ({settings.path or 'no config file: built-in default'}):")
        for spec in settings.notifiers.values():
            typer.echo(f"  {spec.name:<14} {spec.kind}")
        return
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    message = run(lambda: send_test(_notifiers(settings), test, now))
    typer.echo(f"sent a test message to {test} (message id {message.message_id})")


@app.command()
def schedule(
    ctx: typer.Context,
    every: Annotated[
        str, typer.Option(help="weekly (Thursdays, MCD's publication day), 1d, 6h, 30m…")
    ] = DEFAULT_EVERY,
    at: Annotated[str, typer.Option(help="Time of day (HH:MM) for weekly and 1d.")] = DEFAULT_AT,
    install_units: Annotated[
        bool,
        typer.Option("--install", help="Write the systemd user units (~/.config/systemd/user)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print a crontab line and a systemd user timer/service that run `lcdtrack check`.

    The default is weekly, Thursdays 18:00: MCD publishes local coverage data on Thursdays.

    \b
    Examples:
      lcdtrack schedule
      lcdtrack schedule --every 1d --at 07:30 --install
    """
    cadence = run(lambda: parse_every(every, at))
    command = [sys.executable, "-m", "lcdtrack", "--db", str(Path(ctx.obj).resolve()), "check"]
    config_path = config or (Path(DEFAULT_CONFIG) if Path(DEFAULT_CONFIG).exists() else None)
    if config_path is not None:
        command += ["--config", str(config_path.resolve())]
    files = schedule_files(command, cadence, Path.cwd())
    folder = unit_folder(Path.home(), os.environ.get("XDG_CONFIG_HOME"))
    if install_units:
        for path in run(lambda: install(files, folder)):
            typer.echo(f"wrote {path}")
        typer.echo(
            "enable it with: systemctl --user daemon-reload && "
            f"systemctl --user enable --now {UNIT_NAME}.timer"
        )
        return
    typer.echo(f"# {cadence.label}\n# crontab (crontab -e):\n{files.crontab}\n")
    typer.echo(f"# {folder / (UNIT_NAME + '.service')}\n{files.service}")
    typer.echo(f"# {folder / (UNIT_NAME + '.timer')}\n{files.timer}")
    typer.echo(
        "# then: systemctl --user daemon-reload && "
        f"systemctl --user enable --now {UNIT_NAME}.timer  (or: lcdtrack schedule --install)"
    )
