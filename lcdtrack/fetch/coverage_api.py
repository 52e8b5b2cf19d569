"""The CMS Coverage API client (https://api.coverage.cms.gov, MCD-FORMATS.md §2).

* Licence token from `/v1/metadata/license-agreement/` (key `Token`, or `token` as the spec
  says), cached for 55 minutes, re-requested once when a data call answers 401/403.
* Ids as users write them: `L39314` and `DL39314` are resolved through the final / proposed
  LCD reports (never by arithmetic on the display number); `A59105` is article 59105.
* An LCD is fetched with its companions (revision history, related documents, contractor,
  reasons for change, synopsis of changes) and its related articles (with their code tables),
  and returned as one `RawDocument` holding a bundle of the response bodies exactly as received
  (`lcdtrack.models.API_BUNDLE_FORMAT`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from lcdtrack.errors import FetchError
from lcdtrack.fetch.http import HttpClient, HttpResponse
from lcdtrack.models import API_BUNDLE_FORMAT, RawDocument

DEFAULT_API_URL = "https://api.coverage.cms.gov"
TOKEN_LIFETIME_S = 55 * 60
LCD_COMPANIONS = (
    "revision-history",
    "related-documents",
    "contractor",
    "reason-change",
    "synopsis-changes",
)
ARTICLE_CHILDREN = (
    "icd10-covered",
    "icd10-covered-group",
    "icd10-noncovered",
    "icd10-noncovered-group",
    "hcpc-code",
    "hcpc-code-group",
    "hcpc-modifier",
    "bill-codes",
    "revenue-code",
    "revision-history",
)
REPORTS = {
    "final": "/v1/reports/local-coverage-final-lcds/",
    "proposed": "/v1/reports/local-coverage-proposed-lcds/",
    "article": "/v1/reports/local-coverage-articles/",
}
_PUBLIC_ID = re.compile(r"^(?P<prefix>DL|L|DA|A)(?P<number>\d{4,6})$", re.IGNORECASE)


class ArticleNotAvailable(FetchError):
    """The Coverage API answered, with no such article (empty data): an archived article.

    Only this leaves an LCD's article out of its bundle (noted in `missing_articles`); any
    other failure (network, HTTP status, an error page) fails the LCD, so that a transient
    fault never stores a record without the codes of its articles."""


@dataclass(frozen=True)
class ReportRow:
    """One row of a report endpoint: which document, which version, when it was updated."""

    public_id: str
    document_id: int
    version: int
    title: str
    updated_on: str
    kind: str
    row: dict[str, Any]


class CoverageApiClient:
    """Talks to the Coverage API at `base_url` (the real CMS API by default)."""

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient()
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        self._reports: dict[tuple[str, tuple[tuple[str, str], ...]], list[ReportRow]] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CoverageApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- documents ------------------------------------------------------------------------

    def fetch(self, reference: str, version: int | None = None) -> list[RawDocument]:
        """The document's most recent version as the API serves it, or the version asked for.

        (While a revision is in notice the reports list two versions; `fetch --all` takes both,
        `L39314@11` names one.)
        """
        prefix, number = _split(reference)
        if prefix in ("A", "DA"):
            return [self.article_document(number, version, f"{prefix}{number}")]
        kind = "proposed" if prefix == "DL" else "final"
        public_id = f"{prefix}{number}"
        rows = [r for r in self.report(kind) if r.public_id == public_id]
        if not rows:
            raise FetchError(f"{public_id}: no such LCD in the Coverage API ({kind} LCD report)")
        row = next((r for r in rows if r.version == version), rows[0])
        return [self.lcd_document(row.document_id, version, public_id, row.row)]

    def lcd_document(
        self,
        lcd_id: int,
        version: int | None,
        public_id: str,
        report_row: dict[str, Any] | None = None,
    ) -> RawDocument:
        params: dict[str, Any] = {"lcdid": lcd_id, **({"ver": version} if version else {})}
        body, envelope = self.get_envelope("/v1/data/lcd/", params, public_id, auth=True)
        if not envelope["data"]:
            wanted = f"{public_id}@{version}" if version else public_id
            raise FetchError(f"{wanted}: no such LCD in the Coverage API (empty 'data')")
        record = envelope["data"][0]
        exact = {"lcdid": lcd_id, "ver": record.get("lcd_version", version)}
        responses = {"lcd": body}
        for name in LCD_COMPANIONS:
            responses[name] = self.get_envelope(f"/v1/data/lcd/{name}", exact, public_id, True)[0]
        articles: list[dict[str, Any]] = []
        missing: list[dict[str, Any]] = []
        for row in json.loads(responses["related-documents"]).get("data", []):
            if not row.get("r_article_id"):
                continue
            article_id, article_version = (
                _int(row["r_article_id"]),
                _int(row.get("r_article_version")),
            )
            if article_id is None:
                raise FetchError(
                    f"{public_id}: a related article id that is not a number "
                    f"({row['r_article_id']!r}) in the Coverage API's related documents"
                )
            try:
                articles.append(self.article_bundle(article_id, article_version))
            except ArticleNotAvailable as error:  # an archived article must not cost us the LCD
                missing.append({"article_id": article_id, "version": article_version,
                                "error": str(error)})  # fmt: skip
            except FetchError as error:
                raise FetchError(f"{public_id}: its related article failed: {error}") from None
        bundle = self._bundle("lcd", responses, articles)
        if missing:
            bundle["missing_articles"] = missing
        if report_row is not None:
            bundle["report_row"] = report_row
        return RawDocument(
            content=_dump(bundle),
            source=f"{self.base_url}/v1/data/lcd/?lcdid={lcd_id}&ver={exact['ver']}",
            media_type="application/json",
            fetched_at=bundle["fetched_at"],
        )

    def article_document(self, article_id: int, version: int | None, public_id: str) -> RawDocument:
        bundle = self.article_bundle(article_id, version, public_id)
        return RawDocument(
            content=_dump(bundle),
            source=f"{self.base_url}/v1/data/article/?articleid={article_id}",
            media_type="application/json",
            fetched_at=bundle["fetched_at"],
        )

    def article_bundle(
        self, article_id: int, version: int | None, public_id: str | None = None
    ) -> dict[str, Any]:
        label = public_id or f"A{article_id}"
        params: dict[str, Any] = {"articleid": article_id, **({"ver": version} if version else {})}
        body, envelope = self.get_envelope("/v1/data/article/", params, label, auth=True)
        if not envelope["data"]:
            raise ArticleNotAvailable(f"{label}: no such article in the Coverage API (empty data)")
        exact = {
            "articleid": article_id,
            "ver": envelope["data"][0].get("article_version", version),
        }
        responses = {"article": body}
        for name in ARTICLE_CHILDREN:
            responses[name] = self.get_envelope(f"/v1/data/article/{name}", exact, label, True)[0]
        return self._bundle("article", responses, [])

    # -- reports --------------------------------------------------------------------------

    def report(self, kind: str, **filters: str) -> list[ReportRow]:
        """Rows of a report endpoint (cached per client); filters are the API's query params."""
        key = (kind, tuple(sorted(filters.items())))
        if key not in self._reports:
            _, envelope = self.get_envelope(REPORTS[kind], dict(filters), f"{kind} report", False)
            self._reports[key] = [_report_row(row, kind) for row in envelope["data"]]
        return self._reports[key]

    # -- transport ------------------------------------------------------------------------

    def get_envelope(
        self, path: str, params: dict[str, Any], label: str, auth: bool
    ) -> tuple[str, dict[str, Any]]:
        """GET one endpoint; returns the body text and its parsed envelope, or raises FetchError."""
        response = self._get(path, params, auth)
        if auth and response.status in (401, 403):
            self._token = None
            response = self._get(path, params, auth)
            if response.status in (401, 403):
                raise FetchError(
                    f"{label}: token refused by the Coverage API (HTTP {response.status} twice, "
                    f"after a fresh licence token): {_snippet(response)}"
                )
        _raise_for_status(response, path, label)
        return response.text, _parse_envelope(response, label)

    def token(self) -> str:
        with self._token_lock:
            now = self.clock()
            if self._token and now < self._token[1]:
                return self._token[0]
            response = self.http.get(self.base_url + "/v1/metadata/license-agreement/")
            _raise_for_status(response, "/v1/metadata/license-agreement/", "licence token")
            data = _parse_envelope(response, "licence token").get("data") or [{}]
            token = next(
                (v for k, v in data[0].items() if k.lower() == "token" and isinstance(v, str)), None
            )
            if not token:
                raise FetchError("licence token: the response has no 'Token' field")
            self._token = (token, now + TOKEN_LIFETIME_S)
            return token

    def _get(self, path: str, params: dict[str, Any], auth: bool) -> HttpResponse:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        return self.http.get(self.base_url + path, params=params, headers=headers)

    def _bundle(
        self, document: str, responses: dict[str, str], articles: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "format": API_BUNDLE_FORMAT,
            "document": document,
            "base_url": self.base_url,
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "responses": responses,
            "articles": articles,
        }


