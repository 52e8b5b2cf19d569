"""CMS's own account of a change, set beside what lcdtrack detected, and where they disagree.

Statements come from the newer record: "Issue - Explanation of Change Between Proposed LCD and
Final LCD", "Synopsis of Changes", and revision-history rows the older record did not have.
Disagreements flagged:

* CMS calls the revision formatting-only / no change in coverage, but coverage changes
  (indications or codes, medium or high severity) were detected;
* CMS names a section ("Under Bibliography …") in which nothing changed;
* CMS says an abbreviated indication was added ("… (IMNM) has been added") but none was; or
  an indication was added that no statement mentions.
"""

from __future__ import annotations

import re

from lcdtrack.extractors.grammar import INDICATIONS_SECTION, SECTION_NAMES
from lcdtrack.extractors.normalize import canonical, match_key
from lcdtrack.models import Change, CmsStatement, LcdDocument

STATEMENT_SECTIONS = (
    "Issue - Explanation of Change Between Proposed LCD and Final LCD",
    "Synopsis of Changes",
)
_NO_COVERAGE_CHANGE = re.compile(
    r"no change in coverage|non-?substantive|formatting|typographical|punctuation|"
    r"no changes have been made|editorial|no changes? to (?:the )?coverage",
    re.IGNORECASE,
)
_ADDED_ABBREVIATION = re.compile(r"\(([A-Z][A-Z0-9-]{1,9})\)[^.]{0,80}?\b(?:has|have) been added")
_SECTION_ALIASES = {
    INDICATIONS_SECTION: ("coverage indications",),
    "Analysis of Evidence (Rationale for Determination)": ("analysis of evidence",),
    "CMS National Coverage Policy": ("cms national coverage policy", "national coverage policy"),
}


def cms_statements(old: LcdDocument, new: LcdDocument) -> tuple[CmsStatement, ...]:
    statements: list[CmsStatement] = []
    for name in STATEMENT_SECTIONS:
        section, before = new.section(name), old.section(name)
        if section and (before is None or canonical(before.text) != canonical(section.text)):
            statements.append(CmsStatement(name, section.text))
    known = {(row.number, row.date) for row in old.revision_history}
    for row in new.revision_history:
        if (row.number, row.date) not in known and row.explanation:
            reasons = f" (reasons: {'; '.join(row.reasons)})" if row.reasons else ""
            label = f"Revision history {row.number}".strip() + (f", {row.date}" if row.date else "")
            statements.append(CmsStatement(label, row.explanation + reasons))
    return tuple(statements)


def disagreements(statements: tuple[CmsStatement, ...], changes: list[Change]) -> tuple[str, ...]:
    if not statements:
        return ()
    found: list[str] = []
    found += _formatting_only(statements, changes)
    found += _named_sections(statements, changes)
    found += _added_indications(statements, changes)
    return tuple(dict.fromkeys(found))


def _coverage_changes(changes: list[Change]) -> list[Change]:
    return [
        c
        for c in changes
        if c.kind.startswith(("indication_", "code_")) and c.severity in ("medium", "high")
    ]


def _formatting_only(statements: tuple[CmsStatement, ...], changes: list[Change]) -> list[str]:
    coverage = _coverage_changes(changes)
    flagged: list[str] = []
    for statement in statements:
        claim = _NO_COVERAGE_CHANGE.search(statement.text)
        if claim and coverage:
            subjects = ", ".join(dict.fromkeys(c.subject for c in coverage[:3]))
            flagged.append(
                f"{statement.source} says “{claim.group(0)}”, but {len(coverage)} coverage "
                f"change(s) were detected ({subjects})"
            )
    return flagged


def _named_sections(statements: tuple[CmsStatement, ...], changes: list[Change]) -> list[str]:
    changed = {c.subject for c in changes if c.kind.startswith("section_")}
    if any(c.kind.startswith("indication_") for c in changes):
        changed.add(INDICATIONS_SECTION)
    flagged: list[str] = []
    for statement in statements:
        text = " " + match_key(statement.text) + " "
        for name in SECTION_NAMES:
            aliases = (match_key(name), *_SECTION_ALIASES.get(name, ()))
            if name not in changed and any(f" {alias} " in text for alias in aliases):
                flagged.append(f"{statement.source} names “{name}”, but nothing changed there")
    return flagged


def _added_indications(statements: tuple[CmsStatement, ...], changes: list[Change]) -> list[str]:
    added = [c for c in changes if c.kind == "indication_added"]
    added_text = " ".join(f"{c.subject}" for c in added)
    everything = " ".join(s.text for s in statements)
    flagged = [
        f"CMS says {abbreviation} was added, but no indication ({abbreviation}) was added"
        for abbreviation in _ADDED_ABBREVIATION.findall(everything)
        if f"({abbreviation})" not in added_text
    ]
    mentioned = " " + match_key(everything) + " "
    for change in added:
        words = re.findall(r"\(([A-Z][A-Z0-9-]{1,9})\)", change.subject)
        named = (
            any(f"({w})" in everything for w in words)
            or f" {match_key(change.subject)} " in mentioned
        )
        if not named:
            flagged.append(f"“{change.subject}” was added, but no CMS statement mentions it")
    return flagged
