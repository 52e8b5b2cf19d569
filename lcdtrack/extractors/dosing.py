"""Dose statements: find "0.4 to 1.5 g/kg … monthly" in a sentence and parse it into `Dose`s.

Amounts are weight-based doses (g/kg, mg/kg, "grams per kg"); numbers may be digits or words
("two to four"). The interval is read from the words after the amount, up to the next amount:
"per month", "monthly", "weekly", "every six weeks", "at four-week intervals".
"""

from __future__ import annotations

import re

from lcdtrack.models import Dose, DosingStatement, Quantity

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_NUM = r"(?:\d+(?:\.\d+)?|\.\d+|" + "|".join(_WORD_NUMBERS) + r")"
_MASS = r"(?P<mass>g|gm|gms|grams?|mg|milligrams?)"
_DOSE = re.compile(
    rf"(?P<low>{_NUM})(?:\s*(?:to|-|–|—)\s*(?P<high>{_NUM}))?\s*"
    rf"(?:(?P<mass_low>g|grams?|mg)\s+to\s+(?P<high2>{_NUM})\s*)?"
    rf"{_MASS}\s*(?:/|per)\s*(?:kg|kilogram)\b",
    re.IGNORECASE,
)
_INTERVALS: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(rf"\bevery\s+(?P<n>{_NUM})(?:\s*(?:to|-)\s*{_NUM})?\s+(?P<u>day|week|month)s?",
                re.I), None),
    (re.compile(rf"\bat\s+(?P<n>{_NUM})[-\s](?P<u>day|week|month)\s+intervals?", re.I), None),
    (re.compile(r"\b(?:per|a|each)\s+(?:monthly\s+)?(?P<u>day|week|month|cycle)\b", re.I), "1"),
    (re.compile(r"\b(?P<u>month|week)ly\b", re.I), "1"),
    (re.compile(r"\b(?P<u>dai)ly\b", re.I), "1"),
]  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(])")
_UNIT_NAMES = {"dai": "day"}


def number(word: str) -> float:
    """Parse "1.5", ".5" or "two" into a float."""
    lowered = word.lower()
    return float(_WORD_NUMBERS[lowered]) if lowered in _WORD_NUMBERS else float(word)


def find_doses(text: str) -> tuple[Dose, ...]:
    """Every weight-based dose in `text`, in order, with its interval when stated."""
    if not _mentions_weight(text):
        return ()
    matches = list(_DOSE.finditer(text))
    doses: list[Dose] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        doses.append(Dose(amount=_quantity(match), per=_interval(text[match.end() : end])))
    return tuple(doses)


def dosing_statements(text: str) -> tuple[DosingStatement, ...]:
    """Split text into sentences and keep those that state a dose."""
    if not _mentions_weight(text):
        return ()
    statements: list[DosingStatement] = []
    for sentence in _SENTENCE_END.split(text):
        doses = find_doses(sentence)
        if doses:
            statements.append(DosingStatement(text=sentence.strip(), doses=doses))
    return tuple(statements)


_WEIGHT = re.compile("kg|kilogram", re.IGNORECASE)


def _mentions_weight(text: str) -> bool:
    """Cheap pre-check: every dose names kilograms ("g/kg", "grams per kilogram")."""
    return _WEIGHT.search(text) is not None


def _quantity(match: re.Match[str]) -> Quantity:
    low = number(match["low"])
    high_word = match["high"] or match["high2"]
    high = number(high_word) if high_word else low
    mass = match["mass"].lower()
    unit = "mg/kg" if mass.startswith("m") else "g/kg"
    return Quantity(low=low, high=high, unit=unit)


def _interval(after: str) -> str | None:
    """The first interval phrase after an amount; 'every four weeks' → '4 weeks'."""
    best: tuple[int, str] | None = None
    for pattern, fixed in _INTERVALS:
        found = pattern.search(after)
        if not found or (best and found.start() >= best[0]):
            continue
        unit = _UNIT_NAMES.get(found["u"].lower(), found["u"].lower())
        count = fixed or f"{number(found['n']):g}"
        best = (found.start(), unit if count == "1" else f"{count} {unit}s")
    return best[1] if best else None


def mask_doses(text: str) -> str:
    """Text with every dose amount replaced by a placeholder (dose changes are compared apart)."""
    return _DOSE.sub("<dose>", text)
