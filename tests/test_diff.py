"""The diff engine: the flagship proposed → final change, changes a reader must see, and every
kind of presentation-only edit that must produce no change at all."""

from __future__ import annotations

import re

import pytest

from lcdtrack.diff import compare, word_diff
from lcdtrack.errors import LayoutChanged
from lcdtrack.extractors import extract
from lcdtrack.models import Change, LcdDocument, RawDocument
from tests.conftest import case
from tests.mutate import edit_api_record, edit_text

IMNM = "Immune-mediated Necrotizing Myositis (IMNM)"


def _record(raw: RawDocument) -> LcdDocument:
    return extract(raw)[1]


def _indication_changes(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.kind.startswith("indication_")]


@pytest.mark.parametrize("fmt", ["coverage-api", "mcd-page-text"])
def test_flagship_proposed_to_final_adds_exactly_imnm(fmt: str) -> None:
    proposed = case(f"DL39314_v19.{fmt}").record()
    final = case(f"L39314_v7.{fmt}").record()
    changes = _indication_changes(compare(proposed, final))
    assert [(c.kind, c.subject) for c in changes] == [("indication_added", IMNM)]
    assert changes[0].after is not None and "critical role" in changes[0].after


def test_flagship_reports_the_explanation_section_and_evidence() -> None:
    changes = compare(
        case("DL39314_v19.coverage-api").record(), case("L39314_v7.coverage-api").record()
    )
    kinds = {(c.kind, c.subject) for c in changes}
    assert (
        "section_added",
        "Issue - Explanation of Change Between Proposed LCD and Final LCD",
    ) in kinds
    assert ("section_changed", "Summary of Evidence") in kinds
    assert ("metadata_changed", "original_effective") in kinds
    summary = next(c for c in changes if c.subject == "Summary of Evidence")
    inserted = " ".join(e.text for e in summary.edits if e.op == "+")
    assert "Kocoloski A et al54" in inserted
    assert not [e for e in summary.edits if e.op == "-"]


def test_same_document_compares_equal() -> None:
    record = case("L39314_v7.coverage-api").record()
    assert compare(record, record) == []


def test_reordered_indications_are_not_added_or_removed() -> None:
    record = case("L39314_v7.coverage-api").record()
    shuffled = LcdDocument.from_dict({**record.to_dict(), "indications": [i.__dict__ for i in []]})
    reordered = LcdDocument(
        **{**shuffled.__dict__, "indications": tuple(reversed(record.indications))}
    )
    assert _indication_changes(compare(record, reordered)) == []


def _swap(pattern: str, replacement: str, count: int = 0) -> callable:  # type: ignore[valid-type]
    return lambda text: re.sub(pattern, replacement, text, count=count)


PRESENTATION_EDITS_HTML = {
    "whitespace and line breaks": _swap(r" ", "\n   "),
    "nbsp for spaces": _swap(r"(?<=\w) (?=\w)", "&nbsp;", count=40),
    "curly quotes": lambda t: t.replace("&rsquo;", "'").replace("'", "&rsquo;"),
    "b instead of strong": lambda t: t.replace("<strong>", "<b>").replace("</strong>", "</b>"),
    "empty paragraphs": lambda t: t.replace("</p>", "</p>\n<p>&nbsp;</p><p></p>"),
    "inline styles and spans": lambda t: t.replace("<li>", '<li style="margin: 0"><span>').replace(
        "</li>", "</span></li>"
    ),
    "en dash for hyphen": lambda t: t.replace(" - ", " &ndash; "),
    "word-paste comment": lambda t: "<!--StartFragment-->" + t + "<!--EndFragment-->",
}


@pytest.mark.parametrize("edit", list(PRESENTATION_EDITS_HTML))
def test_presentation_edits_in_api_html_are_no_change(edit: str) -> None:
    raw = case("L39314_v7.coverage-api").raw()
    transform = PRESENTATION_EDITS_HTML[edit]
    edited = edit_api_record(
        raw, {f: transform for f in ("indication", "summary_of_evidence", "bibliography")}
    )
    assert edited.content != raw.content
    assert compare(_record(raw), _record(edited)) == []


