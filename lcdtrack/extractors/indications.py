"""The indication grammar: blocks of "Coverage Indications, Limitations, and/or Medical Necessity"
→ `Indication`s.

Rules (shared by every source format, see README "How indications are read"):

* Each top-level list item is an indication; paragraphs before the first list are preamble.
* Nested list items under it are its criteria, or its dosing statements when they state a dose.
* Paragraphs that follow an indication's item, up to the next top-level item, belong to it (the
  scleromyxedema dosing paragraphs, the SCLS dose sentence, the IMNM paragraph in L39314).
* A paragraph ending in ":" right before a list is a lead-in; it sets the stance of the items
  ("NGS has approved IVIG for the following off label uses:" → covered).
"""

from __future__ import annotations

import re

from lcdtrack.extractors.blocks import Block
from lcdtrack.extractors.dosing import dosing_statements, find_doses
from lcdtrack.extractors.normalize import match_key
from lcdtrack.models import DosingStatement, Indication, Stance

_NOT_COVERED = re.compile(
    r"\b(not (?:be )?covered|non-?covered|not (?:considered )?reasonable and necessary|"
    r"not medically necessary|investigational|experimental|will be denied)\b",
    re.IGNORECASE,
)
_COVERED = re.compile(
    r"\b(approved|covered|medically necessary|reasonable and necessary|indicated|"
    r"coverage (?:is|will be) (?:provided|extended))\b",
    re.IGNORECASE,
)
# A dash that separates a name from its description: spaced on at least one side, or final.
_NAME_DASH = re.compile(r"\s[-–—]|[-–—](?:\s|$)")
_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z0-9]{1,9}(?:[-/][A-Z0-9]+)?)\)")
_VERB_CUE = re.compile(
    r"\s(?:may|is|are|was|were|should|shall|can|will|when|if|that|which|who|where|in patients)\s"
)
_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9)][.;:])\s")
_ABBREVIATIONS = frozenset({"vs", "e.g", "i.e", "etc", "dr", "st", "no", "approx", "incl"})
_MAX_NAME_WORDS = 16


def parse_indications(blocks: list[Block]) -> tuple[Indication, ...]:
    """All indications of the section, in page order."""
    indications: list[Indication] = []
    stance: Stance | None = None
    current: list[Block] | None = None
    for index, block in enumerate(blocks):
        if block.is_item and block.depth == 0:
            if current:
                indications.append(_build(current, stance))
            current = [block]
        elif block.kind == "p" and _is_lead_in(blocks, index):
            if current:
                indications.append(_build(current, stance))
                current = None
            stance = stance_of(block.text)
        elif current is not None:
            current.append(block)
        elif block.kind == "p" and block.text.rstrip().endswith(":"):
            stance = stance_of(block.text) or stance
    if current:
        indications.append(_build(current, stance))
    return tuple(indications)


def stance_of(text: str) -> Stance | None:
    """The coverage stance a sentence states, if any; exclusions win over inclusions."""
    if _NOT_COVERED.search(text):
        return "not covered"
    if _COVERED.search(text):
        return "covered"
    return None


def indication_name(head: str) -> str:
    """The name as written, cut from an item's first words (see module docstring)."""
    first = first_sentence(head)
    dash = _NAME_DASH.search(first)
    if dash and dash.start() > 0 and len(first[: dash.start()].split()) <= _MAX_NAME_WORDS:
        return first[: dash.start()].strip(" -–—:")
    abbreviation = _ABBREVIATION.search(first)
    if abbreviation and len(first[: abbreviation.end()].split()) <= _MAX_NAME_WORDS:
        return first[: abbreviation.end()].strip()
    verb = _VERB_CUE.search(first)
    if verb and verb.start() > 0:
        return first[: verb.start()].strip(" ,;:")
    words = first.rstrip(".:;").split()
    return " ".join(words[:_MAX_NAME_WORDS])


def first_sentence(text: str) -> str:
    """Text up to the first sentence break that does not follow an abbreviation ("vs.")."""
    for found in _SENTENCE_BREAK.finditer(text):
        word = text[: found.start()].rsplit(None, 1)[-1].rstrip(".;:").lower()
        if word not in _ABBREVIATIONS:
            return text[: found.start()]
    return text


def aliases_of(name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_ABBREVIATION.findall(name)))


def _is_lead_in(blocks: list[Block], index: int) -> bool:
    """A paragraph ending in ':' followed directly by a top-level list starts a new list."""
    block = blocks[index]
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return (
        block.text.rstrip().endswith(":")
        and following is not None
        and following.is_item
        and following.depth == 0
    )


def _build(run: list[Block], group_stance: Stance | None) -> Indication:
    head, rest = run[0], run[1:]
    name = indication_name(head.text)
    criteria: list[str] = []
    dosing: list[DosingStatement] = list(dosing_statements(head.text))
    for block in rest:
        if block.is_item and not find_doses(block.text):
            criteria.append(block.text)
        else:
            dosing.extend(dosing_statements(block.text))
    text = "\n".join(block.text for block in run)
    own_stance = stance_of(head.text) if _NOT_COVERED.search(head.text) else None
    return Indication(
        name=name,
        match_key=match_key(name),
        aliases=aliases_of(name),
        text=text,
        criteria=tuple(criteria),
        dosing=tuple(dosing),
        stance=own_stance or group_stance,
    )
