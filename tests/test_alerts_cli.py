"""The alert commands as text: `watch add|list|remove`, `schedule` (crontab, systemd units,
`--install` into a temporary HOME), `check --loop`, and the check lock on its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import lcdtrack.cli.alerting  # noqa: F401  (registers the alert commands on the app)
from lcdtrack.alerts import AlertError, CheckLocked
from lcdtrack.alerts.locks import check_lock
from lcdtrack.alerts.schedule import parse_every, run_every
from lcdtrack.cli import app
from tests.replay_server import ReplayServer, synthesize_lcds


def invoke(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        app, ["--db", str(db), *args], env={"LCDTRACK_CONFIG": None, **(env or {})}
    )


def test_watch_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    added = invoke(
        db,
        "watch",
        "add",
        "l39314",
        "DL39314",
        "--contractor",
        "269",
        "--type",
        "proposed",
        "--keyword",
        "immune globulin",
        "--min-severity",
        "high",
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines() == [
        "watch 1: L39314",
        "watch 2: DL39314",
        "watch 3: contractor 269",
        "watch 4: keyword immune globulin",
    ]
    listing = invoke(db, "watch", "list").stdout.splitlines()
    assert listing[0].split() == ["1", "L39314", "high", "all", "notifiers", "not", "stored", "yet"]
    assert "report query (proposed)" in listing[2]
    assert "no stored document matches yet" in listing[3]
    removed = invoke(db, "watch", "remove", "2", "9")
    assert removed.exit_code == 2
    assert "removed watch 2" in removed.stdout and "Error: no watch with id 9" in removed.stderr
    assert len(invoke(db, "watch", "list").stdout.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["L39314@7"], "watch a document, not one version (write L39314)"),
        (["X1"], "is not an LCD id"),
        (["--code", "no such"], "is not a CPT/HCPCS or ICD-10 code"),
        (["--keyword", "ab"], "at least three characters"),
        (["L39314", "--notifier", "team"], "no notifier named team in the config"),
        ([], "say what to watch"),
    ],
)
def test_watch_add_rejects_what_it_cannot_watch(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = invoke(tmp_path / "w.db", "watch", "add", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_a_watch_is_added_once(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    invoke(db, "watch", "add", "L39314")
    again = invoke(db, "watch", "add", "L39314")
    assert again.exit_code == 2 and "L39314 is already watched (watch 1)" in again.stderr


def test_reading_commands_need_the_database(tmp_path: Path) -> None:
    result = invoke(tmp_path / "missing.db", "watch", "list")
    assert result.exit_code == 2 and "no such database" in result.stderr


# -- schedule ----------------------------------------------------------------------------------


def test_schedule_defaults_to_thursdays(tmp_path: Path) -> None:
    result = invoke(tmp_path / "s.db", "schedule")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# weekly, Thursdays at 18:00"
    cron = lines[2]
    assert cron.startswith("0 18 * * 4 cd ") and "-m lcdtrack --db" in cron
    assert f"{tmp_path / 's.db'} check" in cron and cron.endswith("lcdtrack-check.log 2>&1")
    assert "OnCalendar=Thu *-*-* 18:00:00" in result.stdout
    assert "SuccessExitStatus=1" in result.stdout and "Persistent=true" in result.stdout


def test_schedule_install_writes_user_units(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = invoke(
        tmp_path / "s.db",
        "schedule",
        "--every",
        "6h",
        "--install",
        env={"HOME": str(home), "XDG_CONFIG_HOME": None},
    )
    assert result.exit_code == 0, result.output
    folder = home / ".config" / "systemd" / "user"
    service = (folder / "lcdtrack-check.service").read_text()
    timer = (folder / "lcdtrack-check.timer").read_text()
    assert "Type=oneshot" in service and f"--db {tmp_path / 's.db'} check" in service
    assert "OnCalendar=*-*-* 0/6:00:00" in timer and "WantedBy=timers.target" in timer
    assert "systemctl --user enable --now lcdtrack-check.timer" in result.stdout


@pytest.mark.parametrize(
    ("every", "at", "cron", "calendar", "seconds"),
    [
        ("weekly", "06:30", "30 6 * * 4", "Thu *-*-* 06:30:00", 604800),
        ("1d", "07:05", "5 7 * * *", "*-*-* 07:05:00", 86400),
        ("6h", "18:00", "0 */6 * * *", "*-*-* 0/6:00:00", 21600),
        ("15m", "18:00", "*/15 * * * *", "*:0/15:00", 900),
    ],
)
def test_cadences(every: str, at: str, cron: str, calendar: str, seconds: int) -> None:
    cadence = parse_every(every, at)
    assert (cadence.cron, cadence.calendar, cadence.seconds) == (cron, calendar, seconds)


@pytest.mark.parametrize(
    ("every", "at"), [("7h", "18:00"), ("2d", "18:00"), ("soon", "18:00"), ("1d", "25:00")]
)
def test_cadences_cron_cannot_say_are_refused(every: str, at: str) -> None:
    with pytest.raises(AlertError):
        parse_every(every, at)


# -- the loop ----------------------------------------------------------------------------------


def test_the_loop_sleeps_between_checks() -> None:
    sleeps: list[float] = []
    runs: list[int] = []
    ticks = iter([0.0, 5.0, 100.0, 102.0])
    status = run_every(
        lambda: runs.append(1) or len(runs), 3600, sleeps.append, lambda: next(ticks), iterations=2
    )
    assert (runs, sleeps, status) == ([1, 1], [3595.0], 2)


def test_check_loop_runs_one_iteration(tmp_path: Path) -> None:
    db = tmp_path / "loop.db"
    with ReplayServer() as server:
        synthesize_lcds(server, 1)
        invoke(db, "watch", "add", "L50000")
        result = invoke(
            db, "check", "--loop", "--every", "6h", "--iterations", "1", "--api-url", server.url
        )
    assert result.exit_code == 0, result.output
    assert "1 documents checked for 1 watches (1 fetched" in result.stdout


# -- the lock ----------------------------------------------------------------------------------


def test_the_lock_waits_then_gives_up(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    with check_lock(db, wait=0) as path:
        assert path.name == "l.db.check-lock"
        with (
            pytest.raises(CheckLocked, match=r"gave up after waiting 0.05 s"),
            check_lock(db, wait=0.05),
        ):
            pass
    with check_lock(db, wait=0):  # released
        pass


def test_a_waiting_check_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    acquired = threading.Event()
    with check_lock(db, wait=0):
        waiter = threading.Thread(target=lambda: _hold(db, acquired))
        waiter.start()
        assert not acquired.wait(0.2)
    waiter.join(5)
    assert acquired.is_set()


def _hold(db: Path, acquired: threading.Event) -> None:
    with check_lock(db, wait=5):
        acquired.set()
