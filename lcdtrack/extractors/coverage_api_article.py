"""`coverage-api-article` extractor: a Billing and Coding article from the CMS Coverage API.

Sits in the extract stage (`RawDocument` → `LcdDocument`), beside `coverage_api` (LCDs). Since
2019 an LCD's ICD-10 and CPT/HCPCS codes live in its Billing and Coding article (MCD-FORMATS.md
§7), so this module turns the article's code tables into `CodeGroup`s. It reads two forms:

* an article bundle (`lcdtrack.models.API_BUNDLE_FORMAT`, `"document": "article"`) holding the
  `/v1/data/article/` body and its children (`icd10-covered`, `hcpc-code`, `revision-history`…),
  each a Coverage API envelope kept as the string CMS sent;
* a plain `/v1/data/article/` envelope (`data[0]` has `article_id`): metadata and narrative only.

Narrative fields and group paragraphs are entity-escaped HTML, decoded exactly once as for LCDs
(MCD-FORMATS.md §2.7). `code_groups_from_bundle` is the same code-table reading as a pure function
of a parsed bundle, so the LCD extractor can fold its related articles' codes into the LCD record.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd, NotAvailable
from lcdtrack.extractors.blocks import render
from lcdtrack.extractors.html_blocks import decode_field, html_to_blocks
from lcdtrack.extractors.json_input import load_json, try_json
from lcdtrack.extractors.normalize import clean, is_empty, iso_date
from lcdtrack.models import (
    API_BUNDLE_FORMAT,
    Code,
    CodeGroup,
    LcdDates,
    LcdDocument,
    RawDocument,
    RevisionHistoryRow,
    Section,
)

NAME = "coverage-api-article"
VERSION = "1"
REQUIRED_FIELDS = ("article_id", "article_version", "title")

SECTIONS: tuple[tuple[str, str], ...] = (
    ("CMS National Coverage Policy", "cms_cov_policy"),
    ("Article Text", "description"),
    ("Other Comments", "other_comments"),
    ("Additional ICD-10 Information", "add_icd10_info"),
    ("Keywords", "keywords"),
)
"""Narrative sections in MCD article page order: (heading on the page, DataArticle field)."""


@dataclass(frozen=True)
class CodeTable:
    """How one article child endpoint maps to code groups of one system."""

    system: str
    endpoint: str
    code_field: str
    description_fields: tuple[str, ...]
    group_field: str | None = None
    coverage: str | None = None
    paragraph_endpoint: str | None = None
    paragraph_field: str | None = None
    sort_field: str | None = None


CODE_TABLES: tuple[CodeTable, ...] = (
    CodeTable(
        system="ICD-10-CM",
        endpoint="icd10-covered",
        code_field="icd10_code_id",
        description_fields=("description",),
        group_field="icd10_covered_group",
        coverage="covered",
        paragraph_endpoint="icd10-covered-group",
        sort_field="sort_order",
    ),
    CodeTable(
        system="ICD-10-CM",
        endpoint="icd10-noncovered",
        code_field="icd10_code_id",
        description_fields=("description",),
        group_field="icd10_noncovered_group",
        coverage="not covered",
        paragraph_endpoint="icd10-noncovered-group",
        sort_field="sort_order",
    ),
    CodeTable(
        system="CPT/HCPCS",
        endpoint="hcpc-code",
        code_field="hcpc_code_id",
        description_fields=("long_description", "short_description"),
        group_field="hcpc_code_group",
        paragraph_endpoint="hcpc-code-group",
    ),
    CodeTable(
        system="HCPCS modifier",
        endpoint="hcpc-modifier",
        code_field="hcpc_modifier_code_id",
        description_fields=("description",),
        group_field="hcpc_modifier_group",
    ),
    CodeTable(
        system="Bill type",
        endpoint="bill-codes",
        code_field="bill_code_id",
        description_fields=("description",),
    ),
    CodeTable(
        system="Revenue",
        endpoint="revenue-code",
        code_field="revenue_code_id",
        description_fields=("description",),
        paragraph_field="revenue_para",
    ),
)
"""The code tables in the order groups are kept: system order, then group number."""

CHILD_ENDPOINTS = (
    *(table.endpoint for table in CODE_TABLES),
    *(t.paragraph_endpoint for t in CODE_TABLES if t.paragraph_endpoint),
    "revision-history",
)
_TRUE = {"y", "yes", "true", "1"}
_SINGLE_GROUP = "1"


@dataclass(frozen=True)
class Article:
    """An article record and its children's rows, checked and filtered to the record's version."""

    record: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]
    source: str

    @property
    def public_id(self) -> str:
        return f"A{self.record['article_id']}"


def sniff(raw: RawDocument) -> bool:
    """An article bundle, or a Coverage API envelope whose record has an `article_id`."""
    data = try_json(raw.content)
    if data is None:
        return False
    return (_is_bundle(data) and data.get("document") == "article") or _is_article_envelope(data)


def extract(raw: RawDocument) -> LcdDocument:
    data = load_json(raw.content, raw.source)
    if _is_bundle(data):
        return _document(article_from_bundle(data, raw.source))
    record = _record(data, "article", raw.source)
    return _document(Article(record=record, children={}, source=raw.source))


def code_groups_from_bundle(
    bundle: dict[str, Any], source: str = "article bundle"
) -> tuple[CodeGroup, ...]:
    """The code groups of a parsed article bundle (what the LCD extractor folds in)."""
    return _code_groups(article_from_bundle(bundle, source))


def article_from_bundle(bundle: dict[str, Any], source: str) -> Article:
    """Check an article bundle and parse its responses; raise a named error if it is broken."""
    if not _is_bundle(bundle):
        raise NotAnLcd(f"{source}: not a Coverage API bundle ({API_BUNDLE_FORMAT})")
    if bundle.get("document") != "article":
        raise NotAnLcd(f"{source}: a bundle of {bundle.get('document')!r}, not of an article")
    responses = bundle.get("responses")
    if not isinstance(responses, dict) or "article" not in responses:
        raise LayoutChanged(f"{source}: article bundle without the 'article' response")
    record = _record(_envelope(responses["article"], "article", source), "article", source)
    children = {
        name: _rows(_envelope(responses[name], name, source), record, name, source)
        for name in CHILD_ENDPOINTS
        if name in responses
    }
    return Article(record=record, children=children, source=source)


# -- reading JSON ---------------------------------------------------------------------------


def _envelope(body: Any, endpoint: str, source: str) -> dict[str, Any]:
    """One response body of a bundle, parsed: a `{"meta", "data": [...]}` envelope."""
    where = f"{source}: the '{endpoint}' response"
    if not isinstance(body, str):
        raise LayoutChanged(f"{where} is not a response body (a string)")
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError as error:
        raise ExtractError(
            f"{where} is invalid or truncated JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
    if isinstance(envelope, dict) and isinstance(envelope.get("data"), list):
        return envelope
    if isinstance(envelope, dict) and "message" in envelope:
        code = envelope.get("id", envelope.get("code", "?"))
        raise ExtractError(f"{where} is a Coverage API error ({code}): {envelope['message']}")
    raise LayoutChanged(f"{where} has no Coverage API envelope ('data' list)")


def _record(envelope: Any, endpoint: str, source: str) -> dict[str, Any]:
    """`data[0]` of an `/v1/data/article/` envelope, checked to be an article record."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
        raise NotAnLcd(f"{source}: JSON without a Coverage API envelope ('data' list)")
    if not envelope["data"]:
        raise NotAvailable(f"{source}: the Coverage API returned no article (empty 'data')")
    record = envelope["data"][0]
    if not isinstance(record, dict):
        raise NotAnLcd(f"{source}: '{endpoint}' data holds no record object")
    if "article_id" not in record:
        kind = "an LCD, not an article" if "lcd_id" in record else "not an article record"
        raise NotAnLcd(f"{source}: Coverage API data is {kind} (no 'article_id')")
    missing = [name for name in REQUIRED_FIELDS if is_empty(_text(record.get(name)))]
    missing += [
        n for n in ("article_id", "article_version") if n not in missing and _bad_int(record, n)
    ]
    if missing:
        raise LayoutChanged(
            f"{source}: Coverage API article record lacks {', '.join(missing)}; "
            "the API schema may have changed"
        )
    return record


