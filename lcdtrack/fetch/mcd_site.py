"""MCD web pages (https://www.cms.gov/medicare-coverage-database/view/lcd.aspx?lcdid=…&ver=…).

The site answers plain HTTP clients with 403 and hides codes behind an AMA/ADA/AHA licence
dialog (MCD-FORMATS.md §4.3), so a page is a secondary source: lcdtrack asks politely with
browser-like Accept headers and, when refused, says so and points to the Coverage API route.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from lcdtrack.errors import FetchError
from lcdtrack.fetch.http import HttpClient
from lcdtrack.models import RawDocument

MCD_HOST = "www.cms.gov"
PAGE_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.8",
}


def is_mcd_page_url(source: str) -> bool:
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and "/medicare-coverage-database/" in parts.path


def fetch_page(url: str, http: HttpClient) -> RawDocument:
    """GET one MCD page; a refusal becomes a FetchError that names the Coverage API route."""
    response = http.get(url, headers=PAGE_HEADERS)
    if response.status in (401, 403):
        raise FetchError(
            f"{url}: the MCD site refused the request (HTTP {response.status}); it blocks "
            f"non-browser clients and shows a licence dialog. {_api_hint(url)}"
        )
    if response.status != 200:
        raise FetchError(f"{url}: HTTP {response.status} from the MCD site")
    return RawDocument(
        content=response.body,
        source=url,
        media_type=response.content_type.split(";")[0].strip() or "text/html",
    )


def _api_hint(url: str) -> str:
    query = {k.lower(): v[0] for k, v in parse_qs(urlsplit(url).query).items() if v}
    lcd_id, version = query.get("lcdid"), query.get("ver")
    if lcd_id:
        which = f"lcdid {lcd_id}" + (f", version {version}" if version else "")
        return (
            f"Fetch the same document ({which}) through the Coverage API by its public id, e.g. "
            f"`lcdtrack fetch L{lcd_id}"
            + (f"@{version}`" if version else "`")
            + " (a proposed LCD has its own DL number)."
        )
    return "Fetch it through the Coverage API by its public id, e.g. `lcdtrack fetch L39314`."
