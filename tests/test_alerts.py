"""`lcdtrack check`: watches → fetch from a Coverage API replay → diff → email, webhook and feed,
each a real receiver on loopback. Exactly once across repeated checks, a crash between sending
and recording, and two checks at once; failures alerted once, recoveries once."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import lcdtrack.cli.alerting  # noqa: F401  (registers watch/check/notify/schedule on the app)
from lcdtrack import alerts
from lcdtrack.alerts import CheckLocked, CheckOptions, CheckResult, Message, check
from lcdtrack.alerts.config import load_config
from lcdtrack.alerts.notifiers import NotifierContext, Notifiers
from lcdtrack.cli import app
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.fetch.http import HttpClient, HttpPolicy
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.alert_store import AlertStore, NewDelivery
from tests.alert_servers import SmtpServer, WebhookServer
from tests.replay_server import ReplayServer, publish_revision, synthesize_lcds

ATOM = "{http://www.w3.org/2005/Atom}"
REPORT = "/v1/reports/local-coverage-final-lcds/"
OLD_DOSE = "2 g&sol;kg of IVIG every six weeks"
NEW_DOSE = "2.5 g&sol;kg of IVIG every six weeks"
ENV = {"SMTP_PASSWORD": "s3cret", "LCDTRACK_BACKOFF": "0.001"}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        report = json.loads(running.documents[(REPORT, ())])
        rows = [r for r in report["data"] if r["document_display_id"] == "L39314"]
        v7 = [dict(r) for r in rows if r["document_version"] == 7]  # not the unserved v11
        running.put(REPORT, {}, json.dumps({"meta": report["meta"], "data": v7}))
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(login=("alice", "s3cret")) as running:
        yield running


@pytest.fixture
def hooks() -> Iterator[WebhookServer]:
    with WebhookServer() as running:
        yield running


@pytest.fixture
def config(tmp_path: Path, smtp: SmtpServer, hooks: WebhookServer) -> Path:
    path = tmp_path / "lcdtrack.toml"
    path.write_text(
        f"""
[check]
failures_before_alert = 3

[notifiers.team-email]
kind = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from = "lcdtrack@example.org"
to = ["coverage@example.org"]
username = "alice"
password = "${{SMTP_PASSWORD}}"

[notifiers.hook]
kind = "webhook"
url = "{hooks.url}"

