"""Real receivers on loopback for the alert tests: an SMTP server (aiosmtpd) and a webhook
endpoint (the standard library's ThreadingHTTPServer). lcdtrack's notifiers talk to them over
real sockets; nothing is mocked.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# A self-signed certificate for localhost / 127.0.0.1, valid 2000-2200, for STARTTLS and SSL
# tests only (made once with the `cryptography` package; the key protects nothing).
TEST_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/u/lQ/GMar3qaw0W
7GdC1jVV0HvsSOONArNaPMxGgc2hRANCAAQvaFmZNlc43RzeF0rvVlzmKc9y05gb
AWh2FTaz75EAVxkQDTtMIbdSodRGqXkLyH9lyvjXJUx4RQHQkjC9CTnq
-----END PRIVATE KEY-----
"""
TEST_CERT = """-----BEGIN CERTIFICATE-----
MIIBWzCCAQGgAwIBAgIUKmQJh8w1LTjzNnYgd/3siYh5re0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTAwMDEwMTAwMDAwMFoYDzIyMDAwMTAx
MDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQvaFmZNlc43RzeF0rvVlzmKc9y05gbAWh2FTaz75EAVxkQDTtMIbdS
odRGqXkLyH9lyvjXJUx4RQHQkjC9CTnqoy8wLTAaBgNVHREEEzARgglsb2NhbGhv
c3SHBH8AAAEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAu1+U
4PaL45WjsxPI07FRrIUPOdyO764Zp/FfYnlgt3sCIFQ4fmvB9aYSoPFj3D6Jy2QN
y3oSejsuR3xjCh1lFRK9
-----END CERTIFICATE-----
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_text(TEST_CERT)
    key.write_text(TEST_KEY)
    return cert, key


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    """`with SmtpServer() as smtp: smtp.port` — aiosmtpd on 127.0.0.1; `security` is "none",
    "starttls" (required before MAIL) or "ssl"; with `login`, AUTH is required."""

    def __init__(self, security: str = "none", login: tuple[str, str] | None = None) -> None:
        self.inbox = _Inbox()
        self.port = free_port()
        self.security = security
        self._folder = tempfile.TemporaryDirectory(prefix="lcdtrack-smtp-")
        self.cert, key = write_certificate(Path(self._folder.name))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        params: dict[str, Any] = {}
        if security == "starttls":
            params.update(tls_context=context, require_starttls=True)
        if login is not None:
            params.update(authenticator=self._authenticator(login), auth_require_tls=False)
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=context if security == "ssl" else None,
            server_hostname="localhost",
            **params,
        )

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (data.login.decode(), data.password.decode()) == login
            )
            if ok:
                self.inbox.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)

        return authenticate

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
        self._folder.cleanup()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookServer:
    """`with WebhookServer() as hooks: hooks.url` — records every POST; answers 200, or the
    statuses queued in `answers` first."""

    received: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _webhook_handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _webhook_handler(server: WebhookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = server.answers.popleft() if server.answers else 200
            if status == 200:
                server.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    return Handler
