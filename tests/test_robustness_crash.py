"""Crash safety: `lcdtrack fetch --all` and `lcdtrack import` SIGKILLed at random points, and an
ingest killed before each one of its SQL statements. Afterwards the database passes
`PRAGMA integrity_check`, holds no half-written snapshot (every snapshot has its raw source,
its record, all its sections, indications and codes), and running the same command again
leaves exactly what a clean, uninterrupted run leaves."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lcdtrack.fetch.local import read_file
from lcdtrack.pipeline import ingest
from lcdtrack.snapshots import SnapshotStore
from tests.conftest import case
from tests.mutate import edit_api_record
from tests.replay_server import synthesize_lcds
from tests.robustness_helpers import (
    ROOT,
    TALLY,
    FaultyReplayServer,
    cli_env,
    contents,
    kill,
    many_lcds_download,
    problems,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
    run_cli,
    snapshot_count,
    start_cli,
)

SEED = 20250817
KILLS = 6
FETCH_LCDS = 200
IMPORT_LCDS = 80  # two versions each: 160 rows


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """L39314 v7 as the corpus has it, and a v8 with a dose and a criterion changed."""
    folder = tmp_path_factory.mktemp("versions")
    raw = case("L39314_v7.coverage-api").raw()
    revised = edit_api_record(
        raw,
        {
            "indication": lambda h: h.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg").replace(
                "Confirmed diagnosis of chronic GVHD</li>",
                "Confirmed diagnosis of chronic GVHD</li><li>IgG trough level documented</li>",
            )
        },
        lcd_version=8,
    )
    paths = {"v7": folder / "L39314_v7.json", "v8": folder / "L39314_v8.json"}
    paths["v7"].write_bytes(raw.content)
    paths["v8"].write_bytes(revised.content)
    return paths


def _store_with(db: Path, *sources: Path) -> Path:
    with SnapshotStore(db) as store:
        for source in sources:
            ingest(store, read_file(source))
    return db


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stored", "ingested", "every"),
    [((), ("v7",), 5), (("v7",), ("v8",), 1), (("v8",), ("v7",), 1)],
    ids=["new-database", "after-its-predecessor", "before-its-successor"],
)
def test_killed_before_any_statement_an_ingest_leaves_a_sound_database(
    versions: dict[str, Path],
    tmp_path: Path,
    stored: tuple[str, ...],
    ingested: tuple[str, ...],
    every: int,
) -> None:
    """One run per SQL statement of the ingest that can write, each SIGKILLed just before that
    statement: every one of a save into an existing database, every 5th while a new database
    is also created and migrated."""
    base = _store_with(tmp_path / "base.db", *(versions[v] for v in stored)) if stored else None
    clean = _store_with(tmp_path / "clean.db", *(versions[v] for v in (*stored, *ingested)))
    work = tmp_path / "work"
    work.mkdir()
    command = [sys.executable, "-m", "tests.robustness_helpers", "crash-points"]
    command += ["--work", str(work), "--every", str(every)]
    command += ["--base", str(base)] if base else []
    command += [str(versions[v]) for v in ingested]
    driver = subprocess.run(
        command, cwd=ROOT, env=cli_env(tmp_path / "unused.db"), capture_output=True, text=True
    )
    assert driver.returncode == 0, driver.stderr
    crashed = [Path(p) for p in json.loads(driver.stdout)]
    TALLY["crashes"] += len(crashed)
    assert len(crashed) >= 15, "the ingest should run at least 15 SQL statements"
    expected = contents(clean)
    for db in crashed:
        assert problems(db) == [], db.name
        _store_with(db, *(versions[v] for v in ingested))  # run it again
        assert contents(db) == expected, f"re-run after {db.name} differs from a clean run"


def _kill_during_progress(
    start: Callable[[], subprocess.Popen[str]], db: Path, rng: random.Random, total: int
) -> int:
    """Start the command; SIGKILL it after a random number of new snapshots plus a random
    fraction of a second (or, once, before it stores anything). Returns kills made."""
    kills = 0
    for attempt in range(KILLS * 3):
        if kills == KILLS:
            break
        stored = snapshot_count(db)
        process = start()
        if attempt == 0:
            time.sleep(rng.uniform(0.05, 0.4))  # while starting, planning or migrating
        else:
            target = stored + rng.randint(1, max(1, (total - stored) // (KILLS - kills + 1)))
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if snapshot_count(db) >= target:
                    break
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
        kills += kill(process)
        assert problems(db) == [], f"after kill {kills}"
    return kills


@pytest.fixture
def server() -> Iterator[FaultyReplayServer]:
    with FaultyReplayServer() as running:
        synthesize_lcds(running, FETCH_LCDS)
        yield running


@pytest.mark.slow
def test_sigkill_during_fetch_all_then_a_rerun_completes(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    args = ("fetch", "--all", "--api-url", server.url)
    clean = tmp_path / "clean.db"
    first = run_cli(clean, *args)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "crashed.db"
    kills = _kill_during_progress(lambda: start_cli(db, *args), db, random.Random(SEED), FETCH_LCDS)
    assert kills == KILLS
    assert snapshot_count(db) < FETCH_LCDS, "the kills should leave work undone"
    rerun = run_cli(db, *args)
    assert rerun.returncode == 0, rerun.stderr
    assert problems(db) == []
    assert contents(db) == contents(clean)


@pytest.mark.slow
def test_sigkill_during_import_then_a_rerun_completes(tmp_path: Path) -> None:
    download = many_lcds_download(tmp_path / "download", IMPORT_LCDS)
    clean = tmp_path / "clean.db"
    first = run_cli(clean, "import", str(download))
    assert first.returncode == 0, first.stderr
    db = tmp_path / "crashed.db"
    kills = _kill_during_progress(
        lambda: start_cli(db, "import", str(download)), db, random.Random(SEED + 1), 2 * IMPORT_LCDS
    )
    assert kills == KILLS
    assert snapshot_count(db) < 2 * IMPORT_LCDS
    rerun = run_cli(db, "import", str(download))
    assert rerun.returncode == 0, rerun.stderr
    assert problems(db) == []
    assert contents(db) == contents(clean)
