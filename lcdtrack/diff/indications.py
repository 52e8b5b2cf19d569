"""Indication-level comparison: match indications across versions, then compare each pair.

Matching: first by `match_key` (the normalised name without abbreviations), then by an
abbreviation alias that names exactly one indication on each side (IMNM ↔ IMNM). Order on the
page never matters.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable

from lcdtrack.diff.words import is_changed, word_diff
from lcdtrack.extractors.dosing import mask_doses
from lcdtrack.extractors.normalize import canonical
from lcdtrack.models import Change, Indication

CRITERION_SIMILARITY = 0.5


def match_indications(
    old: Iterable[Indication], new: Iterable[Indication]
) -> tuple[list[tuple[Indication, Indication]], list[Indication], list[Indication]]:
    """Pairs (old, new), then unmatched old (removed) and unmatched new (added)."""
    remaining_old = list(old)
    new = list(new)
    unique_old = _unique_aliases(remaining_old)
    unique_new = _unique_aliases(new)
    pairs: list[tuple[Indication, Indication]] = []
    added: list[Indication] = []
    for candidate in new:
        partner = next((o for o in remaining_old if o.match_key == candidate.match_key), None)
        if partner is None:
            shared = [a for a in candidate.aliases if a in unique_new and a in unique_old]
            partner = next((o for o in remaining_old if set(shared) & set(o.aliases)), None)
        if partner is None:
            added.append(candidate)
        else:
            remaining_old.remove(partner)
            pairs.append((partner, candidate))
    return pairs, remaining_old, added


def _unique_aliases(indications: list[Indication]) -> set[str]:
    """Abbreviations that name exactly one indication (GVHD in two names identifies neither)."""
    counts = Counter(alias for i in indications for alias in set(i.aliases))
    return {alias for alias, count in counts.items() if count == 1}


def compare_indication(old: Indication, new: Indication) -> list[Change]:
    name = new.name
    changes: list[Change] = []
    if canonical(old.name) != canonical(new.name):
        changes.append(Change("indication_changed", name, "renamed", old.name, new.name))
    if old.stance != new.stance:
        changes.append(Change("indication_changed", name, "stance_changed", old.stance, new.stance))
    changes.extend(_criteria_changes(name, old.criteria, new.criteria))
    changes.extend(_dose_changes(name, old, new))
    before, after = _prose(old), _prose(new)
    if canonical(mask_doses(before)) != canonical(mask_doses(after)):
        edits = word_diff(canonical(before), canonical(after))
        if is_changed(edits):
            changes.append(Change("indication_changed", name, "text_changed", before, after, edits))
    return changes


def _criteria_changes(name: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[Change]:
    old_keys = [canonical(c) for c in old]
    new_keys = [canonical(c) for c in new]
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
    changes += [Change("indication_changed", name, "criterion_removed", c, None) for c in removed]
    changes += [Change("indication_changed", name, "criterion_added", None, c) for c in added]
    return changes


def _dose_changes(name: str, old: Indication, new: Indication) -> list[Change]:
    before = Counter(str(d) for s in old.dosing for d in s.doses)
    after = Counter(str(d) for s in new.dosing for d in s.doses)
    removed = list((before - after).elements())
    added = list((after - before).elements())
    changes = [
        Change("indication_changed", name, "dose_changed", b, a)
        for b, a in zip(removed, added, strict=False)
    ]
    changes += [Change("indication_changed", name, "dose_removed", d, None)
                for d in removed[len(added):]]  # fmt: skip
    changes += [Change("indication_changed", name, "dose_added", None, d)
                for d in added[len(removed):]]  # fmt: skip
    return changes


def _prose(indication: Indication) -> str:
    """The indication's text without its criteria lines (those are compared one by one)."""
    criteria = set(indication.criteria)
    return "\n".join(line for line in indication.text.split("\n") if line not in criteria)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, canonical(a).split(), canonical(b).split()).ratio()
