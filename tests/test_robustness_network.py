"""Network faults on loopback, through the real command line: connection resets, truncated and
stalled bodies, slow drips, wrong content types, error pages served with 200, malformed JSON,
huge responses. Each is retried or ends in one named `Error:` line (exit 2, no traceback), and
nothing is ever stored from a faulty answer: not an error page, not an LCD missing the codes
of an article that failed. `tests/test_fetch.py` covers the client's retry rules one by one;
here every fault runs end to end, including in the middle of `fetch --all`."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lcdtrack.errors import FetchError
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.models import API_BUNDLE_FORMAT
from lcdtrack.pipeline import fetch_all
from lcdtrack.snapshots import SnapshotStore
from tests.replay_server import Fault, synthesize_lcds
from tests.robustness_helpers import (
    LCD,
    FaultyReplayServer,
    contents,
    problems,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
    run_cli,
    snapshot_count,
)

RETRIES = 2
REPORT = "/v1/reports/local-coverage-final-lcds/"
ARTICLE = "/v1/data/article/"
HTML = "<!DOCTYPE html><html><head><title>Error</title></head><body>Service Unavailable</body>"
PARTIAL = '{"meta": {"status": {"id": 200}}, "data": [{"lcd_id": 39314, "title": "Off-Label'


def _fault(status: int = 200, content_type: str = "application/json", body: str = "") -> Fault:
    return Fault(status, headers={"Content-Type": content_type}, body=body)


# (id, path, fault, retried?, what the error line says)
FAULTS = [
    ("reset", LCD, Fault(kind="reset"), True, "connection broken"),
    ("truncated-body", LCD, Fault(kind="truncate", body=PARTIAL), True, "truncated"),
    ("stalled-body", LCD, Fault(kind="stall", seconds=2.5), True, "timed out"),
    ("http-503", LCD, _fault(503, body='{"message": "busy"}'), True, "HTTP 503"),
    ("html-error-page-200", LCD, Fault(kind="html", body=HTML), False, "HTML page instead"),
    ("html-labelled-json", LCD, _fault(body="\n  " + HTML), False, "HTML page instead"),
    ("pdf", LCD, _fault(content_type="application/pdf", body="%PDF-1.4\n\x00\x01"), False,
     "invalid or truncated JSON"),
    ("xml", LCD, _fault(content_type="application/xml", body="<?xml version='1.0'?><e/>"), False,
     "instead of JSON"),
    ("plain-text", LCD, _fault(content_type="text/plain", body="Temporarily Unavailable"), False,
     "invalid or truncated JSON"),
    ("empty-200", LCD, _fault(body=""), False, "invalid or truncated JSON"),
    ("json-error-200", LCD, _fault(body='{"message": "Internal error"}'), False,
     "unexpected response shape"),
    ("data-not-objects", LCD, _fault(body='{"data": ["oops", 1]}'), False,
     "unexpected response shape"),
    ("huge-streamed", LCD, Fault(kind="huge", body=str(65 * 2**20)), False, "byte limit"),
    ("huge-declared", LCD, Fault(kind="huge-declared"), False, "byte limit"),
    ("companion-html", "/v1/data/lcd/revision-history", Fault(kind="html"), False,
     "HTML page instead"),
    ("related-id-not-a-number", "/v1/data/lcd/related-documents",
     _fault(body='{"data": [{"r_article_id": "x1"}]}'), False, "not a number"),
    ("article-html", ARTICLE, Fault(kind="html"), False, "related article failed"),
    ("article-reset", ARTICLE, Fault(kind="reset"), True, "related article failed"),
    ("token-html", "/v1/metadata/license-agreement/", Fault(kind="html"), False,
     "licence token"),
    ("report-row-without-id", REPORT, _fault(body='{"data": [{"document_display_id": "L39314"}]}'),
     False, "final report: a row without a numeric document_id"),
    ("report-row-infinite-id", REPORT,
     _fault(body='{"data": [{"document_id": Infinity, "document_version": 1}]}'), False,
     "final report: a row without a numeric document_id"),
]  # fmt: skip


@pytest.fixture
def server() -> Iterator[FaultyReplayServer]:
    with FaultyReplayServer() as running:
        yield running


def _fetch(server: FaultyReplayServer, db: Path, *args: str):  # type: ignore[no-untyped-def]
    options = ("--api-url", server.url, "--retries", str(RETRIES), "--timeout", "1")
    return run_cli(db, "fetch", *args, *options)


def _requests(server: FaultyReplayServer, path: str) -> int:
    return sum(1 for logged, _ in server.log if logged == path)


@pytest.mark.parametrize(
    ("path", "fault", "retried", "message"),
    [pytest.param(*rest, id=name) for name, *rest in FAULTS],
)
def test_a_source_that_only_sees_faults_stores_nothing(
    server: FaultyReplayServer,
    tmp_path: Path,
    path: str,
    fault: Fault,
    retried: bool,
    message: str,
) -> None:
    server.fail_always(path, fault)
    db = tmp_path / "faults.db"
    result = _fetch(server, db, "L39314")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and message in line, line
    assert _requests(server, path) == (RETRIES + 1 if retried else 1)
    assert snapshot_count(db) == 0


def test_a_slow_drip_is_cut_off_by_the_response_deadline(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    """A body that trickles in (a byte every 50 ms, so no read ever times out) is given up at
    the whole-response deadline, retried, then named; nothing is stored."""
    server.fail_always(LCD, Fault(kind="drip", seconds=1.0))
    http = HttpClient(HttpPolicy(timeout=2.0, retries=1, deadline=0.3), sleep=lambda _: None)
    with SnapshotStore(tmp_path / "drip.db") as store, CoverageApiClient(server.url, http) as api:
        (outcome,) = list(fetch_all(store, ["L39314"], api=api))
        assert isinstance(outcome.error, FetchError)
        assert "timed out" in str(outcome.error)
        assert store.counts()["snapshots"] == 0
    assert _requests(server, LCD) == 2


def test_transient_faults_are_retried_and_the_document_stored(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    server.fail(LCD, Fault(kind="reset"), Fault(kind="truncate", body=PARTIAL))
    server.fail(ARTICLE, _fault(503, body="{}"))
    db = tmp_path / "retried.db"
    result = _fetch(server, db, "L39314")
    assert result.returncode == 0, result.stderr
    assert snapshot_count(db) == 1 and problems(db) == []
    assert _stored_codes(db) > 0  # the article came through on its retry


def test_an_archived_article_does_not_cost_the_lcd(
    server: FaultyReplayServer, tmp_path: Path
) -> None:
    """The one tolerated gap: the API answers that an article does not exist (empty data)."""
    server.fail_always(ARTICLE, _fault(body='{"data": []}'))
    db = tmp_path / "archived.db"
    result = _fetch(server, db, "L39314")
    assert result.returncode == 0, result.stderr
    (raw,) = _raw_sources(db)
    assert {m["article_id"] for m in json.loads(raw)["missing_articles"]} == {59105, 59251}


def _stored_codes(db: Path) -> int:
    with SnapshotStore(db) as store:
        return int(store.db.execute("select count(*) from codes").fetchone()[0])


def _raw_sources(db: Path) -> list[bytes]:
    with SnapshotStore(db) as store:
        rows = store.db.execute("select content from raw_sources").fetchall()
    return [zlib.decompress(content) for (content,) in rows]


def _assert_only_real_responses(db: Path) -> None:
    """Every raw source kept is a bundle of parseable Coverage API envelopes: no error page,
    no truncated body, no PDF made it into the history."""
    for raw in _raw_sources(db):
        bundle = json.loads(raw)
        assert bundle["format"] == API_BUNDLE_FORMAT
        for name, body in bundle["responses"].items():
            assert isinstance(json.loads(body)["data"], list), name
        assert not re.search(rb"<!DOCTYPE|<html|%PDF|Service Unavailable", raw)


MID_RUN_FAULTS = [
    Fault(kind="html", body=HTML),
    Fault(kind="reset"),
    _fault(content_type="application/pdf", body="%PDF-1.4"),
    Fault(kind="truncate", body=PARTIAL),
    Fault(kind="truncate", body=PARTIAL),
    Fault(kind="truncate", body=PARTIAL),
    _fault(content_type="text/plain", body="Temporarily Unavailable"),
    _fault(503, body="{}"),
    Fault(kind="stall", seconds=1.5),
]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 4])
def test_faults_in_the_middle_of_fetch_all(
    server: FaultyReplayServer, tmp_path: Path, workers: int
) -> None:
    """Faults land on some of 40 documents while `fetch --all` runs: the others are stored,
    the faulty ones are reported failed and not marked seen, nothing faulty is stored, and the
    next run fetches exactly what is missing, ending where a clean run ends."""
    synthesize_lcds(server, 40)
    clean = tmp_path / "clean.db"
    assert _fetch(server, clean, "--all").returncode == 0
    server.fail(LCD, *MID_RUN_FAULTS)
    server.fail("/v1/data/lcd/contractor", Fault(kind="html"), Fault(kind="reset"))
    db = tmp_path / "faulty.db"
    first = _fetch(server, db, "--all", "--workers", str(workers))
    summary = re.search(r"(\d+) new, 0 changed, 0 unchanged, (\d+) failed", first.stdout)
    assert summary, first.stdout + first.stderr
    stored, failed = int(summary[1]), int(summary[2])
    assert first.returncode == 2 and failed >= 3 and stored + failed == 40
    assert len(first.stderr.strip().splitlines()) == failed and "Traceback" not in first.stderr
    assert snapshot_count(db) == stored
    assert problems(db) == []
    _assert_only_real_responses(db)
    second = _fetch(server, db, "--all")
    assert second.returncode == 0, second.stderr
    assert f"{failed} new, 0 changed, {stored} unchanged, 0 failed" in second.stdout
    assert contents(db) == contents(clean)
