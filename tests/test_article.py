"""The `coverage-api-article` extractor: Billing and Coding article A59105 (SYNTHETIC responses
built in `tests/api_fixtures.py`), its code groups, its golden record and named errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd, NotAvailable
from lcdtrack.extractors import coverage_api_article as article
from lcdtrack.models import API_BUNDLE_FORMAT, CodeGroup, LcdDocument, RawDocument
from tests import api_fixtures as fx
from tests.conftest import CASES, CORPUS
from tests.mutate import escape_like_cms

GOLDEN = CASES / "A59105_v26.coverage-api-article"
SPEC = CORPUS / "api" / "coverage-api-openapi-v1.5.json"
SCHEMAS = {
    "article": "DataArticle",
    "icd10-covered": "DataArticleIcd10Covered",
    "icd10-covered-group": "DataArticleIcd10CoveredGroup",
    "icd10-noncovered": "DataArticleIcd10Noncovered",
    "icd10-noncovered-group": "DataArticleIcd10NoncoveredGroup",
    "hcpc-code": "DataArticleHcpcCode",
    "hcpc-code-group": "DataArticleHcpcCodeGroup",
    "hcpc-modifier": "DataArticleHcpcModifier",
    "bill-codes": "DataArticleBillCodes",
    "revenue-code": "DataArticleRevenueCode",
    "revision-history": "DataArticleRevisionHistory",
}
HCPCS = ["J1459", "J1556", "J1557", "J1561", "J1566", "J1568", "J1569", "J1572", "J1599"]

Rows = dict[str, list[dict[str, Any]]]


def extract_rows(rows: Rows) -> LcdDocument:
    return article.extract(fx.raw(fx.bundle(rows)))


def edited(edit: Callable[[Rows], object]) -> Rows:
    rows = fx.article_rows()
    edit(rows)
    return rows


def groups(record: LcdDocument, system: str, coverage: str | None = None) -> list[CodeGroup]:
    return [g for g in record.code_groups if g.system == system and g.coverage == coverage]


def codes(group: CodeGroup) -> list[str]:
    return [c.code for c in group.codes]


@pytest.fixture(scope="module")
def record() -> LcdDocument:
    return extract_rows(fx.article_rows())


# -- golden ---------------------------------------------------------------------------------


def test_golden_input_is_the_fixture_bundle(update_golden: bool) -> None:
    built = fx.raw(fx.bundle()).content
    if update_golden:
        (GOLDEN / "input.json").write_bytes(built)
    assert (GOLDEN / "input.json").read_bytes() == built


def test_golden_extraction(update_golden: bool) -> None:
    raw = RawDocument(content=(GOLDEN / "input.json").read_bytes(), source="input.json")
    record = article.extract(raw)
    expected_path = GOLDEN / "expected.json"
    actual = json.dumps(record.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if update_golden or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")


def test_record_round_trips_through_json(record: LcdDocument) -> None:
    assert LcdDocument.from_dict(json.loads(json.dumps(record.to_dict()))) == record


@pytest.mark.skipif(not SPEC.exists(), reason="the corpus OpenAPI spec is not available")
@pytest.mark.parametrize("endpoint", sorted(SCHEMAS))
def test_fixture_rows_have_every_field_of_the_spec_schema(endpoint: str) -> None:
    schema = json.loads(SPEC.read_text())["components"]["schemas"][SCHEMAS[endpoint]]
    for row in fx.article_rows()[endpoint]:
        assert list(row) == list(schema["properties"])


# -- the record -----------------------------------------------------------------------------


def test_identity_and_dates(record: LcdDocument) -> None:
    assert (record.public_id, record.lcd_id, record.version, record.kind) == (
        "A59105",
        59105,
        26,
        "article",
    )
    assert record.title == fx.TITLE
    assert record.status == "A"
    assert record.dates.original_effective == "2025-09-07"
    assert record.dates.published == "2025-07-16"
    assert record.dates.last_updated == "2025-07-16"
    assert (record.dates.revision_ending, record.dates.retirement) == (None, None)


def test_end_and_retirement_dates() -> None:
    record = extract_rows(
        edited(
            lambda rows: rows["article"][0].update(
                article_end_date="10/31/2025", date_retired="11/01/2025"
            )
        )
    )
    assert record.dates.revision_ending == "2025-10-31"
    assert record.dates.retirement == "2025-11-01"


def test_sections_are_named_as_on_the_article_page(record: LcdDocument) -> None:
    assert [s.name for s in record.sections] == [
        "CMS National Coverage Policy",
        "Article Text",
        "Additional ICD-10 Information",
    ]


def test_narrative_is_decoded_exactly_once(record: LcdDocument) -> None:
    text = record.section("Article Text")
    assert text is not None
    assert "IgG levels <400 mg/dl" in text.text
    assert "patient’s medical record" in text.text
    assert "  2. For pure red cell aplasia" in text.text
    assert "&lt;" not in text.text and "&sol;" not in text.text
    assert text.html is not None and "&lt;400" in text.html
    policy = record.section("CMS National Coverage Policy")
    assert policy is not None and "Chapter 17, §10 Payment Rules" in policy.text


def test_other_comments_and_keywords_become_sections_when_present() -> None:
    record = extract_rows(
        edited(
            lambda rows: rows["article"][0].update(
                other_comments=escape_like_cms("<p>See also A60252.</p>"),
                keywords="IVIG",
            )
        )
    )
    assert [s.name for s in record.sections] == [
        "CMS National Coverage Policy",
        "Article Text",
        "Other Comments",
        "Additional ICD-10 Information",
        "Keywords",
    ]
    other = record.section("Other Comments")
    assert other is not None and other.text == "See also A60252."


def test_revision_history_newest_first(record: LcdDocument) -> None:
    assert [(r.number, r.date) for r in record.revision_history] == [
        ("R26", "2025-09-07"),
        ("R23", "2025-01-01"),
    ]
    assert record.revision_history[0].explanation.startswith(
        "Under ICD-10-CM Codes that Support Medical Necessity Group 5: Codes added G72.49"
    )
    assert "JW/JZ modifiers" in record.revision_history[0].explanation


# -- code groups ----------------------------------------------------------------------------


def test_groups_in_system_then_group_order(record: LcdDocument) -> None:
    assert [(g.system, g.group, g.coverage) for g in record.code_groups] == [
        ("ICD-10-CM", "1", "covered"),
        ("ICD-10-CM", "2", "covered"),
        ("ICD-10-CM", "3", "covered"),
        ("ICD-10-CM", "4", "covered"),
        ("ICD-10-CM", "5", "covered"),
        ("ICD-10-CM", "1", "not covered"),
        ("CPT/HCPCS", "1", None),
        ("HCPCS modifier", "1", None),
        ("Bill type", "1", None),
        ("Revenue", "1", None),
    ]
    assert {g.source for g in record.code_groups} == {"A59105"}


def test_covered_icd10_codes_follow_sort_order(record: LcdDocument) -> None:
    covered = groups(record, "ICD-10-CM", "covered")
    assert codes(covered[0]) == ["G25.82"]
    assert covered[0].codes[0].description == "Stiff-man syndrome"
    assert codes(covered[2]) == ["D60.0-D60.9", "B97.6"]
    assert codes(covered[3]) == ["D80.1", "D89.811", "Z94.84"]
    assert codes(covered[4])[-1] == "G72.49"


def test_range_rows_are_flagged(record: LcdDocument) -> None:
    flagged = [c.code for g in record.code_groups for c in g.codes if c.is_range]
    assert flagged == ["D60.0-D60.9"]


def test_group_paragraphs_are_plain_text_decoded_once(record: LcdDocument) -> None:
    covered = groups(record, "ICD-10-CM", "covered")
    assert covered[2].paragraph == (
        "Dual diagnosis: pure red cell aplasia related to human parvovirus B19 infection. "
        "Report a code from D60.0–D60.9 and B97.6."
    )
    assert "IgG levels <400 mg/dl (<LLN) and" in covered[3].paragraph  # not a <lln> tag
    assert "(Clarkson’s disease)" in covered[4].paragraph
    (hcpcs,) = groups(record, "CPT/HCPCS")
    assert hcpcs.paragraph.startswith("Report the product's HCPCS code;")
    assert "g/kg" in hcpcs.paragraph


def test_not_covered_group(record: LcdDocument) -> None:
    (group,) = groups(record, "ICD-10-CM", "not covered")
    assert codes(group) == ["M34.0", "M34.1", "M34.9"]
    assert "scleroderma/systemic sclerosis" in group.paragraph


def test_hcpcs_codes_sorted_with_long_descriptions(record: LcdDocument) -> None:
    (group,) = groups(record, "CPT/HCPCS")
    assert codes(group) == HCPCS
    assert group.codes[1].description == "Injection, immune globulin (Bivigam), 500 mg"


def test_short_description_when_the_long_one_is_empty() -> None:
    record = extract_rows(edited(lambda rows: rows["hcpc-code"][1].update(long_description="")))
    (group,) = groups(record, "CPT/HCPCS")
    assert group.codes[0].description == "Inj IVIG privigen 500 mg"


def test_modifiers_bill_types_and_revenue_codes(record: LcdDocument) -> None:
    (modifiers,) = groups(record, "HCPCS modifier")
    assert codes(modifiers) == ["JW", "JZ"]
    assert modifiers.codes[1].description.startswith("Zero drug amount discarded")
    (bill,) = groups(record, "Bill type")
    assert codes(bill) == ["012x", "013x", "085x"]
    (revenue,) = groups(record, "Revenue")
    assert codes(revenue) == ["0250", "0636"] and revenue.paragraph == ""


def test_revenue_paragraph_comes_from_the_article_record() -> None:
    para = escape_like_cms("<p>Report revenue code 0636 with the HCPCS code.</p>")
    record = extract_rows(edited(lambda rows: rows["article"][0].update(revenue_para=para)))
    (revenue,) = groups(record, "Revenue")
    assert revenue.paragraph == "Report revenue code 0636 with the HCPCS code."


def test_group_numbers_sort_numerically() -> None:
    def regroup(rows: Rows) -> None:
        rows["icd10-covered"] = [
            fx.icd10_covered_row(10, 1, "G25.82", "Stiff-man syndrome"),
            fx.icd10_covered_row(2, 1, "D80.1", "Nonfamilial hypogammaglobulinemia"),
        ]
        rows["icd10-covered-group"] = []

    covered = groups(extract_rows(edited(regroup)), "ICD-10-CM", "covered")
    assert [(g.group, codes(g), g.paragraph) for g in covered] == [
        ("2", ["D80.1"], ""),
        ("10", ["G25.82"], ""),
    ]


def test_a_group_with_only_a_paragraph_is_kept_and_na_paragraphs_are_empty() -> None:
    def paragraphs(rows: Rows) -> None:
        rows["icd10-noncovered"] = []
        rows["hcpc-code-group"] = [fx.hcpc_code_group_row(1, "<p>N/A</p>")]

    record = extract_rows(edited(paragraphs))
    (noncovered,) = groups(record, "ICD-10-CM", "not covered")
    assert noncovered.codes == () and noncovered.paragraph.startswith("The following ICD-10-CM")
    assert groups(record, "CPT/HCPCS")[0].paragraph == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("Y", True), ("y", True), (True, True), (1, True), ("1", True), ("true", True)],
        *[("N", False), ("", False), (None, False), (0, False), (False, False)],
    ],
)
def test_range_flag_values(value: object, expected: bool) -> None:
    record = extract_rows(edited(lambda rows: rows["icd10-covered"][0].update(range=value)))
    assert groups(record, "ICD-10-CM", "covered")[0].codes[0].is_range is expected


def test_escaped_descriptions_are_decoded_once() -> None:
    escaped = "Gamunex-C&sol;Gammaked &amp;lt;500 mg"
    record = extract_rows(
        edited(lambda rows: rows["hcpc-code"][4].update(long_description=escaped))
    )
    (group,) = groups(record, "CPT/HCPCS")
    assert group.codes[3].description == "Gamunex-C/Gammaked &lt;500 mg"


def test_absent_endpoints_give_no_groups() -> None:
    def drop(rows: Rows) -> None:
        for name in ("bill-codes", "revenue-code", "hcpc-modifier", "revision-history"):
            del rows[name]

    record = extract_rows(edited(drop))
    assert {g.system for g in record.code_groups} == {"ICD-10-CM", "CPT/HCPCS"}
    assert record.revision_history == ()


def test_rows_of_other_versions_are_ignored_when_this_version_has_rows() -> None:
    old = fx.icd10_covered_row(1, 2, "G25.89", "Other specified extrapyramidal and movement")
    old["article_version"] = 23
    record = extract_rows(edited(lambda rows: rows["icd10-covered"].append(old)))
    assert codes(groups(record, "ICD-10-CM", "covered")[0]) == ["G25.82"]


def test_rows_all_of_another_version_are_kept() -> None:
    def restamp(rows: Rows) -> None:
        for row in rows["revision-history"]:
            row["article_version"] = 25

    record = extract_rows(edited(restamp))
    assert [r.number for r in record.revision_history] == ["R26", "R23"]


def test_code_groups_from_bundle_is_what_extract_gives(record: LcdDocument) -> None:
    assert article.code_groups_from_bundle(fx.bundle()) == record.code_groups


def test_plain_article_envelope_gives_metadata_and_sections_only() -> None:
    body = fx.envelope("article", [fx.article_record()])
    record = article.extract(RawDocument(content=body.encode(), source="article.json"))
    assert (record.public_id, record.version, record.kind) == ("A59105", 26, "article")
    assert [s.name for s in record.sections][1] == "Article Text"
    assert record.code_groups == () and record.revision_history == ()


# -- sniffing -------------------------------------------------------------------------------


def test_sniff_accepts_article_bundles_and_article_envelopes() -> None:
    assert article.sniff(fx.raw(fx.bundle()))
    body = fx.envelope("article", [fx.article_record()]).encode()
    assert article.sniff(RawDocument(content=b"\xef\xbb\xbf" + body, source="bom.json"))


def test_sniff_refuses_lcds_even_with_article_bundles_inside() -> None:
    lcd = (CASES / "L39314_v7.coverage-api" / "input.json").read_bytes()
    assert not article.sniff(RawDocument(content=lcd, source="lcd.json"))
    lcd_bundle = {
        "format": API_BUNDLE_FORMAT,
        "document": "lcd",
        "responses": {"lcd": lcd.decode()},
        "articles": [fx.bundle()],
    }
    assert not article.sniff(fx.raw(lcd_bundle))
    page = (CASES / "L39314_v7.mcd-page-text" / "input.txt").read_bytes()
    assert not article.sniff(RawDocument(content=page, source="page.txt"))
    truncated = fx.raw(fx.bundle()).content[:-10]
    assert not article.sniff(RawDocument(content=truncated, source="cut.json"))


# -- named errors ---------------------------------------------------------------------------


def _raw_of(data: Any) -> RawDocument:
    return fx.raw(data, source="bad.json")


def _without_title(rows: Rows) -> None:
    del rows["article"][0]["title"]


def _bundle_with(**responses: Any) -> dict[str, Any]:
    bundle = fx.bundle()
    bundle["responses"].update(responses)
    return bundle


BROKEN: list[tuple[str, Callable[[], RawDocument], type[Exception], str]] = [
    (
        "truncated bundle",
        lambda: RawDocument(content=fx.raw(fx.bundle()).content[:500], source="cut.json"),
        ExtractError,
        "invalid or truncated JSON",
    ),
    (
        "empty article data",
        lambda: _raw_of(fx.bundle(edited(lambda rows: rows.update(article=[])))),
        NotAvailable,
        "no article",
    ),
    (
        "plain empty envelope",
        lambda: RawDocument(content=fx.envelope("article", []).encode(), source="empty.json"),
        NotAvailable,
        "empty 'data'",
    ),
    (
        "article without title",
        lambda: _raw_of(fx.bundle(edited(_without_title))),
        LayoutChanged,
        "lacks title",
    ),
    (
        "article version not a number",
        lambda: _raw_of(
            fx.bundle(edited(lambda rows: rows["article"][0].update(article_version="v26")))
        ),
        LayoutChanged,
        "lacks article_version",
    ),
    (
        "child body not JSON",
        lambda: _raw_of(_bundle_with(**{"icd10-covered": '{"meta": {}, "data": [{"icd'})),
        ExtractError,
        "'icd10-covered' response is invalid or truncated JSON",
    ),
    (
        "child body an API error",
        lambda: _raw_of(
            _bundle_with(**{"hcpc-code": '{"message": "You must include a", "id": 400}'})
        ),
        ExtractError,
        "'hcpc-code' response is a Coverage API error",
    ),
    (
        "child body not a string",
        lambda: _raw_of(_bundle_with(**{"bill-codes": {"data": []}})),
        LayoutChanged,
        "'bill-codes' response is not a response body",
    ),
    (
        "child without data list",
        lambda: _raw_of(_bundle_with(**{"revenue-code": '{"meta": {}}'})),
        LayoutChanged,
        "'revenue-code' response has no Coverage API envelope",
    ),
    (
        "bundle without article response",
        lambda: _raw_of({**fx.bundle(), "responses": {}}),
        LayoutChanged,
        "without the 'article' response",
    ),
    (
        "row without group number",
        lambda: _raw_of(
            fx.bundle(edited(lambda rows: rows["icd10-covered"][0].pop("icd10_covered_group")))
        ),
        LayoutChanged,
        "'icd10-covered' row has no group number",
    ),
    (
        "row without code",
        lambda: _raw_of(
            fx.bundle(edited(lambda rows: rows["hcpc-code"][0].update(hcpc_code_id="")))
        ),
        LayoutChanged,
        "'hcpc-code' row has no hcpc_code_id",
    ),
    (
        "rows of another article",
        lambda: _raw_of(
            fx.bundle(edited(lambda rows: rows["hcpc-modifier"][0].update(article_id=59101)))
        ),
        LayoutChanged,
        "rows of another article",
    ),
    (
        "an LCD response",
        lambda: RawDocument(
            content=(CASES / "L39314_v7.coverage-api" / "input.json").read_bytes(), source="lcd"
        ),
        NotAnLcd,
        "an LCD, not an article",
    ),
    (
        "an LCD bundle",
        lambda: _raw_of({**fx.bundle(), "document": "lcd"}),
        NotAnLcd,
        "not of an article",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_bad_input_raises_a_named_error(
    make: Callable[[], RawDocument], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        article.extract(make())


def test_code_groups_from_bundle_raises_the_same_errors() -> None:
    with pytest.raises(NotAnLcd, match="not of an article"):
        article.code_groups_from_bundle({**fx.bundle(), "document": "lcd"})
    with pytest.raises(ExtractError, match="'icd10-covered'"):
        article.code_groups_from_bundle(_bundle_with(**{"icd10-covered": "{"}))
    with pytest.raises(NotAnLcd, match="not a Coverage API bundle"):
        article.code_groups_from_bundle({"data": []})
