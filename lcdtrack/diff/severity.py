"""How much a change matters, as a documented rule table (README, "Severity").

high   – coverage can be lost: an indication removed, a criterion added, a dose, threshold or
         window tightened, a code removed or moved to "not covered", coverage stance withdrawn,
         the LCD retired.
medium – coverage or billing moves without a loss: an indication added, a criterion removed or
         reworded, a dose or quantity loosened (or changed where direction is unknown), a code
         added, moved or its group paragraph changed, effective dates changed.
low    – wording: renamed indications, reworded text and sections, descriptors, other dates.
"""

from __future__ import annotations

from dataclasses import replace

from lcdtrack.models import Change

LEVELS = ("low", "medium", "high")

_BY_KIND = {
    "indication_removed": "high",
    "indication_added": "medium",
    "indication_renamed": "low",
    "code_removed": "high",
    "code_added": "medium",
    "code_changed": "low",
    "code_group_changed": "medium",
    "section_added": "low",
    "section_removed": "low",
    "section_changed": "low",
}
_BY_ASPECT = {
    "criterion_added": "high",
    "criterion_removed": "medium",
    "criterion_changed": "medium",
    "dose_removed": "medium",
    "dose_added": "medium",
    "text_changed": "low",
}
_QUANTITY_ASPECTS = {"dose_changed", "threshold_changed", "age_changed", "time_changed"}
_HIGH_FIELDS = {"retirement"}
_RETIRED = {"r", "retired"}
_MEDIUM_FIELDS = {"original_effective", "revision_effective", "revision_ending"}


def severity_of(change: Change) -> str:
    """The rule table above, applied to one change."""
    if change.kind in _BY_KIND:
        return _BY_KIND[change.kind]
    if change.kind == "code_moved":
        return "high" if change.direction == "tightened" else "medium"
    if change.kind == "metadata_changed":
        if change.subject in _HIGH_FIELDS:
            return "high"
        if change.subject == "status":
            return "high" if (change.after or "").lower() in _RETIRED else "low"
        return "medium" if change.subject in _MEDIUM_FIELDS else "low"
    if change.aspect == "stance_changed":
        return "high" if change.after == "not covered" or change.after is None else "medium"
    if change.aspect in _QUANTITY_ASPECTS:
        return "high" if change.direction == "tightened" else "medium"
    return _BY_ASPECT.get(change.aspect or "", "medium")


def with_severity(changes: list[Change]) -> list[Change]:
    return [replace(change, severity=severity_of(change)) for change in changes]


def at_least(changes: tuple[Change, ...] | list[Change], minimum: str) -> list[Change]:
    """Changes of severity `minimum` or above ("low" keeps everything)."""
    floor = LEVELS.index(minimum)
    return [c for c in changes if LEVELS.index(c.severity or "low") >= floor]
