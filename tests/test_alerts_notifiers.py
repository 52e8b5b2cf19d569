"""Notifiers against real receivers on loopback (SMTP with STARTTLS, SSL and AUTH; webhooks),
the Atom and file outputs read back, the config file and `lcdtrack notify`."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lcdtrack.cli.alerting  # noqa: F401  (registers the alert commands on the app)
from lcdtrack import pipeline
from lcdtrack.alerts import NOTIFIERS, AlertItem, ConfigError, DeliveryError, Message
from lcdtrack.alerts.config import AlertConfig, NotifierSpec, load_config, parse_config
from lcdtrack.alerts.notifiers import NotifierContext, Notifiers, build
from lcdtrack.alerts.notifiers.feed import read_entries
from lcdtrack.cli import app
from lcdtrack.snapshots import SnapshotStore
from tests.alert_servers import SmtpServer, WebhookServer

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def change() -> Message:
    """A real comparison: proposed DL39314 → final L39314 (the bundled demo pair)."""
    with SnapshotStore(":memory:") as store:
        comparison = pipeline.demo(store)
    item = AlertItem("change", "L39314", comparison, created_at="2025-09-04T18:00:00+00:00")
    return Message("n", "change:L39314:1:2", (item,))


def failure(document: str = "L50000") -> AlertItem:
    return AlertItem("failure", document, text="HTTP 500 <x> & co", created_at="2025-09-05")


def notifier(
    kind: str, folder: Path | None = None, env: dict[str, str] | None = None, **options: object
):  # type: ignore[no-untyped-def]
    context = NotifierContext(env or {}, io.StringIO(), folder or Path.cwd())
    return build(NotifierSpec("n", kind, dict(options)), context)


def test_the_registry_lists_the_built_in_kinds() -> None:
    assert list(NOTIFIERS) == ["stdout", "file", "atom", "email", "webhook"]
    listing = CliRunner().invoke(app, ["notify", "--config", "/nonexistent.toml"])
    assert listing.exit_code == 2 and "no such config file" in listing.stderr
    default = CliRunner().invoke(app, ["notify"], env={"LCDTRACK_CONFIG": None})
    assert "atom       add each message as an entry of an Atom feed file" in default.stdout
    assert "stdout         stdout" in default.stdout  # the built-in default notifier


# -- email -----------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_with_login_from_the_environment(
    security: str, change: Message, tmp_path: Path
) -> None:
    with SmtpServer(security, login=("alice", "s3cret")) as smtp:
        email = notifier(
            "email",
            env={"SMTP_USER": "alice", "SMTP_PASSWORD": "s3cret"},
            host="localhost",
            port=smtp.port,
            security=security,
            ca_file=str(smtp.cert),
            username="${SMTP_USER}",
            password="${SMTP_PASSWORD}",
            to="coverage@example.org",
            **{"from": "lcdtrack <alerts@example.org>"},
        )
        email.send(change)
    (mail,) = smtp.messages
    assert smtp.inbox.logins == ["alice"]
    assert smtp.inbox.envelopes == [("alerts@example.org", ["coverage@example.org"])]
    assert mail["Message-ID"] == f"<lcdtrack.{change.message_id}@example.org>"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Immune-mediated Necrotizing Myositis (IMNM)" in html and "<style" not in html


def test_starttls_with_an_untrusted_certificate_is_refused(change: Message) -> None:
    with SmtpServer("starttls") as smtp:
        email = notifier(
            "email",
            host="localhost",
            port=smtp.port,
            to=["a@example.org"],
            **{"from": "b@example.org"},
        )
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            email.send(change)
    assert smtp.messages == []


def test_a_missing_secret_names_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "lcdtrack.toml"
    config.write_text(
        '[notifiers.mail]\nkind = "email"\nhost = "localhost"\nfrom = "a@example.org"\n'
        'to = "b@example.org"\npassword = "${SMTP_PASSWORD}"\n'
    )
    result = CliRunner().invoke(app, ["notify", "--test", "mail", "--config", str(config)])
    assert result.exit_code == 2
    assert "Error: notifier mail: environment variable SMTP_PASSWORD is not set" in result.stderr


def test_notify_test_sends_a_real_message(tmp_path: Path) -> None:
    with SmtpServer() as smtp, WebhookServer() as hooks:
        config = tmp_path / "lcdtrack.toml"
        config.write_text(
            f'[notifiers.mail]\nkind = "email"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'security = "none"\nfrom = "a@example.org"\nto = ["b@example.org"]\n\n'
            f'[notifiers.chat]\nkind = "webhook"\nurl = "{hooks.url}"\npayload = "slack"\n'
        )
        for name in ("mail", "chat"):
            result = CliRunner().invoke(app, ["notify", "--test", name, "--config", str(config)])
            assert result.exit_code == 0, result.output
            assert f"sent a test message to {name}" in result.stdout
    assert smtp.messages[0]["Subject"] == "[lcdtrack] test message"
    assert "test message from lcdtrack" in hooks.received[0].json()["text"]


# -- webhook ---------------------------------------------------------------------------------


def test_webhook_posts_the_diff_json_with_an_idempotency_key(change: Message) -> None:
    with WebhookServer() as hooks:
        notifier("webhook", url=hooks.url, headers={"Authorization": "Bearer t"}).send(change)
    (hook,) = hooks.received
    assert hook.json() == json.loads(change.render("json"))
    assert hook.json()["new"]["label"] == "L39314@7"
    assert hook.headers["Idempotency-Key"] == change.message_id
    assert hook.headers["Authorization"] == "Bearer t"
    assert hook.headers["Content-Type"].startswith("application/json")


def test_slack_payload_is_text_with_the_report(change: Message) -> None:
    with WebhookServer() as hooks:
        notifier("webhook", url=hooks.url, payload="slack").send(change)
    body = hooks.received[0].json()
    assert set(body) == {"text"}
    assert body["text"].startswith("*[lcdtrack] DL39314@19 → L39314@7")
    assert "indication added: Immune-mediated Necrotizing Myositis (IMNM)" in body["text"]


def test_a_webhook_error_status_is_a_delivery_error(change: Message) -> None:
    with WebhookServer() as hooks:
        hooks.answers.append(503)
        with pytest.raises(DeliveryError, match="HTTP 503"):
            notifier("webhook", url=hooks.url).send(change)


# -- feed, file, stdout -------------------------------------------------------------------------


def test_atom_feed_keeps_entries_and_replaces_a_resent_one(change: Message, tmp_path: Path) -> None:
    feed = notifier("atom", tmp_path, path="feed/alerts.atom", max_entries=2)
    feed.send(change)
    feed.send(change)  # re-sent after a crash: the same entry, not a second one
    feed.send(Message("n", "failure:L50000", (failure(),)))
    root = ElementTree.parse(tmp_path / "feed" / "alerts.atom").getroot()
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "[lcdtrack] cannot check L50000",
        change.subject,
    ]
    assert entries[1].findtext(f"{ATOM}id") == f"urn:lcdtrack:{change.message_id}"
    assert "HTTP 500 &lt;x&gt; &amp; co" in (entries[0].findtext(f"{ATOM}content") or "")
    for third in ("a", "b"):
        feed.send(Message("n", third, (failure(third),)))
    assert len(read_entries(tmp_path / "feed" / "alerts.atom")) == 2


def test_file_notifier_writes_one_file_per_message(change: Message, tmp_path: Path) -> None:
    files = notifier("file", tmp_path, path="out", format="html")
    files.send(change)
    files.send(change)
    (written,) = (tmp_path / "out").iterdir()
    assert written.name.startswith("20250904T180000-L39314-") and written.suffix == ".html"
    assert written.read_text().startswith("<!DOCTYPE html>")


def test_stdout_notifier_prints_subject_and_text(change: Message) -> None:
    stream = io.StringIO()
    context = NotifierContext({}, stream, Path.cwd())
    build(NotifierSpec("out", "stdout"), context).send(change)
    assert stream.getvalue().startswith(f"{change.subject}\n\nDL39314@19 → L39314@7")


def test_a_digest_renders_every_item() -> None:
    digest = Message("n", "digest:1", (failure("L1"), failure("L2")))
    assert digest.subject == "[lcdtrack] 2 alerts: L1; L2"
    assert [i["document"] for i in json.loads(digest.render("json"))["items"]] == ["L1", "L2"]
    html = digest.render("html")
    assert html.count("<body>") == 1 and html.count("cannot check") == 2


# -- config ----------------------------------------------------------------------------------


def test_config_file_settings_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lcdtrack.toml"
    path.write_text(
        '[check]\nfailures_before_alert = 5\ndigest = true\n[notifiers.out]\nkind = "stdout"\n'
    )
    config = load_config(path)
    assert (config.failures_before_alert, config.digest, list(config.notifiers)) == (
        5,
        True,
        ["out"],
    )
    assert config.folder == tmp_path
    monkeypatch.chdir(tmp_path / "..")
    assert list(load_config(None).notifiers) == ["stdout"]  # no ./lcdtrack.toml here
    monkeypatch.chdir(tmp_path)
    assert list(load_config(None).notifiers) == ["out"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"notifiers": {"x": {"kind": "pager"}}}, "unknown kind 'pager'"),
        ({"notifiers": {"x": {"kind": "stdout", "colour": "red"}}}, "unknown option(s) colour"),
        ({"notifiers": {"x": {"kind": "file"}}}, "option 'path' is required"),
        ({"notifiers": {"x": {"kind": "webhook", "url": "ftp://h"}}}, "url must be http(s)"),
        (
            {
                "notifiers": {
                    "x": {"kind": "email", "host": "h", "from": "a", "to": [], "security": "tls"}
                }
            },
            "choose from starttls, ssl, none",
        ),
    ],
)
def test_bad_notifier_config_is_named(data: dict[str, object], message: str) -> None:
    notifiers = Notifiers(parse_config(data), NotifierContext({}, io.StringIO()))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        notifiers.get("x")


def test_bad_config_tables_are_named() -> None:
    with pytest.raises(ConfigError, match="unknown table"):
        parse_config({"notify": {}})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"check": {"every": "1d"}})
    with pytest.raises(ConfigError, match="say which kind"):
        parse_config({"notifiers": {"x": {}}})
    with pytest.raises(ConfigError, match="no notifier named 'y'"):
        Notifiers(AlertConfig(), NotifierContext({}, io.StringIO())).get("y")


def test_smtp_credentials_may_come_from_lcdtrack_variables(change: Message) -> None:
    smtp_env = {"LCDTRACK_SMTP_USERNAME": "alice", "LCDTRACK_SMTP_PASSWORD": "s3cret"}
    with SmtpServer(login=("alice", "s3cret")) as smtp:
        notifier(
            "email",
            env=smtp_env,
            host="127.0.0.1",
            port=smtp.port,
            security="none",
            to="b@example.org",
            **{"from": "a@example.org"},
        ).send(change)
    assert smtp.inbox.logins == ["alice"]
