"""Quantities in coverage text besides doses: age limits, lab thresholds and time windows.

    "patients 20 years of age or older"        → age      ≥ 20 years
    "IgG levels <400 mg/dl"                     → IgG      < 400 mg/dl
    "during the first 100 days"                 → first    100 days
    "every six to eight weeks"                  → every    6 to 8 weeks
    "at least 100 days post transplant"         → at least 100 days

Numbers may be digits or words. Each `Limit` knows which way is stricter (`tighter_when`), so
the diff can say whether a change tightened or loosened coverage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lcdtrack.extractors.dosing import number

LimitKind = Literal["age", "threshold", "time"]
Direction = Literal["higher", "lower"]

_NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_AGE = re.compile(
    rf"(?:(?P<at_least>at least|aged?)\s+)?(?P<value>{_NUM})\s*(?:years?|yrs?)(?:\s+of age)?\s+"
    r"(?:or|and)\s+(?P<side>older|over|younger|under)"
    rf"|(?P<side2>younger|older)\s+than\s+(?P<value2>{_NUM})\s*(?:years?|yrs?)",
    re.IGNORECASE,
)
_THRESHOLD = re.compile(
    r"\b(?P<subject>Ig[GAME]|IgG\d|HbA1c|A1c|platelets?|hemoglobin|creatinine|CD4|FEV1|BMI|"
    r"PSA|LDL|eGFR)\b(?:\s+(?:levels?|counts?|of|is|was|trough))*\s*"
    r"(?P<cmp><=|>=|≤|≥|<|>|less than|greater than|below|above|under|over|at least|at most)\s*"
    rf"(?P<value>{_NUM})\s*(?P<unit>mg/d[lL]?|g/d[lL]|g/L|mg/L|%|cells/(?:mm3|µL|uL)|kg/m2|ng/mL)?",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(?P<prefix>first|within|every|at least|after|for up to|up to|no more than|no later than)"
    rf"\s+(?P<low>{_NUM})(?:\s*(?:to|-|–)\s*(?P<high>{_NUM}))?[\s-]*"
    r"(?P<unit>days?|weeks?|months?|years?|cycles?|doses?|infusions?|sessions?|treatments?)\b",
    re.IGNORECASE,
)
_LOWER_IS_TIGHTER = {"<", "<=", "≤", "less than", "below", "under", "at most"}
_TIME_LOOSER_WHEN_HIGHER = {
    "first",
    "within",
    "for up to",
    "up to",
    "no more than",
    "no later than",
}


@dataclass(frozen=True)
class Limit:
    """One quantity that bounds coverage; `key` identifies it across versions."""

    kind: LimitKind
    subject: str
    comparator: str
    low: float
    high: float
    unit: str
    tighter_when: Direction | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.subject.lower(), self.comparator, self.unit.lower().rstrip("s"))

    def __str__(self) -> str:
        amount = f"{self.low:g}" if self.low == self.high else f"{self.low:g} to {self.high:g}"
        if self.kind == "age":
            return f"age {self.comparator} {amount} years"
        if self.kind == "threshold":
            return f"{self.subject} {self.comparator} {amount} {self.unit}".rstrip()
        return f"{self.comparator} {amount} {self.unit}"


def find_limits(text: str) -> tuple[Limit, ...]:
    """Age limits, lab thresholds and time windows in `text`, in order of appearance."""
    found: list[tuple[int, Limit]] = []
    found += [(m.start(), _age(m)) for m in _AGE.finditer(text)]
    found += [(m.start(), _threshold(m)) for m in _THRESHOLD.finditer(text)]
    found += [(m.start(), _time(m)) for m in _TIME.finditer(text)]
    return tuple(limit for _, limit in sorted(found, key=lambda pair: pair[0]))


def mask_limits(text: str) -> str:
    """`text` with every recognised quantity's numbers replaced (compared apart as limits)."""
    for pattern in (_AGE, _THRESHOLD, _TIME):
        text = pattern.sub(lambda m: _NUMBER_TOKEN.sub("#", m.group(0)), text)
    return text


_NUMBER_TOKEN = re.compile(
    r"\d+(?:\.\d+)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I
)


def direction(before: Limit, after: Limit) -> Literal["tightened", "loosened"] | None:
    """Whether moving from `before` to `after` tightens or loosens coverage, where defined."""
    if before.tighter_when is None or (before.low, before.high) == (after.low, after.high):
        return None
    went_up = (after.low, after.high) > (before.low, before.high)
    tighter = went_up == (before.tighter_when == "higher")
    return "tightened" if tighter else "loosened"


def _age(match: re.Match[str]) -> Limit:
    side = (match["side"] or match["side2"] or "").lower()
    value = number(match["value"] or match["value2"])
    minimum = side in ("older", "over") and not match["side2"]
    comparator = "≥" if minimum else "<" if match["side2"] else "≤"
    # A minimum age rising, or an excluded "younger than" age rising, both narrow coverage.
    return Limit("age", "age", comparator, value, value, "years", "higher")


def _threshold(match: re.Match[str]) -> Limit:
    comparator = match["cmp"].lower()
    value = number(match["value"])
    tighter: Direction = "lower" if comparator in _LOWER_IS_TIGHTER else "higher"
    subject = match["subject"]
    return Limit("threshold", subject, comparator, value, value, match["unit"] or "", tighter)


def _time(match: re.Match[str]) -> Limit:
    prefix = match["prefix"].lower()
    low = number(match["low"])
    high = number(match["high"]) if match["high"] else low
    unit = match["unit"].lower()
    unit = unit if unit.endswith("s") else unit + "s"
    tighter: Direction = "lower" if prefix in _TIME_LOOSER_WHEN_HIGHER else "higher"
    return Limit("time", prefix, prefix, low, high, unit, tighter)
