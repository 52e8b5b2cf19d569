"""`lcdtrack check` of 1,000 watched LCDs on a loopback Coverage API replay with nothing changed,
beside urlwatch checking the same 1,000 documents' URLs on the same server.

The replay (tests/replay_server.py) serves 1,000 final LCDs synthesised from L39314 v7. A first
check fetches and stores them all (each notifier's baseline); the measured checks then find
nothing new. lcdtrack reads the CMS final-LCD report and skips every version whose report row
is unchanged since it was stored, so it makes one request in all; urlwatch, a generic page
watcher, GETs every document (`/v1/data/lcd/?lcdid=…&ver=1`, with the licence token) and
compares it with its cache. Both are timed as a new process, as cron or a systemd timer runs
them (interpreter start-up included); lcdtrack is also timed in process.

urlwatch is not a dependency of lcdtrack: install it into the benchmark environment
(`pip install urlwatch`); without it the urlwatch row says so and lcdtrack's figures still print.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.replay_server

from lcdtrack.alerts import CheckOptions, NotifierContext, Notifiers, add_watch, check
from lcdtrack.alerts.config import AlertConfig
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.alert_store import AlertStore
from tests.replay_server import TOKEN, ReplayServer, synthesize_lcds

CLI = "import lcdtrack.cli.alerting; from lcdtrack.cli import app; app()"


def check_in_process(server: ReplayServer, db: Path) -> tuple[float, int, int]:
    """One check through the library: seconds, requests made, documents checked."""
    notifiers = Notifiers(AlertConfig(notifiers={}), NotifierContext({}, io.StringIO(), db.parent))
    before = len(server.log)
    started = time.perf_counter()
    with SnapshotStore(db) as store, CoverageApiClient(server.url) as api:
        result = check(store, api, notifiers, CheckOptions())
    elapsed = time.perf_counter() - started
    if result.failed:
        raise RuntimeError(f"the benchmark check failed: {result.summary}")
    return elapsed, len(server.log) - before, result.documents


def check_process(server: ReplayServer, db: Path) -> tuple[float, int]:
    """`lcdtrack --db DB check` as a new process: seconds and requests."""
    command = [sys.executable, "-c", CLI, "--db", str(db), "check", "--api-url", server.url]
    env = {**os.environ, "LCDTRACK_CONFIG": str(db.parent / "none.toml")}
    (db.parent / "none.toml").write_text("")
    return _timed_process(server, command, env, expect=(0,))


def urlwatch_process(server: ReplayServer, ids: list[int], folder: Path) -> tuple[float, int]:
    """urlwatch on the same documents: a first run to fill its cache, then the timed run."""
    executable = shutil.which("urlwatch") or str(Path(sys.executable).with_name("urlwatch"))
    jobs = [
        {
            "name": f"L{number}",
            "url": f"{server.url}/v1/data/lcd/?lcdid={number}&ver=1",
            "headers": {"Authorization": f"Bearer {TOKEN}"},
        }
        for number in ids
    ]
    urls = folder / "urls.yaml"
    urls.write_text("\n---\n".join(json.dumps(job) for job in jobs) + "\n")
    files = {"--urls": urls, "--config": folder / "urlwatch.yaml", "--hooks": folder / "hooks.py"}
    files["--cache"] = folder / "cache.db"
    command = [executable, *(part for flag, path in files.items() for part in (flag, str(path)))]
    env = {**os.environ, "HOME": str(folder)}
    _timed_process(server, command, env, expect=(0,))
    return _timed_process(server, command, env, expect=(0,))


def _timed_process(
    server: ReplayServer, command: list[str], env: dict[str, str], expect: tuple[int, ...]
) -> tuple[float, int]:
    before = len(server.log)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in expect:
        raise RuntimeError(f"{command[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed, len(server.log) - before


def urlwatch_installed() -> bool:
    return bool(shutil.which("urlwatch") or Path(sys.executable).with_name("urlwatch").exists())


def bench_check(count: int = 1000) -> list[list[str]]:
    """Rows: what was run, seconds, requests, documents/s."""
    rows: list[list[str]] = []
    with ReplayServer() as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ids = synthesize_lcds(server, count)
        db = folder / "check.db"
        with SnapshotStore(db) as store:
            alerts = AlertStore(store)
            for number in ids:
                add_watch(alerts, "document", f"L{number}")
        elapsed, requests, _ = check_in_process(server, db)
        rows.append(_row("lcdtrack check, first (fetch all, baseline)", elapsed, requests, count))
        elapsed, requests, documents = check_in_process(server, db)
        if documents != count:
            raise RuntimeError(f"checked {documents} documents, not {count}")
        rows.append(_row("lcdtrack check, nothing changed (in process)", elapsed, requests, count))
        ours, requests = check_process(server, db)
        rows.append(_row("lcdtrack check, nothing changed (process)", ours, requests, count))
        if not urlwatch_installed():
            rows.append(["urlwatch, nothing changed (process)", "urlwatch not installed", "", ""])
            return rows
        theirs, requests = urlwatch_process(server, ids, folder)
        rows.append(_row("urlwatch, nothing changed (process)", theirs, requests, count))
    rows.append(["ratio urlwatch / lcdtrack (processes)", f"{theirs / ours:.1f}x", "", ""])
    return rows


def _row(name: str, seconds: float, requests: int, count: int) -> list[str]:
    return [name, f"{seconds:.2f}", str(requests), f"{count / seconds:.0f}"]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rows = bench_check(count)
    headers = ["run", "seconds", "requests", "docs/s"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(f"check of {count:,} watched LCDs on a loopback replay, nothing changed at CMS")
    for row in [headers, ["-" * w for w in widths], *rows]:
        first, *rest = zip(row, widths, strict=True)
        print("  " + "  ".join([first[0].ljust(first[1]), *(c.rjust(w) for c, w in rest)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
