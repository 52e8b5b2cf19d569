"""When checks run: a crontab line, a systemd user timer/service pair, or a loop in a container.

    schedule → `lcdtrack check` (→ refresh → plan → deliver) every so often

The default cadence follows MCD's weekly publication: local coverage data are captured through
Sunday and published on the following Thursday (MCD-FORMATS.md §6), so the default is one
check a week, Thursdays at 18:00 local time (late enough for a US-daytime release). Shorter
cadences are allowed (`6h`, `1d`): a check with nothing new at CMS costs one report request.

The systemd service treats exit status 1 ("changes found") as success; the timer is
`Persistent`, so a machine that was off at the time runs the missed check when it wakes.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lcdtrack.alerts.errors import AlertError

DEFAULT_EVERY = "weekly"
DEFAULT_AT = "18:00"
UNIT_NAME = "lcdtrack-check"
_INTERVAL = re.compile(r"^(?P<count>\d+)\s*(?P<unit>[mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Cadence:
    """How often: in seconds (for `check --loop`), as cron fields and as a systemd calendar."""

    label: str
    seconds: int
    cron: str
    calendar: str


@dataclass(frozen=True)
class ScheduleFiles:
    crontab: str
    service: str
    timer: str


def parse_every(every: str = DEFAULT_EVERY, at: str = DEFAULT_AT) -> Cadence:
    """ "weekly" (Thursdays), "1w", "1d", "12h", "30m"… with `at` (HH:MM) for days and weeks."""
    hour, minute = _parse_at(at)
    text = every.strip().lower()
    if text in ("weekly", "1w", "7d"):
        return Cadence(
            f"weekly, Thursdays at {hour:02d}:{minute:02d}",
            _SECONDS["w"],
            f"{minute} {hour} * * 4",
            f"Thu *-*-* {hour:02d}:{minute:02d}:00",
        )
    if text == "daily":
        text = "1d"
    match = _INTERVAL.match(text)
    if not match or int(match["count"]) == 0:
        raise AlertError(f"--every {every!r}: write weekly, or a number with m, h, d (6h, 1d)")
    count, unit = int(match["count"]), match["unit"]
    seconds = count * _SECONDS[unit]
    if unit == "m" and 60 % count == 0:
        return Cadence(f"every {count} min", seconds, f"*/{count} * * * *", f"*:0/{count}:00")
    if unit == "h" and 24 % count == 0:
        cron = f"{minute} */{count} * * *"
        return Cadence(f"every {count} h", seconds, cron, f"*-*-* 0/{count}:{minute:02d}:00")
    if unit == "d" and count == 1:
        at_text = f"{hour:02d}:{minute:02d}"
        return Cadence(
            f"daily at {at_text}", seconds, f"{minute} {hour} * * *", f"*-*-* {at_text}:00"
        )
    raise AlertError(
        f"--every {every!r}: cron cannot repeat that evenly; use minutes dividing 60, hours "
        "dividing 24, 1d or weekly"
    )


def _parse_at(at: str) -> tuple[int, int]:
    match = re.match(r"^(\d{1,2}):(\d{2})$", at.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise AlertError(f"--at {at!r}: write a time of day as HH:MM (18:00)")
    return int(match[1]), int(match[2])


def schedule_files(command: Sequence[str], cadence: Cadence, folder: Path) -> ScheduleFiles:
    """The crontab line and the systemd units that run `command` in `folder` on `cadence`."""
    line = shlex.join(command)
    log = shlex.quote(str(folder / "lcdtrack-check.log"))
    crontab = f"{cadence.cron} cd {shlex.quote(str(folder))} && {line} >> {log} 2>&1"
    service = "\n".join(
        [
            "[Unit]",
            "Description=lcdtrack: check watched Medicare LCDs and send alerts",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            f"WorkingDirectory={folder}",
            "EnvironmentFile=-%h/.config/lcdtrack/env",
            f"ExecStart={line}",
            "SuccessExitStatus=1",
            "",
        ]
    )
    timer = "\n".join(
        [
            "[Unit]",
            f"Description=lcdtrack check, {cadence.label}",
            "",
            "[Timer]",
            f"OnCalendar={cadence.calendar}",
            "Persistent=true",
            f"RandomizedDelaySec={min(600, cadence.seconds // 10)}",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )
    return ScheduleFiles(crontab, service, timer)


def unit_folder(home: Path, config_home: str | None = None) -> Path:
    """Where systemd looks for user units: $XDG_CONFIG_HOME/systemd/user (~/.config/…)."""
    base = Path(config_home) if config_home else home / ".config"
    return base / "systemd" / "user"


def install(files: ScheduleFiles, folder: Path) -> list[Path]:
    """Write the service and timer into `folder`; returns the paths written."""
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, text in ((".service", files.service), (".timer", files.timer)):
            path = folder / f"{UNIT_NAME}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise AlertError(f"cannot write the systemd units in {folder} ({error})") from None
    return written


def run_every(
    run_once: Callable[[], int],
    seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    iterations: int | None = None,
) -> int:
    """Call `run_once` every `seconds` (from start to start) until `iterations` runs are done
    (forever when None); returns the last run's exit status."""
    status = 0
    done = 0
    while iterations is None or done < iterations:
        started = clock()
        status = run_once()
        done += 1
        if iterations is not None and done >= iterations:
            break
        sleep(max(0.0, seconds - (clock() - started)))
    return status
