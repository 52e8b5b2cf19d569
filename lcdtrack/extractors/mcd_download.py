"""`mcd-download` extractor: one LCD version of an MCD bulk download, as `fetch.bulk` yields it.

    fetch (`fetch/bulk.py`: an `lcd.csv` row and its joined rows, as JSON) → extract (here)
    → snapshot store → diff → report

`lcd.csv` carries the Coverage API's 48 `DataLcd` field names (MCD-FORMATS.md §1, §5), so the
row is mapped exactly as the `coverage-api` extractor maps a `DataLcd` record: the same identity
rules (DL39314 is `lcd_id` 39313 with `display_id` 39314), sections and indication grammar, so
one document gives one record from either source. What differs is handled on the way: values
are strings (empty = null), dates may carry a time (`MM/DD/YYYY HH:MM:SS`) or be ISO, narrative
HTML may be raw or entity-escaped (`decode_field` decides per field), and the revision history,
related documents and contractors come from the joined `lcd_x_*` tables instead of API children.
"""

from __future__ import annotations

from typing import Any

from lcdtrack.errors import LayoutChanged, NotAnLcd
from lcdtrack.extractors import coverage_api
from lcdtrack.extractors.assemble import assemble
from lcdtrack.extractors.json_input import load_json, looks_like_json_object
from lcdtrack.extractors.normalize import clean
from lcdtrack.models import DOWNLOAD_ROW_FORMAT, LcdDocument, RawDocument

NAME = "mcd-download"
VERSION = "1"
_TAG = f'"format":"{DOWNLOAD_ROW_FORMAT}"'.encode()


def sniff(raw: RawDocument) -> bool:
    """A JSON object carrying the download-row format tag (written compact by `fetch.bulk`)."""
    return looks_like_json_object(raw.content) and _TAG in raw.content


def extract(raw: RawDocument) -> LcdDocument:
    document = _document(raw)
    record = {str(name).lower(): value for name, value in document["lcd"].items()}
    missing = [name for name in coverage_api.REQUIRED_FIELDS if name not in record]
    if missing:
        raise LayoutChanged(
            f"{raw.source}: the lcd.csv row lacks {', '.join(missing)}; "
            "the download's columns may have changed"
        )
    # once coverage_api.py exposes them; the private helpers keep both formats identical today.
    parts = coverage_api.parts_from_record(record)
    parts.revision_history = coverage_api.revision_history_rows(
        _rows(document, "revision_history"), []
    )
    parts.related_documents = coverage_api.related_documents(_rows(document, "related_documents"))
    parts.contractors = _contractor_names(_rows(document, "contractors"))
    return assemble(parts)


def _contractor_names(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """One "Name (type, type)" per contractor, as the Coverage API reports write them.

    The download links an LCD to each contract (one row per contract number); rows of the same
    contractor collapse into one name with the contract types in order of appearance. Rows
    without a name (no `contractor.csv` in the download) are left out.
    """
    types_by_name: dict[str, list[str]] = {}
    for row in rows:
        name = clean(str(row.get("contractor_bus_name") or ""))
        if not name:
            continue
        types = types_by_name.setdefault(name, [])
        kind = clean(str(row.get("contractor_type_description") or ""))
        if kind and kind not in types:
            types.append(kind)
    return tuple(
        f"{name} ({', '.join(types)})" if types else name for name, types in types_by_name.items()
    )


def _document(raw: RawDocument) -> dict[str, Any]:
    document = load_json(raw.content, raw.source)
    if not isinstance(document, dict) or document.get("format") != DOWNLOAD_ROW_FORMAT:
        raise NotAnLcd(f"{raw.source}: not an MCD download row ({DOWNLOAD_ROW_FORMAT})")
    if not isinstance(document.get("lcd"), dict):
        raise LayoutChanged(f"{raw.source}: an MCD download row without its 'lcd' object")
    return document


def _rows(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A joined table's rows; none when the download had no such table (null)."""
    rows = document.get(name)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
