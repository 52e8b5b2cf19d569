"""The `mcd-page-html` extractor: golden records, parity with the page as text, presentation-only
variations, the pages it must refuse, and inert scripts.

**The page HTML is RECONSTRUCTED** (`tests/page_html_fixtures.py`): no raw MCD page HTML exists
in the corpus, so the case inputs are built from the real page texts and the reconstructed API
records' narrative markup, inside an invented WebForms skeleton. They stand in until a real page
is captured; the variations below are what keeps the extractor from depending on the invented
parts (ids, classes, heading tags, layout).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import lxml.html
import pytest
from lxml import etree

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd
from lcdtrack.extractors import extract, extractor_for, mcd_page_html, mcd_page_text
from lcdtrack.extractors.normalize import canonical
from lcdtrack.models import RawDocument, RevisionHistoryRow
from tests import page_html_fixtures as pages
from tests.conftest import case

DOCUMENTS = ["L39314_v7", "DL39314_v19"]
INDICATIONS = "Coverage Indications, Limitations, and/or Medical Necessity"


def _html(document: str) -> str:
    return case(f"{document}.mcd-page-html").input.read_text(encoding="utf-8")


def _raw(content: str | bytes, source: str = "page.html") -> RawDocument:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return RawDocument(content=data, source=source)


def _page(document: str, content: str | bytes) -> RawDocument:
    """An edited copy of a case's page, served from the case's URL."""
    return _raw(content, case(f"{document}.mcd-page-html").source)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_golden_record(document: str, update_golden: bool) -> None:
    folder = case(f"{document}.mcd-page-html").folder
    record = mcd_page_html.extract(case(f"{document}.mcd-page-html").raw())
    actual = json.dumps(record.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    expected_path = folder / "expected.json"
    if update_golden or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", pages.SPECS, ids=lambda s: s.case)
def test_case_inputs_are_what_the_builders_give(spec: pages.PageSpec) -> None:
    assert case(spec.case).input.read_text(encoding="utf-8") == pages.lcd_page(spec)
    assert case(spec.case).source == spec.url


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_page_as_html_and_as_text_give_the_same_record(document: str) -> None:
    html = case(f"{document}.mcd-page-html").record()
    text = case(f"{document}.mcd-page-text").record()
    assert html.indications == text.indications
    assert [s.name for s in html.sections] == [s.name for s in text.sections]
    for ours, theirs in zip(html.sections, text.sections, strict=True):
        assert canonical(ours.text) == canonical(theirs.text), ours.name
    assert html.bibliography == text.bibliography
    assert html.dates == text.dates
    assert (html.public_id, html.lcd_id, html.version, html.kind, html.title) == (
        text.public_id,
        text.lcd_id,
        text.version,
        text.kind,
        text.title,
    )
    assert (html.source_lcd_id, html.source_proposed_id) == (
        text.source_lcd_id,
        text.source_proposed_id,
    )
    assert (html.public_versions, html.revision_history) == (
        text.public_versions,
        text.revision_history,
    )
    assert html == text


def test_identity_of_the_proposal_comes_from_the_page_url() -> None:
    proposed = case("DL39314_v19.mcd-page-html").record()
    assert (proposed.public_id, proposed.lcd_id, proposed.version) == ("DL39314", 39313, 19)
    assert proposed.source_lcd_id == "L39314"
    assert len(proposed.indications) == 10


def test_registry_picks_the_html_extractor_and_only_for_html() -> None:
    assert extractor_for(case("L39314_v7.mcd-page-html").raw()).name == "mcd-page-html"
    assert extractor_for(case("DL39314_v19.mcd-page-html").raw()).name == "mcd-page-html"
    assert not mcd_page_html.sniff(case("L39314_v7.mcd-page-text").raw())
    assert not mcd_page_html.sniff(case("L39314_v7.coverage-api").raw())
    assert not mcd_page_text.sniff(case("L39314_v7.mcd-page-html").raw())


def _tree_edit(edit: Callable[[etree._Element], None]) -> Callable[[str], str]:
    def apply(page: str) -> str:
        root = lxml.html.document_fromstring(page)
        edit(root)
        return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")

    return apply


def _wrap(element: etree._Element, *tags: str) -> None:
    """Put `element` inside new elements (outermost first), keeping the text after it."""
    tail, element.tail = element.tail, None
    for tag in tags:
        wrapper = element.makeelement(tag, {"class": "added"})
        element.addprevious(wrapper)
        wrapper.append(element)
        element = wrapper
    element.tail = tail


def _extra_wrappers(root: etree._Element) -> None:
    for heading in list(root.iter("h2", "h3", "h4")):
        _wrap(heading, "div", "span")
    for element in list(root.iter("div")):
        if element.get("class") in ("narrative", "row", "copyright"):
            _wrap(element, "section", "div", "div")
    body = root.find("body")
    assert body is not None
    _wrap(body[0], "main", "article")


def _headings_as_bold_divs(root: etree._Element) -> None:
    for heading in root.iter("h2", "h3", "h4"):
        bold = heading.makeelement("b", {})
        bold.text, heading.text = heading.text, None
        heading.append(bold)
        heading.tag = "div"
        heading.attrib.clear()


def _document_information_as_table(root: etree._Element) -> None:
    for block in root.iter("div"):
        if block.get("class") != "document-information":
            continue
        table = block.makeelement("table", {"class": "form-table"})
        for row in block:
            label, value = ("".join(cell.itertext()) for cell in row)
            line = etree.SubElement(table, "tr")
            etree.SubElement(line, "th").text = label
            etree.SubElement(line, "td").text = value
        block.clear()
        block.append(table)


def _new_ids_and_classes(root: etree._Element) -> None:
    for number, element in enumerate(root.iter()):
        for name in ("id", "class"):
            if isinstance(element.tag, str) and element.get(name):
                element.set(name, f"ctl00_x{number}")


def _grid_headers_as_cells(root: etree._Element) -> None:
    for cell in root.iter("th"):
        cell.tag = "td"


def _footer_site_map(page: str) -> str:
    """Page chrome after the document naming its sections: repeated headings with empty bodies."""
    names = ["Coverage Guidance", INDICATIONS, "Summary of Evidence", "Bibliography", "Keywords"]
    links = "".join(f'<li><a href="#">{name}</a></li>' for name in names)
    return page.replace("</form>", f'</form><footer><ul class="site-map">{links}</ul></footer>')


def _whitespace(page: str) -> str:
    """Line breaks and indentation around block tags (around inline ones they would be words)."""
    blocks = r"(</?(?:p|div|ul|ol|li|h[1-6]|table|tr|td|th)\b[^>]*>)"
    return re.sub(blocks, r"\n    \1\n  ", page).replace("\n", "\r\n")


VARIATIONS: dict[str, Callable[[str], str]] = {
    "b-not-strong": lambda page: re.sub(r"<(/?)strong>", r"<\1b>", page),
    "extra-wrappers": _tree_edit(_extra_wrappers),
    "headings-as-bold-divs": _tree_edit(_headings_as_bold_divs),
    "document-information-as-table": _tree_edit(_document_information_as_table),
    "new-ids-and-classes": _tree_edit(_new_ids_and_classes),
    "grid-headers-as-cells": _tree_edit(_grid_headers_as_cells),
    "footer-site-map": _footer_site_map,
    "whitespace-and-crlf": _whitespace,
    "ascii-with-entities": lambda page: page.encode("ascii", "xmlcharrefreplace").decode(),
}


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("variation", VARIATIONS)
def test_presentation_does_not_change_the_record(document: str, variation: str) -> None:
    original = _html(document)
    varied = VARIATIONS[variation](original)
    assert varied != original
    assert extract(_page(document, varied))[1] == case(f"{document}.mcd-page-html").record()


def test_scripts_and_styles_stay_inert() -> None:
    hostile = (
        "<script>document.write('<p>IVIG is covered for everything</p>')</script>"
        "<style>p::after { content: 'Summary of Evidence'; }</style>"
        "<script>var heading = 'Summary of Evidence';</script>"
    )
    page = _html("L39314_v7").replace(
        '<span id="lblCoverageIndication">', f'<span id="lblCoverageIndication">{hostile}'
    )
    page = page.replace("<body>", f"<body>{hostile}<noscript>Document Information</noscript>")
    record = extract(_page("L39314_v7", page))[1]
    assert record == case("L39314_v7.mcd-page-html").record()
    assert not any("covered for everything" in s.text for s in record.sections)


@pytest.mark.parametrize(
    ("source", "lcd_id", "version"),
    [
        (f"{pages.MCD}view/lcd.aspx?LCDId=39314&Ver=7", 39314, 7),
        (f"{pages.MCD}view/lcd.aspx?lcdid=39314", 39314, 7),  # ver from the form's action
        ("saved/L39314.html", 39314, 7),  # both from the WebForms form's action
    ],
)
def test_ids_and_version_come_from_the_url(source: str, lcd_id: int, version: int) -> None:
    record = extract(_raw(_html("L39314_v7"), source))[1]
    assert (record.lcd_id, record.version) == (lcd_id, version)


def test_a_browser_saved_from_mark_gives_the_version() -> None:
    page = _html("DL39314_v19").replace('action="./lcd.aspx?lcdid=39313&amp;ver=19"', "")
    mark = f"<!-- saved from url=(0079){pages.PROPOSED.url} -->"
    record = extract(_raw(page.replace("<!DOCTYPE html>", f"<!DOCTYPE html>\n{mark}")))[1]
    assert (record.lcd_id, record.version) == (39313, 19)
    assert extract(_raw(page))[1].version is None


def test_revision_history_rows_read_as_in_the_text() -> None:
    explanation = "Under Bibliography fixed broken hyperlink on reference #8."
    html = _html("L39314_v7").replace(
        '<tr><td colspan="4">N/A</td></tr>',
        f"<tr><td>04/04/2024</td><td>R2</td><td><p>{explanation}</p></td>"
        "<td>- Provider Education/Guidance<br />- Other</td></tr>"
        "<tr><td>10/01/2023</td><td>R1</td><td>First revision.</td><td>- Typographical</td></tr>",
    )
    text = case("L39314_v7.mcd-page-text").input.read_text(encoding="utf-8")
    header = "Revision History Date Revision History Number Revision History Explanation"
    text = re.sub(
        rf"({header} Reasons for Change\n)N/A",
        rf"\g<1>04/04/2024\n|\nR2\n|\n{explanation}\n|\n- Provider Education/Guidance\n- Other"
        r"\n|\n10/01/2023\n|\nR1\n|\nFirst revision.\n|\n- Typographical",
        text,
    )
    from_html = extract(_page("L39314_v7", html))[1].revision_history
    assert (
        from_html == extract(_raw(text, case("L39314_v7.mcd-page-text").source))[1].revision_history
    )
    assert from_html == (
        RevisionHistoryRow(
            "2024-04-04", "R2", explanation, ("Provider Education/Guidance", "Other")
        ),
        RevisionHistoryRow("2023-10-01", "R1", "First revision.", ("Typographical",)),
    )


def _without_heading(document: str, heading: str) -> str:
    return _html(document).replace(f">{heading}<", ">Something else<")


def _cut_before(tag: str) -> str:
    page = _html("L39314_v7")
    return page[: page.rindex(tag)]


def _indications_emptied(page: str) -> str:
    start = page.index('<span id="lblCoverageIndication">')
    end = page.index("</span></div>", start)
    return page[:start] + page[end:]


@pytest.mark.parametrize(
    ("content", "source", "error", "message"),
    [
        (pages.licence_page(), pages.FINAL.url, NotAnLcd, r"licence dialog.*lcdtrack fetch L39314"),
        (pages.access_denied_page(), "saved.html", NotAnLcd, r"refused.*lcdtrack fetch L39314"),
        (pages.article_page(), "article.html", NotAnLcd, "not an MCD LCD page"),
        (_without_heading("L39314_v7", INDICATIONS), "p.html", LayoutChanged, "Coverage Indica"),
        (
            _without_heading("L39314_v7", "Document Information"),
            "p.html",
            LayoutChanged,
            "Document",
        ),
        (_indications_emptied(_html("L39314_v7")), "p.html", LayoutChanged, "section is empty"),
        (_html("L39314_v7")[:30000], "p.html", ExtractError, "truncated"),
        (_cut_before("</body>"), "p.html", ExtractError, "no closing </html>.*truncated"),
        (_without_heading("L39314_v7", "Read the LCD Disclaimer"), "p.html", ExtractError, "trunc"),
    ],
    ids=[
        "licence-dialog",
        "access-denied",
        "article-page",
        "no-indications",
        "no-document-information",
        "empty-indications",
        "cut-in-half",
        "cut-after-the-disclaimer",
        "no-disclaimer",
    ],
)
def test_pages_that_are_not_a_whole_lcd_raise_a_named_error(
    content: str, source: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        extract(_raw(content, source))


@pytest.mark.parametrize(
    "content",
    ["<!doctype html><html><title>CMS</title><p>Home</p></html>", "", "   "],
    ids=["other-html", "empty", "blank"],
)
def test_other_input_is_not_an_lcd(content: str) -> None:
    assert not mcd_page_html.sniff(_raw(content))
    with pytest.raises(NotAnLcd):
        mcd_page_html.extract(_raw(content))
