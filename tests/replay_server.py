"""A Coverage API stand-in on loopback: serves the corpus responses over real HTTP, with faults.

The real client code (httpx and all) talks to it; nothing in lcdtrack is mocked. Responses come
from `../shared/corpus/mcd/reconstructed/api/` (and whatever a test adds with `put`); faults are
scripted per path with `fail` and consumed in order: an HTTP status with headers and body, a
connection reset, a truncated body, a slow drip, an HTML page served with 200.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests import api_fixtures
from tests.conftest import CORPUS

API = CORPUS / "reconstructed" / "api"
TOKEN = json.loads((API / "license-agreement.json").read_text())["data"][0]["Token"]
UNKNOWN_PATH = {
    "message": "Hello MCIM API Users! Please reference the documentation at /docs/v1/swagger",
    "id": 404,
}


def envelope(data: list[dict[str, Any]], fields: list[str] | None = None) -> str:
    meta = {"status": {"id": 200, "message": "OK"}, "notes": "", "fields": fields or [],
            "children": [], "next_token": ""}  # fmt: skip
    return json.dumps({"meta": meta, "data": data})


@dataclass
class Fault:
    """One scripted answer: `status` (+ `headers`, `body`), or `kind` reset/truncate/drip/html."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    kind: str = "status"
    seconds: float = 0.0


class ReplayServer:
    """`with ReplayServer() as server: server.url` — a threaded HTTP server on 127.0.0.1."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.log: list[tuple[str, dict[str, str]]] = []
        self.valid_tokens = {TOKEN}
        self.lock = threading.Lock()
        self._load_corpus()
        handler = _handler(self)
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- content -------------------------------------------------------------------------

    def put(self, path: str, query: dict[str, Any], body: str) -> None:
        """Serve `body` for GET path?query (query compared as a set, values as strings)."""
        self.documents[(path, _key(query))] = body

    def fail(self, path: str, *faults: Fault) -> None:
        """The next requests to `path` get these faults, in order, before normal answers."""
        self.faults[path].extend(faults)

    def requests_to(self, prefix: str) -> list[tuple[str, dict[str, str]]]:
        return [entry for entry in self.log if entry[0].startswith(prefix)]

    def _load_corpus(self) -> None:
        self.put(
            "/v1/metadata/license-agreement/", {}, (API / "license-agreement.json").read_text()
        )
        for kind in ("final", "proposed"):
            path = f"/v1/reports/local-coverage-{kind}-lcds/"
            self.put(path, {}, (API / f"reports_local-coverage-{kind}-lcds.json").read_text())
        self.put("/v1/reports/local-coverage-articles/", {}, envelope([]))
        final = (API / "lcd_39314_ver_7.json").read_text()
        proposed = (API / "lcd_39313_ver_19.json").read_text()
        for query in ({"lcdid": 39314}, {"lcdid": 39314, "ver": 7}):
            self.put("/v1/data/lcd/", query, final)
        for query in ({"lcdid": 39313}, {"lcdid": 39313, "ver": 19}):
            self.put("/v1/data/lcd/", query, proposed)
        for child in ("revision-history", "related-documents", "contractor"):
            body = (API / f"lcd_39314_ver_7_{child}.json").read_text()
            self.put(f"/v1/data/lcd/{child}", {"lcdid": 39314, "ver": 7}, body)
        self.put_article(api_fixtures.article_rows(), version=23)

    def put_article(self, rows: dict[str, list[dict[str, Any]]], version: int) -> None:
        """Serve a (synthetic, see tests/api_fixtures.py) article as version `version`."""
        article_id = rows["article"][0]["article_id"]
        rows = {
            name: [dict(row, article_version=version) for row in data]
            for name, data in rows.items()
        }
        body = api_fixtures.envelope("article", rows["article"])
        self.put("/v1/data/article/", {"articleid": article_id}, body)
        self.put("/v1/data/article/", {"articleid": article_id, "ver": version}, body)
        for name, data in rows.items():
            if name != "article":
                query = {"articleid": article_id, "ver": version}
                self.put(f"/v1/data/article/{name}", query, api_fixtures.envelope(name, data))

    # -- answering -----------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str], auth: str | None) -> Fault | str:
        with self.lock:
            self.log.append((path, query))
            if self.faults[path]:
                return self.faults[path].popleft()
        if path.startswith("/v1/data/"):
            if not auth or auth.removeprefix("Bearer ") not in self.valid_tokens:
                return Fault(401, body=json.dumps({"message": "Unauthorized"}))
            if not any(k in query for k in ("lcdid", "articleid")):
                return Fault(400, body=(API / "error_400.json").read_text())
        if path.startswith("/v1/reports/"):
            query = {}  # the replay does not filter reports; tests read the query from the log
        body = self.documents.get((path, _key(query)))
        if body is not None:
            return body
        if path.startswith(("/v1/data/lcd/", "/v1/data/article/")):
            return envelope([])  # unknown id or an empty companion: 200 with empty data
        return Fault(400, body=json.dumps(UNKNOWN_PATH))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-fault is expected here; do not print tracebacks."""


