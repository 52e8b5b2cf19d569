"""Extraction: golden records for both documents in both formats, format parity, the details
of the indication grammar, and named errors for bad input."""

from __future__ import annotations

import json

import pytest

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd, NotAvailable
from lcdtrack.extractors import EXTRACTORS, extract, extractor_for
from lcdtrack.extractors.normalize import canonical
from lcdtrack.models import LcdDocument, RawDocument
from tests.conftest import ALL_CASES, case

L39314_INDICATIONS = [
    "Stiff-person syndrome",
    "Autoimmune retinopathy (AIR)",
    "Pure red cell aplasia related to human parvovirus B19 infection",
    "Hematopoetic Stem Cell Transplantation (HSCT)",
    "Secondary hypogammaglobulinemia",
    "Chronic Graft versus Host Disease (GVHD)",
    "Hypogammaglobulinemia for Graft vs. Host Disease (GVHD)",
    "Systemic Lupus Erythematosus",
    "Scleromyxedema",
    "Systemic Capillary Leak Syndrome (SCLS) or Clarkson’s Disease",
    "Immune-mediated Necrotizing Myositis (IMNM)",
]


@pytest.mark.parametrize("name", ALL_CASES)
def test_golden_extraction(name: str, update_golden: bool) -> None:
    record = case(name).record()
    expected_path = case(name).folder / "expected.json"
    actual = json.dumps(record.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if update_golden or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ALL_CASES)
def test_record_round_trips_through_json(name: str) -> None:
    record = case(name).record()
    assert LcdDocument.from_dict(json.loads(json.dumps(record.to_dict()))) == record


@pytest.mark.parametrize("document", ["L39314_v7", "DL39314_v19"])
def test_both_formats_give_the_same_indications_and_sections(document: str) -> None:
    api = case(f"{document}.coverage-api").record()
    page = case(f"{document}.mcd-page-text").record()
    assert api.indications == page.indications
    assert [s.name for s in api.sections] == [s.name for s in page.sections]
    for ours, theirs in zip(api.sections, page.sections, strict=True):
        assert canonical(ours.text) == canonical(theirs.text), ours.name
    assert api.bibliography == page.bibliography
    assert (api.public_id, api.kind, api.title) == (page.public_id, page.kind, page.title)


@pytest.mark.parametrize("fmt", ["coverage-api", "mcd-page-text"])
def test_l39314_has_eleven_indications_in_page_order(fmt: str) -> None:
    record = case(f"L39314_v7.{fmt}").record()
    assert [i.name for i in record.indications] == L39314_INDICATIONS
    assert all(i.stance == "covered" for i in record.indications)


@pytest.mark.parametrize("fmt", ["coverage-api", "mcd-page-text"])
def test_the_proposal_lacks_only_imnm(fmt: str) -> None:
    record = case(f"DL39314_v19.{fmt}").record()
    assert [i.name for i in record.indications] == L39314_INDICATIONS[:-1]


def test_paragraphs_after_a_bullet_belong_to_its_indication() -> None:
    by_name = {i.name: i for i in case("L39314_v7.coverage-api").record().indications}
    scleromyxedema = by_name["Scleromyxedema"]
    assert "The mechanism through which IVIG improves scleromyxedema" in scleromyxedema.text
    assert "1.5 g/kg of IVIG every four weeks" in scleromyxedema.text
    assert [str(d) for s in scleromyxedema.dosing for d in s.doses] == [
        "2 g/kg per month",
        "0.5 g/kg per 4 weeks",
        "2 g/kg per 6 weeks",
        "1.5 g/kg per 4 weeks",
    ]
    scls = by_name["Systemic Capillary Leak Syndrome (SCLS) or Clarkson’s Disease"]
    assert [str(d) for s in scls.dosing for d in s.doses] == [
        "2 g/kg per month",
        "1 g/kg per month",
    ]
    imnm = by_name["Immune-mediated Necrotizing Myositis (IMNM)"]
    assert imnm.text.endswith("for the management of dermatomyositis.")
    assert "Summary of Evidence" not in imnm.text


