"""The typer app, its global options and what every command shares: opening the store and
turning library errors into one `Error: …` line with exit status 2."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from lcdtrack.errors import EXIT_CHANGES, EXIT_OK, EXIT_TROUBLE, LcdtrackError
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
    html = "html"
    json = "json"
    jsonl = "jsonl"


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


def open_store(ctx: typer.Context, create: bool = False) -> SnapshotStore:
    """The store named by --db; reading commands never create an empty one."""
    return SnapshotStore(ctx.obj, create=create)


def run(action: Callable[[], T]) -> T:
    """Call the library; turn its errors into one line on stderr and exit status 2."""
    try:
        return action()
    except LcdtrackError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(EXIT_TROUBLE) from None


__all__ = ["EXIT_CHANGES", "EXIT_OK", "EXIT_TROUBLE", "app", "open_store", "run"]
