"""`compare(old, new)`: what changed between two LCD records, as `Change`s in a reader's terms.

Order of the result: metadata, indications (added, removed, renamed, changed), codes, sections.
Presentation never counts: texts are compared in their canonical form
(`lcdtrack.extractors.normalize.canonical`).
"""

from __future__ import annotations

from dataclasses import fields

from lcdtrack.diff.codes import compare_codes
from lcdtrack.diff.indications import compare_indication, match_indications
from lcdtrack.diff.severity import with_severity
from lcdtrack.diff.words import is_changed, word_diff
from lcdtrack.errors import LayoutChanged
from lcdtrack.extractors.grammar import INDICATIONS_SECTION
from lcdtrack.extractors.normalize import canonical, is_empty
from lcdtrack.models import Change, LcdDates, LcdDocument

METADATA_FIELDS = ("title", "status")
DATE_FIELDS = tuple(f.name for f in fields(LcdDates))
LINK_FIELDS = ("source_proposed_id", "source_lcd_id")


def compare(old: LcdDocument, new: LcdDocument) -> list[Change]:
    """Every change from `old` to `new`, each with its severity; empty means the same policy."""
    _guard_layout(old, new)
    changes = [
        *_metadata(old, new),
        *_indications(old, new),
        *_codes(old, new),
        *_sections(old, new),
    ]
    return with_severity(changes)


def _guard_layout(old: LcdDocument, new: LcdDocument) -> None:
    """Losing every indication while the section still has text is a parse failure, not news."""
    section = new.section(INDICATIONS_SECTION)
    if old.indications and not new.indications and section and not is_empty(section.text):
        raise LayoutChanged(
            f"{new.public_id}: no indications could be read where {old.public_id} had "
            f"{len(old.indications)}; the layout changed — not reporting them as removed"
        )


def _metadata(old: LcdDocument, new: LcdDocument) -> list[Change]:
    pairs: list[tuple[str, str | None, str | None]] = [
        (field, getattr(old, field), getattr(new, field)) for field in METADATA_FIELDS
    ]
    pairs += [(f, getattr(old.dates, f), getattr(new.dates, f)) for f in DATE_FIELDS]
    if old.public_id == new.public_id:
        pairs += [(f, getattr(old, f), getattr(new, f)) for f in LINK_FIELDS]
    # A value the newer record lacks is not reported: the page text carries no `status` or
    # `last_updated`, so comparing an API snapshot with a page snapshot would report noise.
    return [
        Change("metadata_changed", field, None, before, after)
        for field, before, after in pairs
        if after is not None and canonical(before or "") != canonical(after)
    ]


def _indications(old: LcdDocument, new: LcdDocument) -> list[Change]:
    pairs, removed, added = match_indications(old.indications, new.indications)
    changes = [Change("indication_added", i.name, None, None, i.text) for i in added]
    changes += [Change("indication_removed", i.name, None, i.text, None) for i in removed]
    for before, after in pairs:
        changes.extend(compare_indication(before, after))
    return changes


def _without(text: str, record: LcdDocument) -> str:
    """Section text with the text of each indication cut out (preamble and lead-ins remain)."""
    for indication in record.indications:
        text = text.replace(canonical(indication.text), " ")
    return " ".join(text.split())


def _codes(old: LcdDocument, new: LcdDocument) -> list[Change]:
    """Code changes, when both records carry codes. A record without any code group came from
    a source that has none (page text, a bulk LCD row, a bare API response): unknown, not empty."""
    if not old.code_groups or not new.code_groups:
        return []
    return compare_codes(old.code_groups, new.code_groups)


def _sections(old: LcdDocument, new: LcdDocument) -> list[Change]:
    old_sections = {s.name: s for s in old.sections}
    new_names = {s.name for s in new.sections}
    changes: list[Change] = []
    for section in new.sections:
        before = old_sections.get(section.name)
        if before is None:
            changes.append(Change("section_added", section.name, None, None, section.text))
            continue
        old_text, new_text = canonical(before.text), canonical(section.text)
        if section.name == INDICATIONS_SECTION:
            # The indications themselves are compared one by one; here only what is around them.
            old_text, new_text = _without(old_text, old), _without(new_text, new)
        if old_text == new_text:
            continue
        edits = word_diff(old_text, new_text)
        if is_changed(edits):
            changes.append(
                Change("section_changed", section.name, None, before.text, section.text, edits)
            )
    changes += [
        Change("section_removed", s.name, None, s.text, None)
        for s in old.sections
        if s.name not in new_names
    ]
    return changes
