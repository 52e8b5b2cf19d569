"""`lcdtrack fetch --all` of 1,000 LCDs from a Coverage API replay on loopback (no internet).

The replay (tests/replay_server.py) serves 1,000 final LCDs synthesised from the reconstructed
L39314 v7 record. A first run fetches and stores all of them; a second run, with nothing changed
at the "CMS" end, must make no per-document data request at all.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from lcdtrack import sync
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.snapshots import SnapshotStore
from tests.replay_server import ReplayServer, synthesize_lcds


def run_once(
    server: ReplayServer, db: Path, workers: int
) -> tuple[float, int, int, dict[str, int]]:
    """One `fetch --all`: seconds, all requests, per-document data requests, outcome counts."""
    before_all, before_data = len(server.log), len(server.requests_to("/v1/data/"))
    started = time.perf_counter()
    counts = {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    with SnapshotStore(db) as store, CoverageApiClient(server.url) as api:
        plan = sync.plan(store, api)
        counts["unchanged"] += plan.skipped
        for event in sync.run(store, api, plan, workers):
            counts[event.outcome] += 1
    elapsed = time.perf_counter() - started
    data = len(server.requests_to("/v1/data/")) - before_data
    return elapsed, len(server.log) - before_all, data, counts


def bench_fetch_all(count: int = 1000, workers: int = sync.DEFAULT_WORKERS) -> list[list[str]]:
    rows: list[list[str]] = []
    with ReplayServer() as server, tempfile.TemporaryDirectory() as folder:
        synthesize_lcds(server, count)
        db = Path(folder) / "all.db"
        for name in ("first run (all new)", "second run (nothing changed)"):
            elapsed, requests, data, counts = run_once(server, db, workers)
            rows.append(
                [
                    name,
                    f"{elapsed:.2f}",
                    f"{count / elapsed:.0f}",
                    str(requests),
                    str(data),
                    f"{counts['new']}/{counts['changed']}/{counts['unchanged']}/{counts['failed']}",
                ]
            )
        size_mib = db.stat().st_size / 2**20
    rows.append(["database size", f"{size_mib:.1f} MiB", "", "", "", ""])
    return rows
