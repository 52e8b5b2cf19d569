"""`mcd-page-text` extractor: an MCD LCD page as text (what a browser's "save as text" or a
crawler's text rendering of `view/lcd.aspx` gives; MCD-FORMATS.md §4.2).

Headings are whole lines from the page grammar; list items are lines starting with a bullet
glyph or a number, nested by indentation. The page shows no version number: it is taken from a
`ver=` in the source URL when there is one.

`PageContent` and `page_record` are the page grammar shared with `mcd-page-html`: each page
extractor reads its rendering down to a `PageContent`, and the same page gives the same record.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd
from lcdtrack.extractors.assemble import RecordParts, SectionContent, assemble
from lcdtrack.extractors.blocks import Block
from lcdtrack.extractors.grammar import (
    DOCUMENT_LABELS,
    INDICATIONS_SECTION,
    PAGE_HEADINGS,
    SECTION_NAMES,
    TABLE_HEADER_LINES,
)
from lcdtrack.extractors.normalize import clean, is_empty, iso_date
from lcdtrack.models import LcdDates, LcdDocument, PublicVersion, RawDocument, RevisionHistoryRow

NAME = "mcd-page-text"
VERSION = "1"
TITLE_LINE = re.compile(
    r"^(?:(PROPOSED|SUPERSEDED|RETIRED|FUTURE)\s+)?Local Coverage Determination \(LCD\)$", re.I
)
CLOSING_LINE = "Read the LCD Disclaimer"
_BULLET = re.compile(r"^(?P<indent>\s*)[\u2022\u00b7\u25aa\u25cf\u25e6o*-]\s+(?P<text>\S.*)$")
_NUMBERED = re.compile(r"^(?P<indent>\s+)(?P<number>\d{1,3})[.)]\s+(?P<text>\S.*)$")
_PUBLIC_VERSION = re.compile(
    r"^(?P<updated>\d\d/\d\d/\d{4})\s+(?P<start>\d\d/\d\d/\d{4})\s*-\s*(?P<end>\S+)\s+(?P<status>.+?)"
    r"(?P<here>\s+You are here)?$"
)
_PUBLIC_ID = re.compile(r"\b(D?L\d{5})\b")


@dataclass(frozen=True)
class PageContent:
    """One rendering of an MCD LCD page, read down to what the page grammar needs.

    `url` is the page address the ids and version are read from (`lcdid=`, `ver=`); `labels`
    maps Document Information fields to their values ("" for N/A); `revision_history` and
    `public_versions` are those blocks as the text rendering shows them, one line each.
    """

    source: str
    url: str
    title_line: str
    labels: dict[str, str]
    sections: dict[str, list[Block]]
    revision_history: list[str]
    public_versions: list[str]


def sniff(raw: RawDocument) -> bool:
    head = raw.content[:4096]
    if b"\x00" in head or head.lstrip()[:1] in (b"{", b"["):
        return False
    text = head.decode("utf-8", errors="replace")
    return "<html" not in text.lower() and any(
        TITLE_LINE.match(line.strip()) for line in text.splitlines()[:8]
    )


def extract(raw: RawDocument) -> LcdDocument:
    lines = _decode(raw).splitlines()
    headings = [
        i for i, line in enumerate(lines) if line == line.lstrip() and line.strip() in PAGE_HEADINGS
    ]
    if not headings or lines[headings[-1]].strip() != CLOSING_LINE:
        raise ExtractError(
            f"{raw.source}: page text is incomplete (no closing '{CLOSING_LINE}' line); "
            "is the file truncated?"
        )
    blocks = _heading_blocks(lines, headings)
    require_headings(raw.source, blocks)
    page = PageContent(
        source=raw.source,
        url=raw.source,
        title_line=next((line.strip() for line in lines if line.strip()), ""),
        labels=_document_information(blocks["Document Information"]),
        sections={name: text_to_blocks(blocks[name]) for name in SECTION_NAMES if name in blocks},
        revision_history=blocks.get("Revision History Information", []),
        public_versions=blocks.get("Public Versions", []),
    )
    return page_record(page)


def require_headings(source: str, found: Container[str]) -> None:
    """A page without Document Information or the indications is a layout change, not empty."""
    if "Document Information" not in found:
        raise LayoutChanged(f"{source}: no 'Document Information' block; the page layout changed")
    if INDICATIONS_SECTION not in found:
        raise LayoutChanged(
            f"{source}: no '{INDICATIONS_SECTION}' section; the page layout changed"
        )


def page_record(page: PageContent) -> LcdDocument:
    """The page grammar shared by every rendering of the page: identity, kind, status, dates,
    revision history and public versions; the sections go through the shared `assemble`."""
    return assemble(_parts(page))


def _decode(raw: RawDocument) -> str:
    if b"\x00" in raw.content[:65536]:
        raise NotAnLcd(f"{raw.source}: binary data, not an LCD page")
    try:
        return raw.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.content.decode("cp1252", errors="replace")


def _heading_blocks(lines: list[str], headings: list[int]) -> dict[str, list[str]]:
    """Lines under each heading up to the next; a repeated heading keeps its first filled body."""
    found: dict[str, list[str]] = {}
    for position, start in enumerate(headings):
        end = headings[position + 1] if position + 1 < len(headings) else len(lines)
        name = lines[start].strip()
        body = lines[start + 1 : end]
        if name not in found or is_empty("\n".join(found[name])):
            found[name] = body
    return found


def _document_information(body: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    lines = [line.strip() for line in body if line.strip()]
    for index, line in enumerate(lines):
        if line.startswith("CPT codes") or line.startswith("CPT only copyright"):
            break
        field = DOCUMENT_LABELS.get(line)
        if field is None:
            continue
        value = lines[index + 1] if index + 1 < len(lines) else ""
        labels[field] = "" if value in DOCUMENT_LABELS or is_empty(value) else value
    return labels


def _parts(page: PageContent) -> RecordParts:
    labels = page.labels
    proposed = bool(labels.get("proposed_public_id")) or page.title_line.lower().startswith(
        "proposed"
    )
    public_id = labels.get("proposed_public_id") or labels.get("lcd_public_id") or ""
    if not _PUBLIC_ID.fullmatch(public_id):
        raise LayoutChanged(f"{page.source}: no LCD ID in 'Document Information'")
    url_id, url_version = ids_from_url(page.url)
    lcd_id = url_id if url_id is not None else (None if proposed else int(public_id[1:]))
    sections = {name: SectionContent(blocks=blocks) for name, blocks in page.sections.items()}
    return RecordParts(
        public_id=public_id,
        lcd_id=lcd_id,
        version=url_version,
        kind="proposed" if proposed else "final",
        title=clean(labels.get("title", "")),
        status=_status(page.title_line),
        dates=LcdDates(
            **{f: iso_date(labels.get(f)) for f in _DATE_FIELDS},
            last_updated=_this_version_updated(page.public_versions),
        ),
        source_proposed_id=labels.get("source_proposed_id") or None,
        source_lcd_id=labels.get("source_lcd_id") or None,
        sections=sections,
        revision_history=_revision_history(page.revision_history),
        public_versions=_public_versions(page.public_versions),
    )


_DATE_FIELDS = (
    "original_effective",
    "revision_effective",
    "revision_ending",
    "retirement",
    "notice_start",
    "notice_end",
)


def text_to_blocks(lines: list[str]) -> list[Block]:
    """Page-text lines → blocks: bullets and indented numbers are list items, nested by indent."""
    blocks: list[Block] = []
    for line in lines:
        if not line.strip() or line.strip() in TABLE_HEADER_LINES:
            continue
        expanded = line.expandtabs(4)
        if bullet := _BULLET.match(expanded):
            depth = max(0, len(bullet["indent"]) // 2 - 1)
            blocks.append(Block("li", clean(bullet["text"]), depth))
        elif numbered := _NUMBERED.match(expanded):
            depth = max(0, len(numbered["indent"]) // 2 - 1)
            blocks.append(Block("li", clean(numbered["text"]), depth, int(numbered["number"])))
        else:
            blocks.append(Block("p", clean(line)))
    return [b for b in blocks if b.text]


def _status(title_line: str) -> str | None:
    word = title_line.split()[0].upper() if title_line.strip() else ""
    return word.lower() if word in {"SUPERSEDED", "RETIRED", "FUTURE"} else None


def _revision_history(body: list[str]) -> tuple[RevisionHistoryRow, ...]:
    lines = [line.strip() for line in body if line.strip()]
    if lines and lines[0].startswith("Revision History Date"):
        lines = lines[1:]
    if not lines or is_empty(lines[0]):
        return ()
    fields = [clean(f) for f in re.split(r"\s*\n\|\n\s*|\s+\|\s+", "\n".join(lines))]
    rows: list[RevisionHistoryRow] = []
    for start in range(0, len(fields) - 2, 4):
        date, number, explanation = fields[start : start + 3]
        reasons = fields[start + 3] if start + 3 < len(fields) else ""
        rows.append(
            RevisionHistoryRow(
                date=iso_date(date),
                number=number,
                explanation=explanation,
                reasons=tuple(r.strip() for r in reasons.split("- ") if r.strip()),
            )
        )
    return tuple(rows)


def _public_versions(body: list[str]) -> tuple[PublicVersion, ...]:
    versions: list[PublicVersion] = []
    for line in body:
        if match := _PUBLIC_VERSION.match(line.strip()):
            versions.append(
                PublicVersion(
                    updated_on=iso_date(match["updated"]),
                    effective_from=iso_date(match["start"]),
                    effective_to=iso_date(match["end"]),
                    status=match["status"].strip(),
                )
            )
    return tuple(versions)


def _this_version_updated(body: list[str]) -> str | None:
    """ "Updated On" of the Public Versions row marked "You are here" (this page's version)."""
    for line in body:
        match = _PUBLIC_VERSION.match(line.strip())
        if match and match["here"]:
            return iso_date(match["updated"])
    return None


def ids_from_url(url: str) -> tuple[int | None, int | None]:
    """`lcdid` and `ver` from an MCD URL (query keys are case-insensitive)."""
    query = {k.lower(): v for k, v in parse_qs(urlsplit(url).query).items()}

    def first_int(key: str) -> int | None:
        values = query.get(key)
        return int(values[0]) if values and values[0].isdigit() else None

    return first_int("lcdid"), first_int("ver")
