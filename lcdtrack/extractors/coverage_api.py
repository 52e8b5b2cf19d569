"""`coverage-api` extractor: a CMS Coverage API `/v1/data/lcd/` response, exactly as served,
or the bundle lcdtrack's API client keeps (the LCD, its companions and its related articles).

The envelope is `{"meta": …, "data": [DataLcd]}`; narrative fields hold entity-escaped HTML
(MCD-FORMATS.md §2.6–2.7). A final LCD has no `display_id` and the public id `L{lcd_id}`; a
proposed LCD is its own record whose `display_id` carries the public number (DL39314 is
`lcd_id` 39313, `display_id` 39314).
"""

from __future__ import annotations

from typing import Any

from lcdtrack.errors import LayoutChanged, NotAnLcd, NotAvailable
from lcdtrack.extractors.assemble import RecordParts, SectionContent, assemble
from lcdtrack.extractors.blocks import render
from lcdtrack.extractors.coverage_api_article import code_groups_from_bundle
from lcdtrack.extractors.grammar import SECTIONS
from lcdtrack.extractors.html_blocks import decode_field, html_to_blocks
from lcdtrack.extractors.json_input import load_json, looks_like_json_object, try_json
from lcdtrack.extractors.normalize import clean, is_empty, iso_date
from lcdtrack.models import (
    API_BUNDLE_FORMAT,
    LcdDates,
    LcdDocument,
    RawDocument,
    RelatedDocument,
    RevisionHistoryRow,
)

NAME = "coverage-api"
VERSION = "1"
REQUIRED_FIELDS = ("lcd_id", "lcd_version", "title", "indication")


def sniff(raw: RawDocument) -> bool:
    """Any JSON object but an article: an LCD envelope or bundle, or an API error body (so that
    a broken or foreign JSON file gets this extractor's precise error)."""
    if not looks_like_json_object(raw.content):
        return False
    data = try_json(raw.content)
    if not isinstance(data, dict):
        return True
    if data.get("format") == API_BUNDLE_FORMAT:
        return data.get("document") != "article"
    rows = data.get("data")
    return not (
        isinstance(rows, list) and rows and isinstance(rows[0], dict) and "article_id" in rows[0]
    )


def extract(raw: RawDocument) -> LcdDocument:
    document = _json(raw.content, raw.source)
    if isinstance(document, dict) and document.get("format") == API_BUNDLE_FORMAT:
        return _extract_bundle(document, raw.source)
    return assemble(parts_from_record(_record(document, raw.source)))


def _extract_bundle(bundle: dict[str, Any], source: str) -> LcdDocument:
    """An LCD fetched with its companions and articles (see `API_BUNDLE_FORMAT`)."""
    responses = bundle.get("responses")
    if bundle.get("document") != "lcd" or not isinstance(responses, dict) or "lcd" not in responses:
        raise NotAnLcd(f"{source}: a Coverage API bundle without an LCD response")
    record = _record(_json(responses["lcd"], f"{source} [lcd]"), source)
    parts = parts_from_record(record)

    def rows(name: str) -> list[dict[str, Any]]:
        if name not in responses:
            return []
        child = _json(responses[name], f"{source} [{name}]")
        data = child.get("data") if isinstance(child, dict) else None
        return [row for row in data or [] if isinstance(row, dict)]

    parts.revision_history = revision_history_rows(rows("revision-history"), rows("reason-change"))
    parts.related_documents = related_documents(rows("related-documents"))
    parts.contractors = _contractors(bundle.get("report_row"))
    parts.code_groups = tuple(
        group
        for article in bundle.get("articles") or []
        if isinstance(article, dict)
        for group in code_groups_from_bundle(article)
    )
    return assemble(parts)


def _json(content: bytes | str, source: str) -> Any:
    return load_json(content, source)


def _record(envelope: Any, source: str) -> dict[str, Any]:
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
        if isinstance(envelope, dict) and "message" in envelope:
            code = envelope.get("id", envelope.get("code", "?"))
            raise NotAnLcd(f"{source}: a Coverage API error ({code}): {envelope['message']}")
        raise NotAnLcd(f"{source}: JSON without a Coverage API envelope ('data' list)")
    if not envelope["data"]:
        raise NotAvailable(f"{source}: the Coverage API returned no record (empty 'data')")
    record = envelope["data"][0]
    if not isinstance(record, dict):
        raise NotAnLcd(f"{source}: 'data' holds no record object")
    if "lcd_id" not in record:
        kind = "an article" if "article_id" in record else "not an LCD record"
        raise NotAnLcd(f"{source}: Coverage API data is {kind} (no 'lcd_id')")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise LayoutChanged(
            f"{source}: Coverage API LCD record lacks {', '.join(missing)}; "
            "the API schema may have changed"
        )
    return record


def parts_from_record(record: dict[str, Any]) -> RecordParts:
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


def revision_history_rows(
    rows: list[dict[str, Any]], reasons: list[dict[str, Any]]
) -> tuple[RevisionHistoryRow, ...]:
    """Revision rows, newest first as the page shows them; this version's reasons for change
    go on its newest row (the API gives reasons per LCD version, not per row)."""
    ordered = sorted(rows, key=lambda r: _int(r.get("rev_hist_num")) or 0, reverse=True)
    why = tuple(clean(str(r.get("description") or "")) for r in reasons if r.get("description"))
    return tuple(
        RevisionHistoryRow(
            date=iso_date(str(row.get("rev_hist_date") or "")),
            number=str(row.get("rev_hist_num") or ""),
            explanation=_plain(str(row.get("rev_hist_exp") or "")),
            reasons=why if index == 0 else (),
        )
        for index, row in enumerate(ordered)
    )


def related_documents(rows: list[dict[str, Any]]) -> tuple[RelatedDocument, ...]:
    related: list[RelatedDocument] = []
    for row in sorted(rows, key=lambda r: _int(r.get("related_num")) or 0):
        if row.get("r_article_id"):
            public_id, version = f"A{row['r_article_id']}", _int(row.get("r_article_version"))
        elif row.get("r_lcd_id"):
            public_id, version = f"L{row['r_lcd_id']}", _int(row.get("r_lcd_version"))
        else:
            continue
        related.append(RelatedDocument(public_id, version, row.get("url") or None))
    return tuple(related)


def _contractors(report_row: Any) -> tuple[str, ...]:
    """Contractor names from the report row: "Name\r\n(types)", blank line between contractors."""
    if not isinstance(report_row, dict):
        return ()
    text = str(report_row.get("contractor_name_type") or "").replace("\r\n", "\n")
    return tuple(" ".join(block.split()) for block in text.split("\n\n") if block.strip())


def _plain(markup: str) -> str:
    return (
        render(html_to_blocks(decode_field(markup)))
        if "<" in markup or "&" in markup
        else clean(markup)
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
