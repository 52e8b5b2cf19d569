"""Code-level comparison of the Billing and Coding tables an LCD's record carries.

A code is identified by its coding system and its code (a range such as "J1561-J1572" is one
code, as the article lists it). Between versions a code can be added, removed, moved to another
group or between covered and not covered, or keep its place with a new descriptor; a group's
paragraph can change on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from lcdtrack.diff.words import word_diff
from lcdtrack.extractors.normalize import canonical
from lcdtrack.models import Change, CodeGroup


@dataclass(frozen=True)
class _Placed:
    system: str
    code: str
    description: str
    group: str
    coverage: str | None
    is_range: bool

    @property
    def place(self) -> str:
        where = f"{self.system} group {self.group}"
        return f"{where} ({self.coverage})" if self.coverage else where


def compare_codes(old: tuple[CodeGroup, ...], new: tuple[CodeGroup, ...]) -> list[Change]:
    before, after = _index(old), _index(new)
    changes: list[Change] = []
    for key, code in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(_change("code_added", code, None, code.description, code.place))
        elif (previous.group, previous.coverage) != (code.group, code.coverage):
            changes.append(_moved(previous, code))
        elif canonical(previous.description) != canonical(code.description):
            changes.append(
                _change("code_changed", code, previous.description, code.description, code.place)
            )
    for key, code in before.items():
        if key not in after:
            changes.append(_change("code_removed", code, code.description, None, code.place))
    return changes + _paragraph_changes(old, new)


def _index(groups: tuple[CodeGroup, ...]) -> dict[tuple[str, str], _Placed]:
    return {
        (group.system, code.code.upper()): _Placed(
            group.system, code.code, code.description, group.group, group.coverage, code.is_range
        )
        for group in groups
        for code in group.codes
    }


def _change(
    kind: str, code: _Placed, before: str | None, after: str | None, context: str
) -> Change:
    label = f"{code.code} (range)" if code.is_range else code.code
    return Change(kind, label, None, before, after, context=context)


def _moved(previous: _Placed, code: _Placed) -> Change:
    way = None
    if previous.coverage != code.coverage:
        way = "tightened" if code.coverage == "not covered" else "loosened"
    return Change(
        "code_moved", code.code, None, previous.place, code.place, direction=way,
        context=code.system,
    )  # fmt: skip


def _paragraph_changes(old: tuple[CodeGroup, ...], new: tuple[CodeGroup, ...]) -> list[Change]:
    before = {(g.system, g.group, g.coverage): g for g in old}
    changes: list[Change] = []
    for group in new:
        previous = before.get((group.system, group.group, group.coverage))
        if previous is None or canonical(previous.paragraph) == canonical(group.paragraph):
            continue
        name = f"{group.system} group {group.group}" + (
            f" ({group.coverage})" if group.coverage else ""
        )
        edits = word_diff(canonical(previous.paragraph), canonical(group.paragraph))
        changes.append(
            Change(
                "code_group_changed", name, "paragraph", previous.paragraph, group.paragraph, edits
            )
        )
    return changes