def _split(reference: str) -> tuple[str, int]:
    match = _PUBLIC_ID.match(reference.strip())
    if not match:
        raise FetchError(f"{reference!r} is not an LCD or article id (L39314, DL39314, A59105)")
    return match["prefix"].upper(), int(match["number"])


def _report_row(row: dict[str, Any], kind: str) -> ReportRow:
    document_id, version = _int(row.get("document_id")), _int(row.get("document_version"))
    if document_id is None or version is None:
        raise FetchError(
            f"{kind} report: a row without a numeric document_id and document_version "
            f"({_clip(json.dumps(row))}); the report's layout may have changed"
        )
    return ReportRow(
        public_id=str(row.get("document_display_id") or "").upper(),
        document_id=document_id,
        version=version,
        title=str(row.get("title") or ""),
        updated_on=str(row.get("updated_on_sort") or row.get("updated_on") or ""),
        kind=kind,
        row=row,
    )


def _raise_for_status(response: HttpResponse, path: str, label: str) -> None:
    if response.status == 200 or response.status == 304:
        return
    message = _error_message(response)
    if response.status == 400 and message.startswith("Hello MCIM"):
        raise FetchError(f"{label}: the Coverage API does not know the path {path}")
    raise FetchError(f"{label}: HTTP {response.status} from the Coverage API: {message}")


