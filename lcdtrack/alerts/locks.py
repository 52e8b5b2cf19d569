"""One `check` at a time per database: an exclusive `flock` on a lock file next to it.

A second check waits up to `wait` seconds for the first, then gives up with `CheckLocked`
(exit status 2). The lock belongs to the open file, so it is released when the holder exits,
even if it crashes; the file itself (with the holder's pid, for people) stays and is harmless.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lcdtrack.alerts.errors import CheckLocked

POLL_SECONDS = 0.05


def lock_path(database: str | Path) -> Path:
    return Path(f"{database}.check-lock")


@contextmanager
def check_lock(
    database: str | Path,
    wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Path]:
    """Hold the check lock of `database` for the duration of the block."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = clock() + wait
        while not _try_lock(descriptor):
            if clock() >= deadline:
                holder = path.read_text(encoding="utf-8", errors="replace").strip() or "?"
                raise CheckLocked(
                    f"another lcdtrack check is running on {database} (pid {holder}, lock "
                    f"{path}); gave up after waiting {wait:g} s"
                )
            sleep(POLL_SECONDS)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        try:
            yield path
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
