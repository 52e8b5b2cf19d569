"""Concurrency: lcdtrack processes sharing one database at once. Every one of them finishes
(no "database is locked"), each version is stored once (no duplicate snapshot), and the result
is what running them one after the other gives."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lcdtrack.snapshots.migrations import migrations
from tests.replay_server import synthesize_lcds
from tests.robustness_helpers import (
    CLI_TIMEOUT_S,
    FaultyReplayServer,
    cli_env,
    contents,
    many_lcds_download,
    problems,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
    run_cli,
    start_cli,
)

LCDS = 120
OPENERS = 4
ROUNDS = 3
OPEN_AT_ONCE = """
import sys, time
from lcdtrack.snapshots import SnapshotStore
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
SnapshotStore(sys.argv[1]).close()
"""


@pytest.fixture
def server() -> Iterator[FaultyReplayServer]:
    with FaultyReplayServer() as running:
        synthesize_lcds(running, LCDS)
        yield running


def _finish(*processes: subprocess.Popen[str]) -> list[tuple[int, str, str]]:
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
        results.append((process.returncode, stdout, stderr))
    return results


def _assert_all_succeeded(results: list[tuple[int, str, str]]) -> None:
    for code, stdout, stderr in results:
        assert "locked" not in stderr and "Traceback" not in stderr, stderr
        assert code == 0, stdout + stderr


def test_processes_creating_one_database_at_once_all_open_it(tmp_path: Path) -> None:
    """The first opening of a database migrates it: processes doing it in the same instant
    all succeed and every migration is applied exactly once."""
    for round_ in range(ROUNDS):
        db = tmp_path / f"new-{round_}.db"
        start_at = str(time.time() + 0.8)  # after every process has imported lcdtrack
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_ONCE, str(db), start_at],
                env=cli_env(db),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(OPENERS)
        ]
        for opener in openers:
            _, stderr = opener.communicate(timeout=CLI_TIMEOUT_S)
            assert opener.returncode == 0, stderr
        conn = sqlite3.connect(db)
        applied = conn.execute(
            "select name, count(*) from _sqlite_migrations where migration_set = 'lcdtrack' "
            "group by name"
        ).fetchall()
        conn.close()
        assert sorted(applied) == sorted((m.name, 1) for m in migrations._migrations)
        assert problems(db) == []


@pytest.mark.slow
def test_two_fetch_all_at_once_store_each_version_once(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    args = ("fetch", "--all", "--api-url", server.url)
    clean = tmp_path / "clean.db"
    assert run_cli(clean, *args).returncode == 0
    db = tmp_path / "shared.db"
    _assert_all_succeeded(_finish(start_cli(db, *args), start_cli(db, *args)))
    assert problems(db) == []  # no duplicate (document, version, record hash) among them
    assert contents(db) == contents(clean)


@pytest.mark.slow
def test_two_imports_at_once_store_each_version_once(tmp_path: Path) -> None:
    download = many_lcds_download(tmp_path / "download", LCDS // 2)
    clean = tmp_path / "clean.db"
    assert run_cli(clean, "import", str(download)).returncode == 0
    db = tmp_path / "shared.db"
    _assert_all_succeeded(
        _finish(start_cli(db, "import", str(download)), start_cli(db, "import", str(download)))
    )
    assert problems(db) == []
    assert contents(db) == contents(clean)


@pytest.mark.slow
def test_fetch_and_import_at_once_give_what_one_after_the_other_gives(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    download = many_lcds_download(tmp_path / "download", 40, first_id=70000)
    fetch = ("fetch", "--all", "--api-url", server.url)
    clean = tmp_path / "clean.db"
    assert run_cli(clean, *fetch).returncode == 0
    assert run_cli(clean, "import", str(download)).returncode == 0
    db = tmp_path / "shared.db"
    _assert_all_succeeded(_finish(start_cli(db, *fetch), start_cli(db, "import", str(download))))
    assert problems(db) == []
    assert contents(db) == contents(clean)


@pytest.mark.parametrize("database", ["existing", "new"])
def test_a_writer_holding_the_lock_is_waited_for(tmp_path: Path, database: str) -> None:
    """Another process holds the write lock for 1.5 s: an import waits for it, then completes,
    instead of failing with "database is locked". On a new file (still in rollback-journal
    mode) the lock blocks the switch to WAL, for which SQLite's busy timeout does not wait."""
    download = many_lcds_download(tmp_path / "download", 3)
    db = tmp_path / "held.db"
    if database == "existing":
        assert run_cli(db, "import", str(download)).returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    importer = start_cli(db, "import", str(download))
    time.sleep(1.5)
    assert importer.poll() is None, "the import should be waiting for the lock"
    holder.execute("ROLLBACK")
    holder.close()
    _assert_all_succeeded(_finish(importer))
    assert problems(db) == []