[notifiers.feed]
kind = "atom"
path = "alerts.atom"
""",
        encoding="utf-8",
    )
    return path


def cli(db: Path, server: ReplayServer, config: Path, *args: str) -> Result:
    env = {**ENV, "LCDTRACK_API_URL": server.url, "LCDTRACK_CONFIG": str(config)}
    return CliRunner().invoke(app, ["--db", str(db), *args], env=env)


def run_check(
    db: Path,
    server: ReplayServer,
    config: Path,
    after_send: Callable[[Message], None] | None = None,
    **options: Any,
) -> CheckResult:
    """One check through the library, as the CLI makes it (no retries, to stay fast)."""
    settings = load_config(config)
    notifiers = Notifiers(settings, NotifierContext(ENV, _Sink(), settings.folder))
    http = HttpClient(HttpPolicy(timeout=5, retries=0))
    with SnapshotStore(db) as store, CoverageApiClient(server.url, http) as api:
        return check(store, api, notifiers, CheckOptions(**options), after_send)


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def feed_entries(config: Path) -> list[ElementTree.Element]:
    path = config.parent / "alerts.atom"
    if not path.exists():
        return []
    return list(ElementTree.parse(path).getroot().iter(f"{ATOM}entry"))


def publish_dose_change(server: ReplayServer, version: int = 8) -> None:
    """CMS publishes L39314 v8: the scleromyxedema dose goes from 2 to 2.5 g/kg."""

    def edit(record: dict[str, Any]) -> dict[str, Any]:
        assert OLD_DOSE in record["indication"]
        return {**record, "indication": record["indication"].replace(OLD_DOSE, NEW_DOSE)}

    publish_revision(server, 39314, version, edit)
    for child in ("revision-history", "related-documents", "contractor"):
        body = server.documents[(f"/v1/data/lcd/{child}", (("lcdid", "39314"), ("ver", "7")))]
        server.put(f"/v1/data/lcd/{child}", {"lcdid": 39314, "ver": version}, body)


def add_watch(db: Path, kind: str, value: str, *args: Any) -> None:
    with SnapshotStore(db) as store:
        alerts.add_watch(AlertStore(store), kind, value, *args)


# -- the scenario of the issue -------------------------------------------------------------


def test_a_dose_change_is_delivered_once_by_email_webhook_and_feed(
    server: ReplayServer, smtp: SmtpServer, hooks: WebhookServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    added = cli(db, server, config, "watch", "add", "L39314")
    assert added.exit_code == 0, added.output
    first = cli(db, server, config, "check")
    assert first.exit_code == 0, first.output  # the first sight is a baseline, not news
    assert "1 documents checked for 1 watches" in first.stdout
    assert (smtp.messages, hooks.received, feed_entries(config)) == ([], [], [])

    publish_dose_change(server)
    second = cli(db, server, config, "check")
    assert second.exit_code == 1, second.output
    assert "1 changed, 0 failed; 3 messages sent, 0 undelivered" in second.stdout

    (mail,) = smtp.messages
    assert mail["Subject"].startswith("[lcdtrack] L39314@7 → L39314@8")
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "dose changed" in text and "2 g/kg per 6 weeks" in text and "2.5 g/kg" in text
    assert "2.5 g/kg" in html and "<script" not in html
    assert smtp.inbox.logins == ["alice"]  # the password came from ${SMTP_PASSWORD}

    (hook,) = hooks.received
    payload = hook.json()
    assert [(c["kind"], c.get("aspect")) for c in payload["changes"]] == [
        ("indication_changed", "dose_changed")
    ]
    assert payload["changes"][0]["after"] == "2.5 g/kg per 6 weeks"
    assert hook.headers["Idempotency-Key"]

    (entry,) = feed_entries(config)
    assert "L39314@7 → L39314@8" in (entry.findtext(f"{ATOM}title") or "")
    assert "2.5 g/kg per 6 weeks" in (entry.findtext(f"{ATOM}content") or "")

    third = cli(db, server, config, "check")
    assert third.exit_code == 0, third.output
    assert "0 messages sent" in third.stdout
    assert (len(smtp.messages), len(hooks.received), len(feed_entries(config))) == (1, 1, 1)


# -- exactly once ----------------------------------------------------------------------------


class Crash(Exception):
    """Stands for the process dying between a send and its record."""


def test_a_crash_between_send_and_record_resends_with_the_same_id(
    server: ReplayServer, smtp: SmtpServer, hooks: WebhookServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314")
    run_check(db, server, config)
    publish_dose_change(server)

    def crash(message: Message) -> None:
        if message.notifier == "team-email":
            raise Crash

    with pytest.raises(Crash):
        run_check(db, server, config, after_send=crash)
    assert len(smtp.messages) == 1 and hooks.received == []  # sent, not recorded

    after = run_check(db, server, config)
    assert after.exit_status == 1 and len(after.delivery.sent) == 3
    first, again = smtp.messages
    assert first["Message-ID"] == again["Message-ID"]  # a receiver can drop the duplicate
    assert len(hooks.received) == 1 and len(feed_entries(config)) == 1
    last = run_check(db, server, config)
    assert last.delivery.sent == [] and len(smtp.messages) == 2


def test_a_failed_delivery_stays_in_the_outbox_until_it_succeeds(
    server: ReplayServer, hooks: WebhookServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314", "low", ["hook"])
    run_check(db, server, config)
    publish_dose_change(server)
    hooks.answers.extend([500])
    failed = run_check(db, server, config)
    assert failed.exit_status == 2 and failed.undelivered == 1
    assert "HTTP 500" in failed.delivery.failed[0][1]
    retried = run_check(db, server, config)
    assert retried.exit_status == 1 and retried.undelivered == 0
    assert len(hooks.received) == 1


def test_two_checks_at_once_do_not_overlap(
    server: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314")
    run_check(db, server, config)
    publish_dose_change(server)
    sending, release = threading.Event(), threading.Event()

    def hold(message: Message) -> None:
        sending.set()
        assert release.wait(10)

    first = threading.Thread(target=run_check, args=(db, server, config, hold))
    first.start()
    assert sending.wait(10)
    with pytest.raises(CheckLocked, match="another lcdtrack check is running"):
        run_check(db, server, config, lock_wait=0.1)
    blocked = cli(db, server, config, "check", "--wait", "0.1")
    assert blocked.exit_code == 2 and "another lcdtrack check is running" in blocked.stderr
    results: list[CheckResult] = []
    second = threading.Thread(target=lambda: results.append(run_check(db, server, config)))
    second.start()  # waits for the lock, then finds nothing new
    release.set()
    first.join(10)
    second.join(10)
    assert len(smtp.messages) == 1
    assert results[0].delivery.sent == [] and results[0].exit_status == 0


def test_digest_sends_one_message_per_notifier(
    hooks: WebhookServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    with ReplayServer() as server:
        synthesize_lcds(server, 3)
        for number in (50000, 50001, 50002):
            add_watch(db, "document", f"L{number}", "low", ["hook"])
        run_check(db, server, config)
        for number in (50000, 50002):
            publish_revision(server, number, 2, lambda r: {**r, "title": r["title"] + " (rev)"})
        result = run_check(db, server, config, digest=True)
    assert result.exit_status == 1 and len(result.delivery.sent) == 1
    (hook,) = hooks.received
    payload = hook.json()
    assert payload["digest"] is True
    assert [item["new"]["label"] for item in payload["items"]] == ["L50000@2", "L50002@2"]


def test_dry_run_shows_what_would_be_sent_and_records_nothing(
    server: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314")
    run_check(db, server, config)
    publish_dose_change(server)
    dry = cli(db, server, config, "check", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "would send team-email" in " ".join(dry.stdout.split())
    assert "dry run: 3 messages would be sent, nothing recorded" in dry.stdout
    assert smtp.messages == []
    real = run_check(db, server, config)
    assert len(real.delivery.sent) == 3 and len(smtp.messages) == 1


def test_min_severity_filters_and_still_moves_on(
    server: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314", "high", ["team-email"])
    run_check(db, server, config)
    publish_dose_change(server)  # a medium-severity change
    quiet = run_check(db, server, config)
    assert quiet.exit_status == 0 and smtp.messages == []
    with SnapshotStore(db) as store:
        told = AlertStore(store).notified()
        assert told[("team-email", "L39314")] == store.latest("L39314").id


# -- failures ---------------------------------------------------------------------------------


@pytest.fixture
def synthetic() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        synthesize_lcds(running, 1)
        yield running


def _subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages]


def test_n_failed_checks_give_one_alert_and_one_recovery(
    synthetic: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L50000", "low", ["team-email"])
    run_check(db, synthetic, config)
    publish_revision(synthetic, 50000, 2)
    good = synthetic.documents[("/v1/data/lcd/", (("lcdid", "50000"), ("ver", "2")))]
    synthetic.put("/v1/data/lcd/", {"lcdid": 50000, "ver": 2}, '{"meta": {}, "data": [')
    statuses = [run_check(db, synthetic, config).exit_status for _ in range(4)]
    assert statuses == [2, 2, 2, 2]
    assert _subjects(smtp) == ["[lcdtrack] cannot check L50000"]
    assert "3 consecutive checks" in smtp.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]

    synthetic.put("/v1/data/lcd/", {"lcdid": 50000, "ver": 2}, good)
    recovered = run_check(db, synthetic, config)
    assert recovered.exit_status == 0
    assert _subjects(smtp)[1:] == ["[lcdtrack] L50000 can be checked again"]
    run_check(db, synthetic, config)
    assert len(smtp.messages) == 2


def test_fewer_than_n_failures_alert_nothing_and_reset(
    synthetic: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L50000", "low", ["team-email"])
    run_check(db, synthetic, config)
    publish_revision(synthetic, 50000, 2)
    good = synthetic.documents[("/v1/data/lcd/", (("lcdid", "50000"), ("ver", "2")))]
    synthetic.put("/v1/data/lcd/", {"lcdid": 50000, "ver": 2}, "{")
    run_check(db, synthetic, config)
    run_check(db, synthetic, config)
    synthetic.put("/v1/data/lcd/", {"lcdid": 50000, "ver": 2}, good)
    assert run_check(db, synthetic, config).exit_status == 0
    with SnapshotStore(db) as store:
        assert AlertStore(store).failures() == {}
    assert smtp.messages == []


def test_a_layout_change_is_a_failure_alert_never_a_change(
    synthetic: ReplayServer, smtp: SmtpServer, hooks: WebhookServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L50000")
    run_check(db, synthetic, config)

    def flatten(record: dict[str, Any]) -> dict[str, Any]:  # the list markup is gone
        return {
            **record,
            "indication": "&lt;p&gt;IVIG is covered for the uses below.&lt;&sol;p&gt;",
        }

    publish_revision(synthetic, 50000, 2, flatten)
    result = run_check(db, synthetic, config)
    assert result.exit_status == 2
    assert _subjects(smtp) == ["[lcdtrack] cannot check L50000"]  # at once, not after 3
    assert "layout" in smtp.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert [h.json()["type"] for h in hooks.received] == ["failure"]
    assert len(feed_entries(config)) == 1
    with SnapshotStore(db) as store:
        assert store.latest("L50000").version == 1  # never the current version
    run_check(db, synthetic, config)
    assert len(smtp.messages) == 1


def test_an_unknown_id_is_reported_as_a_failure(
    server: ReplayServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L99999")
    result = cli(db, server, config, "check")
    assert result.exit_code == 2
    assert "Error: L99999: no such LCD" in result.stderr


# -- what watches cover -------------------------------------------------------------------------


def test_a_contractor_watch_is_a_report_query(
    smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    with ReplayServer() as server:
        synthesize_lcds(server, 3)
        add_watch(db, "contractor", "269", "low", ["team-email"])
        first = run_check(db, server, config)
        assert first.documents == 3 and first.coverage.fetched == 3
        (_, query) = server.requests_to("/v1/reports/")[-1]
        assert query == {"contractor_id": "269"}
        publish_revision(server, 50001, 2, lambda r: {**r, "title": "Synthetic LCD (revised)"})
        before = len(server.requests_to("/v1/data/"))
        second = run_check(db, server, config)
        assert second.coverage.fetched == 1 and second.coverage.skipped == 2
        assert {
            q["lcdid"] for _, q in server.requests_to("/v1/data/")[before:] if "lcdid" in q
        } == {"50001"}
    (subject,) = _subjects(smtp)
    assert subject.startswith("[lcdtrack] L50001@1 → L50001@2 Synthetic LCD (revised)")


def test_a_code_watch_covers_the_stored_lcds_carrying_the_code(
    server: ReplayServer, smtp: SmtpServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314")
    run_check(db, server, config)  # stores L39314 with its article's code tables
    added = cli(db, server, config, "watch", "add", "--code", "j1459", "-n", "team-email")
    assert added.exit_code == 0 and "watch 2: code J1459" in added.stdout
    cli(db, server, config, "watch", "remove", "1")
    listing = cli(db, server, config, "watch", "list")
    assert "code J1459" in listing.stdout and "1 stored: L39314" in listing.stdout
    publish_dose_change(server)
    result = run_check(db, server, config)
    assert result.exit_status == 1
    assert len(smtp.messages) == 1 and "L39314@8" in str(smtp.messages[0]["Subject"])


def test_a_keyword_watch_matches_stored_text(
    server: ReplayServer, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lcdtrack.db"
    add_watch(db, "document", "L39314")
    run_check(db, server, config)
    with SnapshotStore(db) as store:
        state = AlertStore(store)
        assert state.documents_matching("Scleromyxedema") == {"L39314"}
        assert state.documents_matching("no such words here") == set()


def test_the_alert_tables_are_their_own_migration_set(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "m.db") as store:
        AlertStore(store)
        sets = {
            row[0]
            for row in store.db.execute("select migration_set from _sqlite_migrations").fetchall()
        }
    assert sets == {"lcdtrack", "lcdtrack-alerts"}


def test_recording_an_alert_twice_keeps_one_outbox_row(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "o.db") as store:
        state = AlertStore(store)
        delivery = NewDelivery("hook", "change:L1:1:2", "change:L1:1:2", "change", "L1", 1, 2)
        state.record([delivery])
        state.record([delivery], told=[("hook", "L1", 2)])
        assert [d.item_key for d in state.pending()] == ["change:L1:1:2"]
        assert state.notified() == {("hook", "L1"): 2}