def test_criteria_doses_aliases_and_keys() -> None:
    by_name = {i.name: i for i in case("L39314_v7.coverage-api").record().indications}
    stiff = by_name["Stiff-person syndrome"]
    assert stiff.criteria == (
        "Diagnosis has been confirmed by anti-glutamic acid decarboxylase (GAD) antibody "
        "testing; and",
        "Member had an inadequate response to first-line treatment (benzodiazepines and/or "
        "baclofen).",
    )
    air = by_name["Autoimmune retinopathy (AIR)"]
    assert air.aliases == ("AIR",)
    assert air.match_key == "autoimmune retinopathy"
    assert [str(d) for s in air.dosing for d in s.doses] == [
        "1.5 g/kg",
        "0.4 to 1.5 g/kg per month",
    ]
    assert air.dosing[1].doses[0].amount.low == 0.4 and air.dosing[1].doses[0].amount.high == 1.5
    gvhd = by_name["Chronic Graft versus Host Disease (GVHD)"]
    assert len(gvhd.criteria) == 4
    assert gvhd.criteria[0] == "Laboratory proven hypogammaglobulinemia with IgG levels <400 mg/dl."
    hsct = by_name["Hematopoetic Stem Cell Transplantation (HSCT)"]
    assert [str(d) for s in hsct.dosing for d in s.doses] == ["500 mg/kg per week"]


def test_escaped_html_is_decoded_exactly_once() -> None:
    record = case("L39314_v7.coverage-api").record()
    indication = record.section("Coverage Indications, Limitations, and/or Medical Necessity")
    assert indication is not None
    assert "IgG levels <400 mg/dl" in indication.text  # &amp;lt;400 → <400, not a tag
    assert "IgG < 400 mg/d" in indication.text
    assert "&lt;" not in indication.text and "&sol;" not in indication.text
    assert indication.html is not None and indication.html.startswith("<p><strong>NGS Abstract")
    assert "Clarkson’s Disease" in indication.text  # inner &rsquo; decoded by the parser


def test_identity_metadata_and_links() -> None:
    final = case("L39314_v7.coverage-api").record()
    proposed = case("DL39314_v19.coverage-api").record()
    assert (final.public_id, final.lcd_id, final.version, final.kind) == (
        "L39314",
        39314,
        7,
        "final",
    )
    assert (proposed.public_id, proposed.lcd_id, proposed.version, proposed.kind) == (
        "DL39314",
        39313,
        19,
        "proposed",
    )
    assert proposed.source_lcd_id == "L39314"
    page = case("L39314_v7.mcd-page-text").record()
    assert page.source_proposed_id == "DL39314"
    assert page.version == 7 and page.lcd_id == 39314
    assert page.dates.original_effective == "2022-11-01"
    assert (page.dates.notice_start, page.dates.notice_end) == ("2022-09-15", "2022-10-31")
    assert page.public_versions[0].status == "Currently in Effect"
    assert len(page.bibliography) == 63
    proposed_page = case("DL39314_v19.mcd-page-text").record()
    assert proposed_page.lcd_id == 39313  # from the page URL, never from the display number


def test_registry_detects_each_format() -> None:
    assert extractor_for(case("L39314_v7.coverage-api").raw()).name == "coverage-api"
    assert extractor_for(case("L39314_v7.mcd-page-text").raw()).name == "mcd-page-text"
    assert set(EXTRACTORS) >= {"coverage-api", "mcd-page-text"}


def _raw(content: bytes | str, source: str = "input") -> RawDocument:
    return RawDocument(
        content=content.encode() if isinstance(content, str) else content, source=source
    )


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ("<!doctype html><html><title>CMS</title><p>Home</p></html>", NotAnLcd, "HTML page"),
        ('{"name": "something else"}', NotAnLcd, "Coverage API envelope"),
        ('{"meta": {}, "data": [{"ncd_id": 1}]}', NotAnLcd, "not an LCD record"),
        ('{"message": "You must include a lcdid", "code": 400}', NotAnLcd, r"error \(400\)"),
        ('{"meta": {}, "data": []}', NotAvailable, "no record"),
        ('{"meta": {}, "data": [{"lcd_id": 1, "lcd_version": 1}]}', LayoutChanged, "lacks"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), NotAnLcd, "binary"),
        ("", NotAnLcd, "empty"),
    ],
)
def test_bad_input_raises_a_named_error(
    content: bytes | str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        extract(_raw(content))


def test_truncated_json_is_an_extract_error() -> None:
    content = case("L39314_v7.coverage-api").input.read_bytes()
    with pytest.raises(ExtractError, match="invalid or truncated JSON"):
        extract(_raw(content[: len(content) // 2]))


def test_truncated_page_text_is_an_extract_error() -> None:
    content = case("L39314_v7.mcd-page-text").input.read_text(encoding="utf-8")
    with pytest.raises(ExtractError, match="truncated"):
        extract(_raw(content[: len(content) // 2]))


def test_page_without_indications_section_is_a_layout_change() -> None:
    content = case("L39314_v7.mcd-page-text").input.read_text(encoding="utf-8")
    renamed = content.replace(
        "Coverage Indications, Limitations, and/or Medical Necessity", "Coverage Rules"
    )
    with pytest.raises(LayoutChanged, match="Coverage Indications"):
        extract(_raw(renamed))