PRESENTATION_EDITS_TEXT = {
    "bullet glyph": lambda t: t.replace("  • ", "  · "),
    "list indentation": lambda t: t.replace("\n  • ", "\n   • ").replace("\n    • ", "\n      • "),
    "blank lines": lambda t: t.replace("\n\n", "\n\n\n"),
    "trailing spaces": lambda t: t.replace("\n", "  \n"),
    "copyright year boilerplate": lambda t: t.replace("copyright 2023", "copyright 2026").replace(
        "Copyright © 2024", "Copyright © 2026"
    ),
    "curly apostrophe": lambda t: t.replace("Clarkson’s", "Clarkson's"),
}


@pytest.mark.parametrize("edit", list(PRESENTATION_EDITS_TEXT))
def test_presentation_edits_in_page_text_are_no_change(edit: str) -> None:
    raw = case("L39314_v7.mcd-page-text").raw()
    edited = edit_text(raw, PRESENTATION_EDITS_TEXT[edit])
    assert edited.content != raw.content
    assert compare(_record(raw), _record(edited)) == []


def _edit_indications(edit: callable) -> tuple[LcdDocument, LcdDocument]:  # type: ignore[valid-type]
    raw = case("L39314_v7.coverage-api").raw()
    return _record(raw), _record(edit_api_record(raw, {"indication": edit}))


def test_dose_change_is_reported_with_before_and_after() -> None:
    old, new = _edit_indications(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg"))
    changes = compare(old, new)
    assert [
        (c.kind, c.subject, c.aspect, c.before, c.after) for c in _indication_changes(changes)
    ] == [
        (
            "indication_changed",
            "Autoimmune retinopathy (AIR)",
            "dose_changed",
            "0.4 to 1.5 g/kg per month",
            "0.5 to 1.5 g/kg per month",
        )
    ]


def test_criterion_added_removed_and_changed() -> None:
    old, new = _edit_indications(
        lambda t: t.replace("<li>Confirmed diagnosis of chronic GVHD</li>", "").replace(
            "<li>At least 100 days post transplant.</li>",
            "<li>At least 180 days post transplant.</li><li>IgG trough checked monthly.</li>",
        )
    )
    aspects = {
        (c.aspect, c.before, c.after)
        for c in _indication_changes(compare(old, new))
        if c.subject == "Chronic Graft versus Host Disease (GVHD)"
    }
    assert aspects == {
        ("criterion_removed", "Confirmed diagnosis of chronic GVHD", None),
        ("time_changed", "at least 100 days", "at least 180 days"),  # a quantity, not wording
        ("criterion_added", None, "IgG trough checked monthly."),
    }


def test_removed_indication_is_reported_by_name() -> None:
    old, new = _edit_indications(
        lambda t: re.sub(r"<li>Systemic Lupus Erythematosus.*?</li>", "", t, flags=re.S)
    )
    changes = _indication_changes(compare(old, new))
    assert [(c.kind, c.subject) for c in changes] == [
        ("indication_removed", "Systemic Lupus Erythematosus")
    ]


def test_reworded_indication_text_is_a_text_change() -> None:
    old, new = _edit_indications(
        lambda t: t.replace(
            "The routine use of IVIG is not usually recommended.",
            "The routine use of IVIG is never recommended.",
        )
    )
    (change,) = _indication_changes(compare(old, new))
    assert (change.subject, change.aspect) == ("Systemic Lupus Erythematosus", "text_changed")
    assert [(e.op, e.text.strip()) for e in change.edits if e.op != "="] == [
        ("-", "not usually"),
        ("+", "never"),
    ]


def test_losing_all_indications_is_a_layout_change_not_a_removal() -> None:
    old, new = _edit_indications(
        lambda t: re.sub(r"</?(ul|ol|li)>", "", t.replace("<li>", "<p>").replace("</li>", "</p>"))
    )
    assert old.indications and not new.indications
    with pytest.raises(LayoutChanged, match="not reporting them as removed"):
        compare(old, new)


def test_word_diff_snaps_to_words() -> None:
    edits = word_diff("IgG levels <400 mg/dl are required", "IgG levels <500 mg/dl are required")
    assert [(e.op, e.text) for e in edits] == [
        ("=", "IgG levels "),
        ("-", "<400 "),
        ("+", "<500 "),
        ("=", "mg/dl are required"),
    ]
