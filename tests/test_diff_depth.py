"""Diff engine depth: identity under rename, quantities with direction, codes, severity, and
CMS's own account of the change checked against what was detected."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from lcdtrack.diff import LEVELS, at_least, cms_statements, compare, disagreements, severity_of
from lcdtrack.extractors import extract
from lcdtrack.extractors.quantities import find_limits
from lcdtrack.models import Change, Code, CodeGroup, LcdDocument, RevisionHistoryRow, Section
from tests.conftest import case
from tests.mutate import edit_api_record

IMNM = "Immune-mediated Necrotizing Myositis (IMNM)"


def _final() -> LcdDocument:
    return case("L39314_v7.coverage-api").record()


def _edited(edit) -> tuple[LcdDocument, LcdDocument]:  # type: ignore[no-untyped-def]
    raw = case("L39314_v7.coverage-api").raw()
    return extract(raw)[1], extract(edit_api_record(raw, {"indication": edit}))[1]


def _about(changes: list[Change], kind_prefix: str) -> list[tuple[str, str | None, str | None]]:
    return [(c.kind, c.before, c.after) for c in changes if c.kind.startswith(kind_prefix)]


# -- identity ---------------------------------------------------------------------------------


def test_reworded_name_with_the_same_abbreviation_is_a_rename() -> None:
    old, new = _edited(lambda t: t.replace(IMNM, "Immune-mediated necrotizing myopathy (IMNM)"))
    changes = [c for c in compare(old, new) if c.kind.startswith("indication")]
    assert [(c.kind, c.before, c.after) for c in changes] == [
        ("indication_renamed", IMNM, "Immune-mediated necrotizing myopathy (IMNM)")
    ]
    assert changes[0].severity == "low"


def test_adding_an_abbreviation_is_a_rename_not_remove_plus_add() -> None:
    old, new = _edited(lambda t: t.replace("<li>Scleromyxedema -", "<li>Scleromyxedema (SMX) -"))
    kinds = [(c.kind, c.after) for c in compare(old, new) if c.kind.startswith("indication")]
    assert kinds == [("indication_renamed", "Scleromyxedema (SMX)")]


def test_a_renamed_indication_without_shared_abbreviation_matches_by_words() -> None:
    old, new = _edited(
        lambda t: t.replace(
            "Systemic Lupus Erythematosus -", "Systemic Lupus Erythematosus (SLE), adult -"
        )
    )
    kinds = [c.kind for c in compare(old, new) if c.kind.startswith("indication")]
    assert kinds == ["indication_renamed"]


def test_unrelated_indications_are_not_paired() -> None:
    old, new = _edited(
        lambda t: t.replace("<li>Secondary hypogammaglobulinemia", "<li>Kawasaki disease")
    )
    kinds = sorted(c.kind for c in compare(old, new) if c.kind.startswith("indication"))
    assert kinds == ["indication_added", "indication_removed"]


# -- quantities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patients 20 years of age or older", ["age ≥ 20 years"]),
        ("not indicated in patients younger than twenty years", []),
        ("HSCT patients younger than 20 years of age", ["age < 20 years"]),
        ("IgG levels <400 mg/dl", ["IgG < 400 mg/dl"]),
        ("hypogammaglobulinemic (IgG < 400 mg/d)", ["IgG < 400 mg/d"]),
        ("during the first 100 days after", ["first 100 days"]),
        ("every six to eight weeks", ["every 6 to 8 weeks"]),
        ("within four to six cycles", ["within 4 to 6 cycles"]),
        ("At least 100 days post transplant", ["at least 100 days"]),
    ],
)
def test_quantities_are_parsed_from_words_and_digits(text: str, expected: list[str]) -> None:
    assert [str(limit) for limit in find_limits(text)] == expected


@pytest.mark.parametrize(
    ("before", "after", "aspect", "direction"),
    [
        (
            "IgG levels &amp;lt;400 mg&sol;dl",
            "IgG levels &amp;lt;500 mg&sol;dl",
            "threshold_changed",
            "loosened",
        ),
        (
            "IgG levels &amp;lt;400 mg&sol;dl",
            "IgG levels &amp;lt;300 mg&sol;dl",
            "threshold_changed",
            "tightened",
        ),
        ("20 years of age or older", "21 years of age or older", "age_changed", "tightened"),
        ("during the first 100 days", "during the first 120 days", "time_changed", "loosened"),
        ("At least 100 days post", "At least 180 days post", "time_changed", "tightened"),
        ("0.4 to 1.5 g&sol;kg", "0.4 to 1 g&sol;kg", "dose_changed", "tightened"),
        ("0.4 to 1.5 g&sol;kg", "0.4 to 2 g&sol;kg", "dose_changed", "loosened"),
    ],
)
def test_quantity_changes_have_before_after_and_direction(
    before: str, after: str, aspect: str, direction: str
) -> None:
    raw = case("L39314_v7.coverage-api").raw()
    old = extract(raw)[1]
    edited_raw = raw.content.decode().replace(before, after, 1)
    assert edited_raw != raw.content.decode()
    new = extract(replace(raw, content=edited_raw.encode()))[1]
    changes = [c for c in compare(old, new) if c.kind.startswith("indication")]
    assert [(c.aspect, c.direction) for c in changes] == [(aspect, direction)]
    assert changes[0].severity == ("high" if direction == "tightened" else "medium")
    assert re.sub(r"[^0-9.]", "", changes[0].before or "") != re.sub(
        r"[^0-9.]", "", changes[0].after or ""
    )


def test_threshold_change_reads_like_the_issue_example() -> None:
    old, new = _edited(lambda t: t.replace("IgG levels &lt;400 mg/dl", "IgG levels &lt;500 mg/dl"))
    (change,) = [c for c in compare(old, new) if c.kind.startswith("indication")]
    assert (change.before, change.after) == ("IgG < 400 mg/dl", "IgG < 500 mg/dl")


# -- codes ------------------------------------------------------------------------------------


def _groups(*codes: tuple[str, str, str, str | None]) -> tuple[CodeGroup, ...]:
    """(code, description, group, coverage); one CodeGroup per (group, coverage). A code with
    a "-" is a range."""
    by_group: dict[tuple[str, str | None], list[Code]] = {}
    for code, description, group, coverage in codes:
        by_group.setdefault((group, coverage), []).append(Code(code, description, "-" in code))
    return tuple(
        CodeGroup(
            "ICD-10-CM" if coverage else "CPT/HCPCS", group, coverage, f"Group {group}", tuple(c)
        )
        for (group, coverage), c in by_group.items()
    )


def _with_codes(groups: tuple[CodeGroup, ...]) -> LcdDocument:
    return replace(_final(), code_groups=groups)


def test_code_added_removed_moved_and_described() -> None:
    old = _with_codes(
        _groups(
            ("J1459", "Injection, IVIG (Privigen)", "1", None),
            ("J1556", "Injection, IVIG (Bivigam)", "1", None),
            ("G25.82", "Stiff-man syndrome", "1", "covered"),
            ("D80.1", "Nonfamilial hypogammaglobulinemia", "1", "covered"),
        )
    )
    new = _with_codes(
        _groups(
            ("J1556", "Injection, immune globulin (Bivigam), 500 mg", "1", None),
            ("J1569", "Injection, IVIG (Gammagard liquid)", "1", None),
            ("G25.82", "Stiff-man syndrome", "1", "covered"),
            ("D80.1", "Nonfamilial hypogammaglobulinemia", "2", "not covered"),
        )
    )
    changes = {c.kind: c for c in compare(old, new) if c.kind.startswith("code")}
    assert changes["code_added"].subject == "J1569" and changes["code_added"].severity == "medium"
    assert changes["code_removed"].subject == "J1459" and changes["code_removed"].severity == "high"
    moved = changes["code_moved"]
    assert (moved.subject, moved.direction, moved.severity) == ("D80.1", "tightened", "high")
    assert moved.before == "ICD-10-CM group 1 (covered)"
    assert moved.after == "ICD-10-CM group 2 (not covered)"
    assert changes["code_changed"].subject == "J1556" and changes["code_changed"].severity == "low"


def test_code_ranges_and_group_paragraphs() -> None:
    old = _with_codes(_groups(("M33.20-M33.29", "Polymyositis", "1", "covered")))
    new_groups = tuple(
        replace(g, paragraph="Use for IMNM only after statin myopathy is excluded.")
        for g in old.code_groups
    )
    changes = [c for c in compare(old, _with_codes(new_groups)) if c.kind.startswith("code")]
    assert [(c.kind, c.subject) for c in changes] == [
        ("code_group_changed", "ICD-10-CM group 1 (covered)")
    ]
    other = _with_codes(_groups(("G25.82", "Stiff-man syndrome", "1", "covered")))
    removed = compare(old, other)
    assert [c.subject for c in removed if c.kind == "code_removed"] == ["M33.20-M33.29 (range)"]


def test_a_source_without_codes_is_not_every_code_removed() -> None:
    old = _with_codes(_groups(("J1459", "Injection, IVIG (Privigen)", "1", None)))
    assert [c for c in compare(old, _with_codes(())) if c.kind.startswith("code")] == []
    assert [c for c in compare(_with_codes(()), old) if c.kind.startswith("code")] == []


# -- severity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "level"),
    [
        (Change("indication_removed", "X"), "high"),
        (Change("indication_added", "X"), "medium"),
        (Change("indication_renamed", "X"), "low"),
        (Change("indication_changed", "X", "criterion_added"), "high"),
        (Change("indication_changed", "X", "criterion_removed"), "medium"),
        (Change("indication_changed", "X", "dose_changed", direction="tightened"), "high"),
        (Change("indication_changed", "X", "dose_changed", direction="loosened"), "medium"),
        (Change("indication_changed", "X", "stance_changed", "covered", "not covered"), "high"),
        (Change("indication_changed", "X", "text_changed"), "low"),
        (Change("code_removed", "J1459"), "high"),
        (Change("code_added", "J1459"), "medium"),
        (Change("metadata_changed", "retirement", None, None, "2026-01-01"), "high"),
        (Change("metadata_changed", "revision_effective"), "medium"),
        (Change("metadata_changed", "last_updated"), "low"),
        (Change("section_changed", "Bibliography"), "low"),
    ],
)
def test_severity_rule_table(change: Change, level: str) -> None:
    assert severity_of(change) == level


def test_min_severity_keeps_that_level_and_above() -> None:
    changes = [replace(Change("x", "a"), severity=level) for level in LEVELS]
    assert [c.severity for c in at_least(changes, "medium")] == ["medium", "high"]
    assert len(at_least(changes, "low")) == 3


# -- CMS's account ----------------------------------------------------------------------------


def test_flagship_explanation_agrees_with_the_detected_change() -> None:
    old, new = case("DL39314_v19.coverage-api").record(), _final()
    statements = cms_statements(old, new)
    assert [s.source for s in statements] == [
        "Issue - Explanation of Change Between Proposed LCD and Final LCD"
    ]
    assert disagreements(statements, compare(old, new)) == ()


def _revised(explanation: str, edit=None) -> tuple[LcdDocument, LcdDocument]:  # type: ignore[no-untyped-def]
    old, new = _edited(edit or (lambda t: t))
    row = RevisionHistoryRow("2025-07-16", "R8", explanation, ("Provider Education/Guidance",))
    return old, replace(new, revision_history=(row,))


def test_formatting_only_claim_with_a_coverage_change_is_flagged() -> None:
    old, new = _revised(
        "Punctuation and typographical errors were corrected throughout the LCD.",
        lambda t: re.sub(r"<li>Systemic Lupus Erythematosus.*?</li>", "", t, flags=re.S),
    )
    found = disagreements(cms_statements(old, new), compare(old, new))
    assert len(found) == 1
    assert "says “Punctuation”" in found[0] and "Systemic Lupus Erythematosus" in found[0]


def test_a_named_section_without_change_is_flagged() -> None:
    old, new = _revised("Under Bibliography changes were made to citations.")
    assert disagreements(cms_statements(old, new), compare(old, new)) == (
        "Revision history R8, 2025-07-16 names “Bibliography”, but nothing changed there",
    )


def test_an_announced_addition_that_did_not_happen_is_flagged() -> None:
    old, new = case("DL39314_v19.coverage-api").record(), _final()
    new = replace(new, indications=new.indications[:-1])
    found = disagreements(cms_statements(old, new), compare(old, new))
    assert "CMS says IMNM was added, but no indication (IMNM) was added" in found


def test_an_unannounced_addition_is_flagged() -> None:
    old, new = case("DL39314_v19.coverage-api").record(), _final()
    explanation = Section(
        "Issue - Explanation of Change Between Proposed LCD and Final LCD",
        "Based on comments received, the dosing section was clarified.",
    )
    new = replace(
        new, sections=tuple(explanation if s.name == explanation.name else s for s in new.sections)
    )
    found = disagreements(cms_statements(old, new), compare(old, new))
    assert f"“{IMNM}” was added, but no CMS statement mentions it" in found
