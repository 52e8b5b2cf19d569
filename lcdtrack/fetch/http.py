"""The HTTP layer every network fetch goes through: polite, bounded and retried.

* a User-Agent naming lcdtrack and its version;
* timeouts on connect and read, a cap on response size (read as a stream);
* retries with exponential back-off and full jitter on 429, 5xx and connection errors, honouring
  `Retry-After` (seconds or an HTTP date), up to a limit;
* conditional requests: an `ETag` / `Last-Modified` seen for a URL is sent back as
  `If-None-Match` / `If-Modified-Since`, and a 304 returns the body kept from before.

Errors that retrying cannot fix are raised as `FetchError` with one readable line.
"""

from __future__ import annotations

import email.utils
import importlib.metadata
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from lcdtrack.errors import FetchError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "lcdtrack/{version} (Medicare LCD change tracker; +https://pypi.org/project/lcdtrack/)"


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 60.0
    max_bytes: int = 64 * 1024 * 1024
    deadline: float = 300.0  # whole-response limit: a slow drip never resets a read timeout


@dataclass(frozen=True)
class HttpResponse:
    url: str
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8-sig", errors="replace")


class HttpClient:
    """A small, thread-safe wrapper over `httpx.Client` with lcdtrack's politeness rules."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self.sleep = sleep
        self.requests = 0
        self._validators: dict[str, tuple[dict[str, str], HttpResponse]] = {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.policy.timeout),
            headers={"User-Agent": user_agent(), **(headers or {})},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        """GET with retries; returns any final status (callers judge 4xx) or raises FetchError."""
        request_url = str(httpx.URL(url, params=params))
        for attempt in range(self.policy.retries + 1):
            last = attempt == self.policy.retries
            try:
                response = self._get_once(request_url, headers or {})
            except (httpx.TransportError, _TooLarge) as error:
                if isinstance(error, _TooLarge) or last:
                    raise FetchError(f"{request_url}: {_describe(error)}") from None
                self.sleep(self._delay(attempt, None))
                continue
            if response.status in RETRY_STATUSES and not last:
                self.sleep(self._delay(attempt, response.headers.get("retry-after")))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, url: str, headers: dict[str, str]) -> HttpResponse:
        conditional = dict(headers)
        cached = self._validators.get(url)
        if cached:
            conditional.update(cached[0])
        self.requests += 1
        with self._client.stream("GET", url, headers=conditional) as response:
            body = self._read_capped(response)
            result = HttpResponse(
                url=url,
                status=response.status_code,
                body=body,
                content_type=response.headers.get("content-type", ""),
                headers=dict(response.headers),
            )
        if result.status == 304 and cached:
            return HttpResponse(**{**cached[1].__dict__, "not_modified": True})
        if result.status == 200:
            self._remember(url, result)
        return result

    def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise _TooLarge(int(declared), self.policy.max_bytes)
        chunks: list[bytes] = []
        size = 0
        give_up = time.monotonic() + self.policy.deadline
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise _TooLarge(size, self.policy.max_bytes)
            if time.monotonic() > give_up:
                raise httpx.ReadTimeout(f"response not complete after {self.policy.deadline:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def _remember(self, url: str, response: HttpResponse) -> None:
        validators = {}
        if etag := response.headers.get("etag"):
            validators["If-None-Match"] = etag
        if modified := response.headers.get("last-modified"):
            validators["If-Modified-Since"] = modified
        if validators:
            self._validators[url] = (validators, response)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Full-jitter exponential back-off, or what `Retry-After` asks (capped)."""
        if retry_after:
            asked = _retry_after_seconds(retry_after)
            if asked is not None:
                return min(asked, self.policy.max_backoff)
        ceiling = min(self.policy.max_backoff, self.policy.backoff * 2**attempt)
        return random.uniform(0, ceiling)


def user_agent() -> str:
    try:
        version = importlib.metadata.version("lcdtrack")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        version = "dev"
    return USER_AGENT.format(version=version)


class _TooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"response of {size:,}+ bytes exceeds the {limit:,}-byte limit")


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _describe(error: Exception) -> str:
    if isinstance(error, _TooLarge):
        return str(error)
    if isinstance(error, httpx.TimeoutException):
        return "timed out (no answer in time; gave up after retries)"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"connection broken or response truncated ({error})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({error})"
    return f"network error ({type(error).__name__}: {error})"
