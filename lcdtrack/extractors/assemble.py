"""Build an `LcdDocument` from section blocks: the part every extractor shares.

An extractor finds the metadata and turns each narrative section into `Block`s; this module
renders section text, reads the indications and the bibliography, so that the same document
gives the same record whatever format it arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lcdtrack.extractors.blocks import Block, render
from lcdtrack.extractors.grammar import INDICATIONS_SECTION, SECTION_NAMES
from lcdtrack.extractors.indications import parse_indications
from lcdtrack.extractors.normalize import is_empty
from lcdtrack.models import (
    BibliographyEntry,
    CodeGroup,
    DocumentKind,
    LcdDates,
    LcdDocument,
    PublicVersion,
    RelatedDocument,
    RevisionHistoryRow,
    Section,
)


@dataclass
class SectionContent:
    blocks: list[Block]
    html: str | None = None


@dataclass
class RecordParts:
    """What an extractor found, before the shared grammar runs."""

    public_id: str
    lcd_id: int | None
    version: int | None
    kind: DocumentKind
    title: str
    status: str | None = None
    contractors: tuple[str, ...] = ()
    dates: LcdDates = field(default_factory=LcdDates)
    source_proposed_id: str | None = None
    source_lcd_id: str | None = None
    sections: dict[str, SectionContent] = field(default_factory=dict)
    revision_history: tuple[RevisionHistoryRow, ...] = ()
    public_versions: tuple[PublicVersion, ...] = ()
    related_documents: tuple[RelatedDocument, ...] = ()
    code_groups: tuple[CodeGroup, ...] = ()


def assemble(parts: RecordParts) -> LcdDocument:
    sections: list[Section] = []
    for name in SECTION_NAMES:
        content = parts.sections.get(name)
        if content is None:
            continue
        text = render(content.blocks)
        if is_empty(text):
            continue
        sections.append(Section(name=name, text=text, html=content.html))
    indication_blocks = parts.sections.get(INDICATIONS_SECTION)
    bibliography_blocks = parts.sections.get("Bibliography")
    return LcdDocument(
        public_id=parts.public_id,
        lcd_id=parts.lcd_id,
        version=parts.version,
        kind=parts.kind,
        title=parts.title,
        status=parts.status,
        contractors=parts.contractors,
        dates=parts.dates,
        source_proposed_id=parts.source_proposed_id,
        source_lcd_id=parts.source_lcd_id,
        sections=tuple(sections),
        indications=parse_indications(indication_blocks.blocks) if indication_blocks else (),
        bibliography=_bibliography(bibliography_blocks.blocks if bibliography_blocks else []),
        revision_history=parts.revision_history,
        public_versions=parts.public_versions,
        related_documents=parts.related_documents,
        code_groups=parts.code_groups,
    )


def _bibliography(blocks: list[Block]) -> tuple[BibliographyEntry, ...]:
    """List items are entries; a bibliography written as paragraphs gives one entry each."""
    entries = [
        BibliographyEntry(number=b.number, text=b.text)
        for b in blocks
        if b.is_item or not is_empty(b.text)
    ]
    return tuple(entries)