def _rows(
    envelope: dict[str, Any], record: dict[str, Any], endpoint: str, source: str
) -> list[dict[str, Any]]:
    """A child's rows for this article; rows of this version only when any carry it."""
    rows = envelope["data"]
    if not all(isinstance(row, dict) for row in rows):
        raise LayoutChanged(f"{source}: the '{endpoint}' response holds a non-object row")
    article_id = _int(record["article_id"])
    strangers = {
        str(row["article_id"])
        for row in rows
        if _int(row.get("article_id", article_id)) != article_id
    }
    if strangers:
        raise LayoutChanged(
            f"{source}: the '{endpoint}' response holds rows of another article "
            f"({', '.join(sorted(strangers))})"
        )
    version = _int(record["article_version"])
    this_version = [row for row in rows if _int(row.get("article_version")) == version]
    return this_version or rows


def _is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == API_BUNDLE_FORMAT


def _is_article_envelope(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list) or not data["data"]:
        return False
    first = data["data"][0]
    return isinstance(first, dict) and "article_id" in first


# -- the record -----------------------------------------------------------------------------


def _document(article: Article) -> LcdDocument:
    record = article.record
    return LcdDocument(
        public_id=article.public_id,
        lcd_id=_int(record["article_id"]),
        version=_int(record["article_version"]),
        kind="article",
        title=clean(_text(record["title"])),
        status=None if is_empty(_text(record.get("status"))) else clean(_text(record["status"])),
        dates=_dates(record),
        sections=_sections(record),
        revision_history=_revision_history(article.children.get("revision-history", [])),
        code_groups=_code_groups(article),
    )


