"""Fetching from the Coverage API: the real client over real HTTP against a loopback replay of the
corpus responses, with injected faults. Nothing of httpx or lcdtrack is mocked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lcdtrack.cli import app
from lcdtrack.errors import FetchError
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.models import API_BUNDLE_FORMAT
from lcdtrack.pipeline import fetch_all
from lcdtrack.snapshots import SnapshotStore
from tests.replay_server import API, TOKEN, Fault, ReplayServer, envelope

LCD = "/v1/data/lcd/"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        yield running


def _client(
    server: ReplayServer, sleeps: list[float] | None = None, **policy: float
) -> CoverageApiClient:
    record = sleeps.append if sleeps is not None else (lambda _: None)
    http = HttpClient(HttpPolicy(**{"timeout": 2.0, "retries": 3, **policy}), sleep=record)  # type: ignore[arg-type]
    return CoverageApiClient(server.url, http=http)


def test_fetch_lcd_bundles_companions_exactly_as_received(server: ReplayServer) -> None:
    with _client(server) as api:
        (raw,) = api.fetch("L39314")
    bundle = json.loads(raw.content)
    assert bundle["format"] == API_BUNDLE_FORMAT and bundle["document"] == "lcd"
    assert bundle["responses"]["lcd"] == (API / "lcd_39314_ver_7.json").read_text()
    assert set(bundle["responses"]) >= {
        "lcd",
        "revision-history",
        "related-documents",
        "contractor",
    }
    assert bundle["report_row"]["document_display_id"] == "L39314"
    assert raw.source.endswith("lcdid=39314&ver=7")


def test_proposed_id_is_resolved_through_the_proposed_report(server: ReplayServer) -> None:
    with _client(server) as api:
        (raw,) = api.fetch("DL39314")
    lcd_requests = [q for path, q in server.requests_to(LCD) if path == LCD]
    assert lcd_requests == [{"lcdid": "39313"}]  # the internal id, never 39314-1
    assert json.loads(json.loads(raw.content)["responses"]["lcd"])["data"][0]["display_id"] == 39314


def test_token_is_sent_and_cached(server: ReplayServer) -> None:
    with _client(server) as api:
        api.fetch("L39314")
        api.fetch("DL39314")
    assert len(server.requests_to("/v1/metadata/license-agreement/")) == 1


def test_expired_token_is_refreshed_once(server: ReplayServer) -> None:
    with _client(server) as api:
        api.token()
        server.valid_tokens = {"fresh-token"}
        server.put("/v1/metadata/license-agreement/", {}, envelope([{"Token": "fresh-token"}]))
        (raw,) = api.fetch("L39314")
    assert json.loads(raw.content)["document"] == "lcd"
    assert len(server.requests_to("/v1/metadata/license-agreement/")) == 2


def test_token_refused_is_a_clear_error(server: ReplayServer) -> None:
    server.valid_tokens = set()
    with _client(server) as api, pytest.raises(FetchError, match="token refused"):
        api.fetch("L39314")


def test_lowercase_token_key_is_accepted(server: ReplayServer) -> None:
    server.put("/v1/metadata/license-agreement/", {}, envelope([{"token": TOKEN}]))
    with _client(server) as api:
        assert api.token() == TOKEN


def test_unknown_lcd_is_named(server: ReplayServer) -> None:
    with _client(server) as api, pytest.raises(FetchError, match="L99999: no such LCD"):
        api.fetch("L99999")


def test_empty_data_for_a_listed_version_is_not_available(server: ReplayServer) -> None:
    with _client(server) as api, pytest.raises(FetchError, match=r"L39314@8: no such LCD"):
        api.fetch("L39314", 8)


def test_429_with_retry_after_is_honoured(server: ReplayServer) -> None:
    server.fail(LCD, Fault(429, headers={"Retry-After": "3"}))
    sleeps: list[float] = []
    with _client(server, sleeps) as api:
        api.fetch("L39314")
    assert sleeps == [3.0]


def test_500_then_success_backs_off_with_jitter(server: ReplayServer) -> None:
    server.fail(LCD, Fault(500), Fault(503))
    sleeps: list[float] = []
    with _client(server, sleeps, backoff=1.0) as api:
        api.fetch("L39314")
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0


def test_persistent_500_gives_up_with_the_status(server: ReplayServer) -> None:
    server.fail(LCD, *[Fault(500, body='{"message": "oops"}')] * 4)
    with _client(server) as api, pytest.raises(FetchError, match="HTTP 500"):
        api.fetch("L39314")


def test_connection_reset_is_retried(server: ReplayServer) -> None:
    server.fail(LCD, Fault(kind="reset"))
    with _client(server) as api:
        assert api.fetch("L39314")


def test_truncated_body_is_retried_then_named(server: ReplayServer) -> None:
    body = (API / "lcd_39314_ver_7.json").read_text()[:3000]
    server.fail(LCD, *[Fault(kind="truncate", body=body)] * 4)
    with _client(server) as api, pytest.raises(FetchError, match="truncated"):
        api.fetch("L39314")


def test_timeout_is_retried(server: ReplayServer) -> None:
    server.fail(LCD, Fault(kind="drip", seconds=1.0))
    with _client(server, timeout=0.5, deadline=0.3) as api:
        assert api.fetch("L39314")


def test_html_error_page_with_200_is_not_data(server: ReplayServer) -> None:
    server.fail(LCD, Fault(kind="html"))
    with _client(server) as api, pytest.raises(FetchError, match="HTML page instead of JSON"):
        api.fetch("L39314")


def test_403_is_an_auth_failure_then_a_clear_error(server: ReplayServer) -> None:
    server.fail(LCD, Fault(403), Fault(403))
    with _client(server) as api, pytest.raises(FetchError, match="HTTP 403 twice"):
        api.fetch("L39314")


def test_unknown_path_is_explained(server: ReplayServer) -> None:
    with _client(server) as api, pytest.raises(FetchError, match="does not know the path"):
        api.get_envelope("/v1/data/nothing/", {"lcdid": 1}, "probe", auth=True)


def test_oversized_response_is_refused(server: ReplayServer) -> None:
    with _client(server, max_bytes=10_000) as api, pytest.raises(FetchError, match="limit"):
        api.fetch("L39314")


def test_paginated_response_is_refused_not_truncated(server: ReplayServer) -> None:
    paged = json.loads((API / "lcd_39314_ver_7.json").read_text())
    paged["meta"]["next_token"] = "abc"
    server.put(LCD, {"lcdid": 39314}, json.dumps(paged))
    with _client(server) as api, pytest.raises(FetchError, match="next_token"):
        api.fetch("L39314")


def test_user_agent_names_lcdtrack(server: ReplayServer) -> None:
    seen: list[str] = []
    original = server.answer

    def spy(path: str, query: dict[str, str], auth: str | None):  # type: ignore[no-untyped-def]
        return original(path, query, auth)

    server.answer = spy  # type: ignore[method-assign]
    with _client(server) as api:
        response = api.http.get(server.url + "/v1/metadata/license-agreement/")
    seen.append(response.headers.get("content-type", ""))
    assert api.http._client.headers["User-Agent"].startswith("lcdtrack/")


def test_pipeline_stores_fetched_ids_and_diffs(server: ReplayServer, tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "f.db") as store, _client(server) as api:
        outcomes = list(fetch_all(store, ["L39314", "DL39314"], api=api))
        assert [o.result.snapshot.label for o in outcomes if o.result] == ["L39314@7", "DL39314@19"]
        record = store.latest("L39314").record
    assert len(record.indications) == 11
    assert [r.public_id for r in record.related_documents] == ["A59105", "A59251"]
    assert record.contractors == (
        "National Government Services, Inc. (MAC - Part A, MAC - Part B)",
    )


def test_cli_fetch_by_id_then_diff(server: ReplayServer, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    result = runner.invoke(app, ["--db", db, "fetch", "L39314", "DL39314", "--api-url", server.url])
    assert result.exit_code == 0, result.output
    diff = runner.invoke(app, ["--db", db, "diff", "DL39314", "L39314"])
    assert "+ indication added: Immune-mediated Necrotizing Myositis (IMNM)" in diff.stdout


def test_cli_fetch_unknown_id_is_one_error_line(server: ReplayServer, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "x.db"), "fetch", "L99999"],
        env={"LCDTRACK_API_URL": server.url},
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: L99999: no such LCD in the Coverage API (final LCD report)"
    ]


def test_lcd_record_carries_its_articles_codes(server: ReplayServer, tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "codes.db") as store, _client(server) as api:
        list(fetch_all(store, ["L39314"], api=api))
        record = store.latest("L39314").record
        rows = store.db.execute(
            "select s.document_id, c.article from codes c join snapshots s on s.id = c.snapshot_id "
            "where c.code = 'J1459'"
        ).fetchall()
    assert rows == [("L39314", "A59105")]
    systems = {(g.system, g.coverage) for g in record.code_groups}
    assert ("CPT/HCPCS", None) in systems and ("ICD-10-CM", "covered") in systems
    hcpcs = {c.code for g in record.code_groups if g.system == "CPT/HCPCS" for c in g.codes}
    assert "J1459" in hcpcs
    assert {g.source for g in record.code_groups} == {"A59105"}


def test_article_by_id(server: ReplayServer, tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "a.db") as store, _client(server) as api:
        (outcome,) = list(fetch_all(store, ["A59105"], api=api))
    assert outcome.result is not None
    assert outcome.result.snapshot.label == "A59105@23"
    assert outcome.result.snapshot.extractor == "coverage-api-article"


def test_mcd_page_403_names_the_api_route(server: ReplayServer, tmp_path: Path) -> None:
    page = "/medicare-coverage-database/view/lcd.aspx"
    server.fail(page, Fault(403, body="<html><body>Access Denied</body></html>"))
    with SnapshotStore(tmp_path / "p.db") as store, _client(server) as api:
        (outcome,) = list(fetch_all(store, [f"{server.url}{page}?lcdid=39314&ver=7"], api=api))
    assert outcome.error is not None
    message = str(outcome.error)
    assert "refused the request (HTTP 403)" in message and "lcdtrack fetch L39314@7" in message
