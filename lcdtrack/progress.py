"""A progress bar for long runs (rich), drawn on stderr only when it is a terminal.

Lives at the edge with the CLI: the library reports progress as events, this draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[str], None]]:
    """Yield `advance(label)`; shows `description`, a bar, n/total, elapsed and remaining."""
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        disable=not console.is_terminal,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total, current="")

        def advance(label: str) -> None:
            progress.update(task, advance=1, current=label)

        yield advance