def _sections(record: dict[str, Any]) -> tuple[Section, ...]:
    sections: list[Section] = []
    for name, field in SECTIONS:
        value = record.get(field)
        if not isinstance(value, str) or is_empty(value):
            continue
        markup = decode_field(value)
        text = render(html_to_blocks(markup))
        if not is_empty(text):
            sections.append(Section(name=name, text=text, html=markup))
    return tuple(sections)


def _dates(record: dict[str, Any]) -> LcdDates:
    def date(*fields: str) -> str | None:
        values = (record.get(field) for field in fields)
        return next((iso_date(v) for v in values if isinstance(v, str) and iso_date(v)), None)

    return LcdDates(
        original_effective=date("article_eff_date"),
        revision_ending=date("article_rev_end_Date", "article_end_date"),
        retirement=date("date_retired"),
        published=date("article_pub_date"),
        last_updated=date("last_updated"),
    )


def _revision_history(rows: list[dict[str, Any]]) -> tuple[RevisionHistoryRow, ...]:
    """Newest first, as the MCD page lists them; numbers as the page writes them ("R26")."""
    ordered = sorted(rows, key=lambda row: _int(row.get("rev_hist_num")) or 0, reverse=True)
    return tuple(
        RevisionHistoryRow(
            date=iso_date(_text(row.get("rev_hist_date"))),
            number=_revision_number(row.get("rev_hist_num")),
            explanation=_html_text(row.get("rev_hist_exp")),
        )
        for row in ordered
    )


def _revision_number(value: Any) -> str:
    number = clean(_text(value))
    return f"R{number}" if number.isdigit() else number


# -- code groups ----------------------------------------------------------------------------


def _code_groups(article: Article) -> tuple[CodeGroup, ...]:
    return tuple(group for table in CODE_TABLES for group in _table_groups(table, article))


def _table_groups(table: CodeTable, article: Article) -> list[CodeGroup]:
    """One group per group number that has codes or a paragraph, in numeric order."""
    rows = article.children.get(table.endpoint, [])
    paragraphs = _paragraphs(table, article)
    by_group: dict[int, list[dict[str, Any]]] = {number: [] for number in paragraphs}
    for row in rows:
        by_group.setdefault(_group_number(row, table, article.source), []).append(row)
    return [
        CodeGroup(
            system=table.system,
            group=str(number),
            coverage=table.coverage,
            paragraph=paragraphs.get(number, ""),
            codes=_codes(by_group[number], table, article.source),
            source=article.public_id,
        )
        for number in sorted(by_group)
    ]


def _paragraphs(table: CodeTable, article: Article) -> dict[int, str]:
    """Group number → the group's paragraph as plain text (empty paragraphs left out)."""
    if table.paragraph_field:
        text = _html_text(article.record.get(table.paragraph_field))
        return {int(_SINGLE_GROUP): text} if text else {}
    if not table.paragraph_endpoint:
        return {}
    paragraphs: dict[int, str] = {}
    for row in article.children.get(table.paragraph_endpoint, []):
        if text := _html_text(row.get("paragraph")):
            paragraphs[_group_number(row, table, article.source)] = text
    return paragraphs


def _group_number(row: dict[str, Any], table: CodeTable, source: str) -> int:
    if table.group_field is None:
        return int(_SINGLE_GROUP)
    number = _int(row.get(table.group_field))
    if number is None:
        raise LayoutChanged(
            f"{source}: a '{table.endpoint}' row has no group number ({table.group_field})"
        )
    return number


def _codes(rows: list[dict[str, Any]], table: CodeTable, source: str) -> tuple[Code, ...]:
    """ICD-10 codes in the article's `sort_order`; the other tables have none: by code."""
    field = table.sort_field
    if field is None:
        return tuple(sorted((_code(row, table, source) for row in rows), key=lambda c: c.code))
    ranked = sorted(rows, key=lambda row: _order(row.get(field)))
    return tuple(_code(row, table, source) for row in ranked)


def _order(value: Any) -> tuple[bool, int]:
    number = _int(value)
    return (number is None, number or 0)


def _code(row: dict[str, Any], table: CodeTable, source: str) -> Code:
    code = clean(_text(row.get(table.code_field)))
    if not code:
        raise LayoutChanged(f"{source}: a '{table.endpoint}' row has no {table.code_field}")
    descriptions = (_description(row.get(field)) for field in table.description_fields)
    return Code(
        code=code,
        description=next((d for d in descriptions if d), ""),
        is_range=_is_true(row.get("range")),
    )


# -- values ---------------------------------------------------------------------------------


def _html_text(value: Any) -> str:
    """An entity-escaped HTML field as display text: decoded once, parsed, rendered."""
    if not isinstance(value, str) or is_empty(value):
        return ""
    text = render(html_to_blocks(decode_field(value)))
    return "" if is_empty(text) else text


def _description(value: Any) -> str:
    """A code description is plain text; undo entity escaping, if CMS applied any, once."""
    return clean(html.unescape(_text(value)))


def _is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return clean(_text(value)).lower() in _TRUE


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _bad_int(record: dict[str, Any], field: str) -> bool:
    return _int(record.get(field)) is None


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
