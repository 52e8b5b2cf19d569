"""The diff of a very large LCD: ~363,000 characters (the size of L39806, the largest LCD
reported) built from the corpus text, against a copy with a handful of edits, at 1x, 2x, 4x and
8x that size. Target: the full diff at 1x under 1 s, and near-linear growth.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from lcdtrack.diff import compare
from lcdtrack.extractors import extract
from lcdtrack.models import Dose, Indication, LcdDocument, RawDocument, Section

TARGET_CHARS = 363_000


def _size(record: LcdDocument) -> int:
    return sum(len(s.text) for s in record.sections)


def scaled(base: LcdDocument, chars: int) -> LcdDocument:
    """`base` with sections repeated and indications copied until it has about `chars` chars."""
    copies = max(1, round(chars / _size(base)))
    sections = tuple(
        Section(s.name, "\n".join(f"{s.text} [part {n}]" for n in range(copies)), None)
        for s in base.sections
    )
    indications = tuple(
        replace(i, name=f"{i.name} {n}", match_key=f"{i.match_key} {n}", aliases=())
        for n in range(copies)
        for i in base.indications
    )
    return replace(base, sections=sections, indications=indications)


def edited(record: LcdDocument) -> LcdDocument:
    """A handful of edits: four reworded spots in the evidence, one dose, one criterion."""
    sections = []
    for section in record.sections:
        text = section.text
        if section.name == "Summary of Evidence":
            third = len(text) // 3
            text = text[:third] + " a new sentence about IVIG. " + text[third:]
            text = text.replace("randomized", "randomised", 2).replace("case series", "series", 1)
        sections.append(replace(section, text=text))
    indications = list(record.indications)
    first: Indication = indications[1]
    dosing = tuple(replace(s, doses=tuple(_raised(d) for d in s.doses)) for s in first.dosing)
    indications[1] = replace(first, dosing=dosing)
    indications[0] = replace(indications[0], criteria=(*indications[0].criteria, "New criterion."))
    return replace(record, sections=tuple(sections), indications=tuple(indications))


def _raised(dose: Dose) -> Dose:
    return replace(dose, amount=replace(dose.amount, low=dose.amount.low + 0.1))


def bench_big_diff(corpus: Path, factors: tuple[int, ...] = (1, 2, 4, 8)) -> list[list[str]]:
    path = corpus / "reconstructed" / "api" / "lcd_39314_ver_7.json"
    base = extract(RawDocument(content=path.read_bytes(), source=str(path)))[1]
    rows: list[list[str]] = []
    first_ms = 0.0
    for factor in factors:
        old = scaled(base, TARGET_CHARS * factor)
        new = edited(old)
        started = time.perf_counter()
        changes = compare(old, new)
        ms = (time.perf_counter() - started) * 1000
        first_ms = first_ms or ms
        rows.append(
            [
                f"{factor}x",
                f"{_size(old):,}",
                str(len(changes)),
                f"{ms:.0f}",
                f"{ms / first_ms:.1f}",
            ]
        )
    return rows