def _key(query: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in query.items()))


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive + Nagle = 40 ms stalls per request

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            query = dict(parse_qsl(parts.query))
            result = server.answer(path, query, self.headers.get("Authorization"))
            if isinstance(result, str):
                self._send(200, result, {"Content-Type": "application/json"})
            else:
                self._fault(result)

        def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _fault(self, fault: Fault) -> None:
            if fault.kind == "reset":
                linger = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True
                return
            if fault.kind == "truncate":
                data = fault.body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) * 2))
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True
                return
            if fault.kind == "drip":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                deadline = time.monotonic() + fault.seconds
                while time.monotonic() < deadline:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
                self.close_connection = True
                return
            if fault.kind == "html":
                self._send(200, fault.body or "<html><body>Service Unavailable</body></html>",
                           {"Content-Type": "text/html"})  # fmt: skip
                return
            self._send(
                fault.status, fault.body, {"Content-Type": "application/json", **fault.headers}
            )

    return Handler


def serve_corpus_forever() -> None:  # pragma: no cover - manual use: python -m tests.replay_server
    with ReplayServer() as server:
        print(f"Coverage API replay on {server.url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    serve_corpus_forever()


def synthesize_lcds(server: ReplayServer, count: int, first_id: int = 50000) -> list[int]:
    """Serve `count` final LCDs made from L39314 v7 (new ids and titles), listed in the report.

    Used by the sync tests and the fetch benchmark; the report then lists only these.
    """
    base = json.loads((API / "lcd_39314_ver_7.json").read_text())
    report = json.loads((API / "reports_local-coverage-final-lcds.json").read_text())
    template = next(row for row in report["data"] if row["document_display_id"] == "L39314")
    rows, ids = [], []
    for lcd_id in range(first_id, first_id + count):
        record = dict(
            base["data"][0], lcd_id=lcd_id, lcd_version=1, title=f"Synthetic LCD {lcd_id}"
        )
        body = json.dumps({"meta": base["meta"], "data": [record]})
        server.put("/v1/data/lcd/", {"lcdid": lcd_id, "ver": 1}, body)
        rows.append(dict(template, document_id=lcd_id, document_version=1,
                         document_display_id=f"L{lcd_id}", title=record["title"],
                         updated_on_sort="20250801000000"))  # fmt: skip
        ids.append(lcd_id)
    server.put(
        "/v1/reports/local-coverage-final-lcds/",
        {},
        json.dumps({"meta": report["meta"], "data": rows}),
    )
    return ids


def publish_revision(server: ReplayServer, lcd_id: int, version: int, edit: Any = None) -> None:
    """CMS publishes a new version of a synthetic LCD: new record, report row updated."""
    report = json.loads(server.documents[("/v1/reports/local-coverage-final-lcds/", ())])
    row = next(r for r in report["data"] if r["document_id"] == lcd_id)
    previous = json.loads(
        server.documents[("/v1/data/lcd/", _key({"lcdid": lcd_id, "ver": row["document_version"]}))]
    )
    record = dict(previous["data"][0], lcd_version=version)
    if edit is not None:
        record = edit(record)
    server.put(
        "/v1/data/lcd/",
        {"lcdid": lcd_id, "ver": version},
        json.dumps({"meta": previous["meta"], "data": [record]}),
    )
    server.put(
        "/v1/data/lcd/", {"lcdid": lcd_id}, json.dumps({"meta": previous["meta"], "data": [record]})
    )
    row.update(document_version=version, updated_on_sort=f"2025090{version % 10}000000")
    server.put("/v1/reports/local-coverage-final-lcds/", {}, json.dumps(report))
