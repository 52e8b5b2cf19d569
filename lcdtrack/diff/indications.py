"""Indication-level comparison: match indications across versions, then compare each pair.

Matching, in order (page order never matters):

1. same `match_key` (the normalised name without abbreviations);
2. an abbreviation that names exactly one indication on each side (IMNM ↔ IMNM);
3. similar names: word overlap (Jaccard on normalised name words, abbreviations included)
   of at least RENAME_NAME_SIMILARITY, or at least RENAME_WEAK_NAME_SIMILARITY when the texts
   are at least RENAME_TEXT_SIMILARITY alike. Best-scoring pairs are taken first.

A pair whose names differ is reported as `indication_renamed`, never as removed + added.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable

from lcdtrack.diff.words import is_changed, word_diff
from lcdtrack.extractors.dosing import mask_doses
from lcdtrack.extractors.normalize import canonical, match_key
from lcdtrack.extractors.quantities import Limit, direction, find_limits, mask_limits
from lcdtrack.models import Change, Dose, Indication

CRITERION_SIMILARITY = 0.5
RENAME_NAME_SIMILARITY = 0.5
RENAME_WEAK_NAME_SIMILARITY = 0.25
RENAME_TEXT_SIMILARITY = 0.6
_LIMIT_ASPECTS = {"age": "age_changed", "threshold": "threshold_changed", "time": "time_changed"}

Pairs = list[tuple[Indication, Indication]]


def match_indications(
    old: Iterable[Indication], new: Iterable[Indication]
) -> tuple[Pairs, list[Indication], list[Indication]]:
    """Pairs (old, new), then unmatched old (removed) and unmatched new (added)."""
    remaining_old, remaining_new = list(old), list(new)
    unique_old, unique_new = _unique_aliases(remaining_old), _unique_aliases(remaining_new)
    pairs: Pairs = []
    for candidate in list(remaining_new):
        partner = next((o for o in remaining_old if o.match_key == candidate.match_key), None)
        if partner is None:
            shared = {a for a in candidate.aliases if a in unique_new and a in unique_old}
            partner = next((o for o in remaining_old if shared & set(o.aliases)), None)
        if partner is not None:
            remaining_old.remove(partner)
            remaining_new.remove(candidate)
            pairs.append((partner, candidate))
    pairs += _similar_pairs(remaining_old, remaining_new)
    order = {id(i): n for n, i in enumerate(new)} if isinstance(new, list) else {}
    pairs.sort(key=lambda pair: order.get(id(pair[1]), 0))
    return pairs, remaining_old, remaining_new


def _similar_pairs(old: list[Indication], new: list[Indication]) -> Pairs:
    """Pair leftovers whose names (or names and texts) are alike; removes them from the lists."""
    scored = sorted(
        ((_name_similarity(o, n), _text_similarity(o, n), o, n) for o in old for n in new),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    pairs: Pairs = []
    for name_score, text_score, before, after in scored:
        if before not in old or after not in new:
            continue
        strong = name_score >= RENAME_NAME_SIMILARITY
        weak = name_score >= RENAME_WEAK_NAME_SIMILARITY and text_score >= RENAME_TEXT_SIMILARITY
        if strong or weak:
            old.remove(before)
            new.remove(after)
            pairs.append((before, after))
    return pairs


def compare_indication(old: Indication, new: Indication) -> list[Change]:
    name = new.name
    changes: list[Change] = []
    if canonical(old.name) != canonical(new.name):
        changes.append(Change("indication_renamed", name, None, old.name, new.name))
    if old.stance != new.stance:
        changes.append(Change("indication_changed", name, "stance_changed", old.stance, new.stance))
    changes.extend(_criteria_changes(name, old.criteria, new.criteria))
    changes.extend(_dose_changes(name, old, new))
    changes.extend(_limit_changes(name, old, new))
    before, after = _prose(old), _prose(new)
    if _comparable(before) != _comparable(after):
        edits = word_diff(canonical(before), canonical(after))
        if is_changed(edits):
            changes.append(Change("indication_changed", name, "text_changed", before, after, edits))
    return changes


def _comparable(text: str) -> str:
    """Text with doses and other quantities masked: those are compared as quantities."""
    return canonical(mask_limits(mask_doses(text)))


def _criteria_changes(name: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[Change]:
    old_keys = [_comparable(c) for c in old]
    new_keys = [_comparable(c) for c in new]
    removed = [c for c, k in zip(old, old_keys, strict=True) if k not in new_keys]
    added = [c for c, k in zip(new, new_keys, strict=True) if k not in old_keys]
    changes: list[Change] = []
    for before in list(removed):
        best = max(added, key=lambda after: _similarity(before, after), default=None)
        if best is not None and _similarity(before, best) >= CRITERION_SIMILARITY:
            removed.remove(before)
            added.remove(best)
            edits = word_diff(canonical(before), canonical(best))
            changes.append(
                Change("indication_changed", name, "criterion_changed", before, best, edits)
            )
    changes += [
        Change("indication_changed", name, "criterion_removed", c, None, direction="loosened")
        for c in removed
    ]
    changes += [
        Change("indication_changed", name, "criterion_added", None, c, direction="tightened")
        for c in added
    ]
    return changes


def _dose_changes(name: str, old: Indication, new: Indication) -> list[Change]:
    before = [d for s in old.dosing for d in s.doses]
    after = [d for s in new.dosing for d in s.doses]
    removed, added = _minus(before, after), _minus(after, before)
    changes = []
    for old_dose, new_dose in zip(removed, added, strict=False):
        way = _dose_direction(old_dose, new_dose)
        changes.append(
            Change(
                "indication_changed",
                name,
                "dose_changed",
                str(old_dose),
                str(new_dose),
                direction=way,
            )
        )
    changes += [Change("indication_changed", name, "dose_removed", str(d), None)
                for d in removed[len(added):]]  # fmt: skip
    changes += [Change("indication_changed", name, "dose_added", None, str(d))
                for d in added[len(removed):]]  # fmt: skip
    return changes


def _dose_direction(old: Dose, new: Dose) -> str | None:
    """A narrower range (or lower dose) tightens, a wider one (or higher dose) loosens."""
    if old.amount.unit != new.amount.unit or old.per != new.per:
        return None
    before, after = old.amount, new.amount
    if after.low >= before.low and after.high <= before.high:
        return "tightened"
    if after.low <= before.low and after.high >= before.high:
        return "loosened"
    return "loosened" if after.high > before.high else "tightened"


def _minus(items: list[Dose], others: list[Dose]) -> list[Dose]:
    """`items` without one occurrence of each of `others` (a multiset difference, in order)."""
    budget = Counter(str(d) for d in others)
    kept: list[Dose] = []
    for item in items:
        if budget[str(item)]:
            budget[str(item)] -= 1
        else:
            kept.append(item)
    return kept


def _limit_changes(name: str, old: Indication, new: Indication) -> list[Change]:
    """Quantities that kept their meaning (same kind, subject, comparator, unit) but moved."""
    before_by_key: dict[tuple[str, str, str, str], list[Limit]] = {}
    for limit in find_limits(old.text):
        before_by_key.setdefault(limit.key, []).append(limit)
    changes: list[Change] = []
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for limit in find_limits(new.text):
        index = seen[limit.key]
        seen[limit.key] += 1
        candidates = before_by_key.get(limit.key, [])
        if index >= len(candidates):
            continue
        previous = candidates[index]
        if (previous.low, previous.high) != (limit.low, limit.high):
            changes.append(
                Change(
                    "indication_changed",
                    name,
                    _LIMIT_ASPECTS[limit.kind],
                    str(previous),
                    str(limit),
                    direction=direction(previous, limit),
                )
            )
    return changes


def _prose(indication: Indication) -> str:
    """The indication's text without its name (a rename is its own change) and without its
    criteria lines (those are compared one by one)."""
    criteria = set(indication.criteria)
    text = indication.text
    if text.startswith(indication.name):
        text = text[len(indication.name) :].lstrip(" -–—:")
    return "\n".join(line for line in text.split("\n") if line not in criteria)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, canonical(a).split(), canonical(b).split()).ratio()


def _name_words(indication: Indication) -> set[str]:
    words = set(match_key(indication.name).split()) | {a.lower() for a in indication.aliases}
    return {w for w in words if len(w) > 2 or w.isupper()}


def _name_similarity(old: Indication, new: Indication) -> float:
    a, b = _name_words(old), _name_words(new)
    return len(a & b) / len(a | b) if a | b else 0.0


def _text_similarity(old: Indication, new: Indication) -> float:
    a, b = canonical(old.text).split(), canonical(new.text).split()
    return difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio()


def _unique_aliases(indications: list[Indication]) -> set[str]:
    """Abbreviations that name exactly one indication (GVHD in two names identifies neither)."""
    counts = Counter(alias for i in indications for alias in set(i.aliases))
    return {alias for alias, count in counts.items() if count == 1}