def _error_message(response: HttpResponse) -> str:
    try:
        body = json.loads(response.body)
    except ValueError:
        return _snippet(response)
    if isinstance(body, dict) and "message" in body:
        code = body.get("id", body.get("code"))
        return f"{body['message']}" + (f" ({code})" if code is not None else "")
    return _snippet(response)


def _parse_envelope(response: HttpResponse, label: str) -> dict[str, Any]:
    text = response.text
    if text.lstrip().startswith("<"):
        raise FetchError(
            f"{label}: the Coverage API returned an HTML page instead of JSON "
            f"(HTTP {response.status}, {response.content_type or 'no content type'})"
        )
    try:
        envelope = json.loads(text)
    except ValueError as error:
        raise FetchError(
            f"{label}: invalid or truncated JSON from the Coverage API ({error})"
        ) from (None)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
        raise FetchError(f"{label}: unexpected response shape (no 'data' list)")
    if not all(isinstance(row, dict) for row in envelope["data"]):
        raise FetchError(f"{label}: unexpected response shape ('data' holds non-objects)")
    next_token = (envelope.get("meta") or {}).get("next_token")
    if next_token:
        raise FetchError(
            f"{label}: the response is paginated (meta.next_token is set), which lcdtrack does "
            "not follow yet; refusing to keep a truncated result"
        )
    return envelope


def _snippet(response: HttpResponse) -> str:
    return _clip(response.text) or "(empty body)"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return (text[:160] + "…") if len(text) > 160 else text


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _dump(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, sort_keys=True).encode("utf-8")
