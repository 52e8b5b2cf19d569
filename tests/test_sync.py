"""`lcdtrack fetch --all`: the reports drive what is fetched; unchanged versions cost no request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lcdtrack import sync
from lcdtrack.cli import app
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.snapshots import SnapshotStore
from tests.replay_server import Fault, ReplayServer, publish_revision, synthesize_lcds


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        synthesize_lcds(running, 12)
        yield running


def _fetch_all(server: ReplayServer, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app,
        ["--db", str(db), "fetch", "--all", "--api-url", server.url, *args],
        env={"LCDTRACK_BACKOFF": "0.001"},
    )


def _data_requests(server: ReplayServer) -> int:
    return len(server.requests_to("/v1/data/"))


def test_first_run_fetches_everything_second_run_nothing(
    server: ReplayServer, tmp_path: Path
) -> None:
    db = tmp_path / "all.db"
    first = _fetch_all(server, db)
    assert first.exit_code == 0, first.output
    assert "12 documents in the reports: 12 new, 0 changed, 0 unchanged, 0 failed" in first.stdout
    before = _data_requests(server)
    second = _fetch_all(server, db)
    assert "0 new, 0 changed, 12 unchanged, 0 failed" in second.stdout
    assert _data_requests(server) == before  # not one per-document request


def test_a_new_version_is_fetched_and_reported_changed(
    server: ReplayServer, tmp_path: Path
) -> None:
    db = tmp_path / "all.db"
    _fetch_all(server, db)
    publish_revision(server, 50003, 2, lambda r: {**r, "title": "Synthetic LCD 50003 (revised)"})
    before = _data_requests(server)
    result = _fetch_all(server, db)
    assert "0 new, 1 changed, 11 unchanged, 0 failed" in result.stdout
    assert {q.get("lcdid") for _, q in server.log[-(_data_requests(server) - before) :]} == {
        "50003"
    }
    with SnapshotStore(db) as store:
        assert [s.version for s in store.history("L50003")] == [1, 2]


def test_a_failing_document_does_not_stop_the_run(server: ReplayServer, tmp_path: Path) -> None:
    server.fail("/v1/data/lcd/revision-history", *[Fault(500)] * 5)
    result = _fetch_all(server, tmp_path / "all.db", "--workers", "1")
    assert result.exit_code == 2
    assert "11 new, 0 changed, 0 unchanged, 1 failed" in result.stdout
    assert result.stderr.count("Error: ") == 1
    rerun = _fetch_all(server, tmp_path / "all.db")
    assert "1 new, 0 changed, 11 unchanged, 0 failed" in rerun.stdout  # the failure is retried


def test_plan_filters_are_passed_to_the_report(server: ReplayServer, tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "p.db") as store, CoverageApiClient(server.url) as api:
        sync.plan(store, api, ("final",), {"contractor_id": "269", "status": "A"})
    (_, query) = server.requests_to("/v1/reports/")[-1]
    assert query == {"contractor_id": "269", "status": "A"}


def test_fetch_without_sources_or_all_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "fetch"])
    assert result.exit_code == 2 and "give ids or files" in result.stderr
