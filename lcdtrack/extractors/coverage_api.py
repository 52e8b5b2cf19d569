"""`coverage-api` extractor: a CMS Coverage API `/v1/data/lcd/` response, exactly as served.

The envelope is `{"meta": …, "data": [DataLcd]}`; narrative fields hold entity-escaped HTML
(MCD-FORMATS.md §2.6–2.7). A final LCD has no `display_id` and the public id `L{lcd_id}`; a
proposed LCD is its own record whose `display_id` carries the public number (DL39314 is
`lcd_id` 39313, `display_id` 39314).
"""

from __future__ import annotations

import json
from typing import Any

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd, NotAvailable
from lcdtrack.extractors.assemble import RecordParts, SectionContent, assemble
from lcdtrack.extractors.grammar import SECTIONS
from lcdtrack.extractors.html_blocks import decode_field, html_to_blocks
from lcdtrack.extractors.normalize import clean, is_empty, iso_date
from lcdtrack.models import LcdDates, LcdDocument, RawDocument

NAME = "coverage-api"
VERSION = "1"
REQUIRED_FIELDS = ("lcd_id", "lcd_version", "title", "indication")


def sniff(raw: RawDocument) -> bool:
    """Any JSON object: the Coverage API's envelope, or one of its error bodies."""
    return raw.content[:4096].lstrip().startswith((b"{", b"\xef\xbb\xbf{"))


def extract(raw: RawDocument) -> LcdDocument:
    record = _record(raw)
    return assemble(_parts(record))


def _record(raw: RawDocument) -> dict[str, Any]:
    try:
        envelope = json.loads(raw.content.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise NotAnLcd(f"{raw.source}: not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise ExtractError(
            f"{raw.source}: invalid or truncated JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
        if isinstance(envelope, dict) and "message" in envelope:
            code = envelope.get("id", envelope.get("code", "?"))
            raise NotAnLcd(f"{raw.source}: a Coverage API error ({code}): {envelope['message']}")
        raise NotAnLcd(f"{raw.source}: JSON without a Coverage API envelope ('data' list)")
    if not envelope["data"]:
        raise NotAvailable(f"{raw.source}: the Coverage API returned no record (empty 'data')")
    record = envelope["data"][0]
    if not isinstance(record, dict):
        raise NotAnLcd(f"{raw.source}: 'data' holds no record object")
    if "lcd_id" not in record:
        kind = "an article" if "article_id" in record else "not an LCD record"
        raise NotAnLcd(f"{raw.source}: Coverage API data is {kind} (no 'lcd_id')")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise LayoutChanged(
            f"{raw.source}: Coverage API LCD record lacks {', '.join(missing)}; "
            "the API schema may have changed"
        )
    return record


def _parts(record: dict[str, Any]) -> RecordParts:
    lcd_id = _int(record.get("lcd_id"))
    display = _int(record.get("display_id"))
    proposed = display is not None and (display != lcd_id or record.get("status") == "P")
    public_id = f"DL{display}" if proposed else f"L{lcd_id}"
    sections: dict[str, SectionContent] = {}
    for name, field in SECTIONS:
        value = record.get(field)
        if not isinstance(value, str) or is_empty(value):
            continue
        markup = decode_field(value)
        sections[name] = SectionContent(blocks=html_to_blocks(markup), html=markup)
    return RecordParts(
        public_id=public_id,
        lcd_id=lcd_id,
        version=_int(record.get("lcd_version")),
        kind="proposed" if proposed else "final",
        title=clean(str(record.get("title") or "")),
        status=clean(str(record["status"])) if not is_empty(record.get("status")) else None,
        dates=_dates(record),
        source_lcd_id=f"L{display}" if proposed else None,
        sections=sections,
    )


def _dates(record: dict[str, Any]) -> LcdDates:
    def date(field: str) -> str | None:
        value = record.get(field)
        return iso_date(value) if isinstance(value, str) else None

    return LcdDates(
        original_effective=date("orig_det_eff_date"),
        revision_effective=date("rev_eff_date"),
        revision_ending=date("rev_end_date"),
        retirement=date("date_retired"),
        notice_start=date("notice_start_dt"),
        notice_end=date("notice_end_dt"),
        comment_start=date("comment_start_dt"),
        comment_end=date("comment_end_dt"),
        last_updated=date("last_updated"),
        published=date("mcd_publish_date"),
    )


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
