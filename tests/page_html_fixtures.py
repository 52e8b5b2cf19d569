"""Builders of RECONSTRUCTED MCD page HTML: the LCD pages of L39314 v7 and DL39314 v19, and the
licence dialog, access-denied and article pages the `mcd-page-html` extractor must refuse.

**Nothing here is a captured CMS page; no raw page HTML exists in the corpus.** These pages
stand in until a real page is captured (MCD-FORMATS.md §9), then the case inputs get replaced.

* Text: real. Headings in page order, Document Information labels and values, the copyright
  paragraphs, "Please accept the License to see the codes.", every N/A and the Public Versions
  row are those of the page texts `text/L39314.txt` and `reconstructed/text/DL39314.txt`.
* Narrative markup: the reconstructed Coverage API records' HTML (`indication`,
  `summary_of_evidence`, … of `reconstructed/api/lcd_39314_ver_7.json` and
  `lcd_39313_ver_19.json`, unescaped once), on the assumption that the page embeds the markup
  the API serves.
* Skeleton: the WebForms traits of MCD-FORMATS.md §4.3 (`form#form1`, `__VIEWSTATE`,
  `__doPostBack`, `button#btnAcceptLicense`, `span#lblPageTitle`, `span#lblCoverageIndication`,
  `div#divHcpcsCodesGroup1Fields`, `table#gdvHcpcsCodes1`). Every other id, class, heading level
  and layout is invented, which is why the extractor reads none of them.

`python -m tests.page_html_fixtures` rewrites the case inputs; `tests/test_page_html.py` checks
that they are what these builders give.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from lcdtrack.extractors.grammar import SECTIONS
from tests.conftest import CASES, CORPUS

MCD = "https://www.cms.gov/medicare-coverage-database/"
TITLE = "Off-Label Use of Intravenous Immune Globulin (IVIG)"
MARK = """<!-- RECONSTRUCTED FIXTURE, not a captured CMS page. Built by tests/page_html_fixtures.py
     from {text} (text) and reconstructed/api/{api} (narrative markup).
     Only the WebForms traits and the ids lblPageTitle, lblCoverageIndication, btnAcceptLicense,
     divHcpcsCodesGroup1Fields and gdvHcpcsCodes1 are reported for the real page; the rest of the
     skeleton is invented. Replace with a real capture when one exists. -->"""
FIELDS = dict(SECTIONS)
VIEWSTATE = "/wEPRECONSTRUCTED+not+a+real+view+state=="


@dataclass(frozen=True)
class PageSpec:
    """What differs between the two LCD pages, as their page texts show it."""

    case: str
    query: str
    api: str
    text: str
    public_id: str
    page_type: str
    info_heading: str
    labels: tuple[tuple[str, str], ...]
    note_headings: bool
    copyright_heading: bool
    public_versions: tuple[tuple[str, str, str], ...]

    @property
    def url(self) -> str:
        return f"{MCD}view/lcd.aspx?{self.query}"

    def record(self) -> dict[str, str]:
        data = json.loads((CORPUS / "reconstructed" / "api" / self.api).read_text("utf-8"))
        return dict(data["data"][0])

    def copyright_paragraphs(self) -> list[str]:
        lines = (CORPUS / self.text).read_text("utf-8").splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("CPT codes"))
        end = lines.index("Issue", start)
        return [line for line in lines[start:end] if line.strip()]


FINAL = PageSpec(
    case="L39314_v7.mcd-page-html",
    query="lcdid=39314&ver=7",
    api="lcd_39314_ver_7.json",
    text="text/L39314.txt",
    public_id="L39314",
    page_type="Local Coverage Determination (LCD)",
    info_heading="LCD Information",
    labels=(
        ("Source LCD ID", "N/A"),
        ("LCD ID", "L39314"),
        ("Original ICD-9 LCD ID", "Not Applicable"),
        ("LCD Title", TITLE),
        ("Proposed LCD in Comment Period", "N/A"),
        ("Source Proposed LCD", "DL39314"),
        ("Original Effective Date", "For services performed on or after 11/01/2022"),
        ("Revision Effective Date", "N/A"),
        ("Revision Ending Date", "N/A"),
        ("Retirement Date", "N/A"),
        ("Notice Period Start Date", "09/15/2022"),
        ("Notice Period End Date", "10/31/2022"),
    ),
    note_headings=True,
    copyright_heading=False,
    public_versions=(("09/07/2022", "11/01/2022 - N/A", "Currently in Effect"),),
)
PROPOSED = PageSpec(
    case="DL39314_v19.mcd-page-html",
    query="lcdid=39313&ver=19",
    api="lcd_39313_ver_19.json",
    text="reconstructed/text/DL39314.txt",
    public_id="DL39314",
    page_type="Proposed Local Coverage Determination (LCD)",
    info_heading="Proposed LCD Information",
    labels=(
        ("Source LCD ID", "L39314"),
        ("Proposed LCD ID", "DL39314"),
        ("Proposed LCD Title", TITLE),
    ),
    note_headings=False,
    copyright_heading=True,
    public_versions=(),
)
SPECS = (FINAL, PROPOSED)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def lcd_page(spec: PageSpec) -> str:
    """The whole page of one LCD, in the order of its page text."""
    record = spec.record()
    body = "\n".join(
        [
            _header(spec),
            _lcd_information(spec, record),
            _coding_information(),
            _panel("General Information", _general_information(record)),
            _panel("Revision History Information", _grid(REVISION_COLUMNS, [])),
            _panel("Associated Documents", _associated_documents()),
            _public_versions(spec),
            _panel("Keywords", _narrative(record, "Keywords") or "<p>N/A</p>"),
            '<div class="page-footer"><a id="lnkDisclaimer" href="javascript:__doPostBack('
            "'lnkDisclaimer','')\">Read the LCD Disclaimer</a></div>",
        ]
    )
    mark = MARK.format(text=spec.text, api=spec.api)
    return _webforms(mark, f"LCD - {TITLE} ({spec.public_id})", f"lcd.aspx?{spec.query}", body)


def _webforms(mark: str, title: str, page: str, main: str) -> str:
    """The WebForms frame: `form#form1` posting back to the page itself (its action echoes the
    path and query), hidden `__VIEWSTATE`, the `__doPostBack` script."""
    action = _e("./" + page).replace('"', "&quot;")
    return f"""<!DOCTYPE html>
{mark}
<html lang="en">
<head>
<meta charset="utf-8" />
<title>{_e(title)}</title>
<link rel="stylesheet" href="/medicare-coverage-database/Content/mcd.css" />
<style>.collapsed {{ display: none; }} .modal {{ display: none; }}</style>
</head>
<body>
<form method="post" action="{action}" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{VIEWSTATE}" />
</div>
<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['form1'];
if (!theForm) {{ theForm = document.form1; }}
function __doPostBack(eventTarget, eventArgument) {{
    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {{
        theForm.__EVENTTARGET.value = eventTarget;
        theForm.__EVENTARGUMENT.value = eventArgument;
        theForm.submit();
    }}
}}
//]]>
</script>
{main}
</form>
<script type="text/javascript">$(function () {{ initCollapsiblePanels(); }});</script>
</body>
</html>
"""


def _licence_dialog(shown: bool) -> str:
    hidden = "" if shown else ' aria-hidden="true"'
    return f"""<div id="licenseModal" class="modal" role="dialog"{hidden}>
<div class="modal-content">
<h1 class="modal-title">License Agreement</h1>
<p>CPT codes, descriptions and other data only are copyright American Medical Association.
Accept the license to view the codes.</p>
<button type="button" id="btnAcceptLicense" class="btn btn-primary">Accept</button>
<button type="button" id="btnDeclineLicense" class="btn">Do Not Accept</button>
</div>
</div>"""


def _header(spec: PageSpec) -> str:
    notes = (
        '<div class="panel"><h2>Document Note</h2><div class="panel-body collapsed"></div>'
        "<h3>Note History</h3></div>"
        if spec.note_headings
        else ""
    )
    return f"""{_licence_dialog(shown=False)}
<div class="page-header">
<div class="doc-type">{spec.page_type}</div>
<h1><span id="lblPageTitle">{_e(TITLE)}</span></h1>
<div class="doc-id">{spec.public_id}</div>
<div class="expand-collapse"><a href="#" id="lnkExpandAll">Expand All</a> | <a href="#"
id="lnkCollapseAll">Collapse All</a></div>
</div>
<div class="alert alert-info"><strong>Proposed LCD</strong><br />
Proposed LCDs are works in progress that are available on the Medicare Coverage Database site for
public review. Proposed LCDs are not necessarily a reflection of the current policies or practices
of the contractor.</div>
{notes}
{_panel("Contractor Information", "")}"""


def _panel(heading: str, content: str, level: int = 2) -> str:
    return (
        f'<div class="panel">\n<h{level} class="panel-title">{_e(heading)}</h{level}>\n'
        f'<div class="panel-body">\n{content}\n</div>\n</div>'
    )


def _heading(text: str, level: int = 3) -> str:
    return f"<h{level}>{_e(text)}</h{level}>"


def _narrative(record: dict[str, str], section: str) -> str:
    """A section's HTML as the API stores it, unescaped once, in an ASP.NET label."""
    value = record.get(FIELDS[section]) or ""
    if not value.strip():
        return ""
    label = "lblCoverageIndication" if FIELDS[section] == "indication" else f"lbl_{FIELDS[section]}"
    return f'<div class="narrative"><span id="{label}">{html.unescape(value)}</span></div>'


def _section(record: dict[str, str], name: str, level: int = 4) -> str:
    return f"{_heading(name, level)}\n{_narrative(record, name)}"


def _lcd_information(spec: PageSpec, record: dict[str, str]) -> str:
    rows = "\n".join(
        f'<div class="row"><div class="col-label"><strong>{_e(label)}</strong></div>'
        f'<div class="col-value">{_e(value)}</div></div>'
        for label, value in spec.labels
    )
    copyright_heading = (
        _heading("AMA CPT / ADA CDT / AHA NUBC Copyright Statement")
        if spec.copyright_heading
        else ""
    )
    paragraphs = "\n".join(f"<p>{_e(p)}</p>" for p in spec.copyright_paragraphs())
    explanation = "Issue - Explanation of Change Between Proposed LCD and Final LCD"
    parts = [
        _heading("Document Information"),
        f'<div class="document-information">\n{rows}\n</div>',
        copyright_heading,
        f'<div class="copyright">\n{paragraphs}\n</div>',
        _heading("Issue"),
        _section(record, "Issue Description"),
        _section(record, explanation) if record.get("issue_change") else "",
        _section(record, "CMS National Coverage Policy", level=3),
        _heading("Coverage Guidance"),
        _section(record, "Coverage Indications, Limitations, and/or Medical Necessity"),
        _section(record, "Summary of Evidence"),
        _section(record, "Analysis of Evidence (Rationale for Determination)"),
        _heading("Proposed Process Information"),
        PROPOSED_PROCESS,
    ]
    return _panel(spec.info_heading, "\n".join(p for p in parts if p))


def _grid(columns: tuple[str, ...], rows: list[tuple[str, ...]], grid_id: str = "") -> str:
    """An ASP.NET GridView: a header row, then the rows or one N/A row spanning the columns."""
    ident = f' id="{grid_id}"' if grid_id else ""
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows] or [
        f'<tr><td colspan="{len(columns)}">N/A</td></tr>'
    ]
    return f'<table class="grid"{ident}>\n<tr>{head}</tr>\n' + "\n".join(body) + "\n</table>"


REVISION_COLUMNS = (
    "Revision History Date",
    "Revision History Number",
    "Revision History Explanation",
    "Reasons for Change",
)
MEETINGS = _grid(("Meeting Date", "Meeting States", "Meeting Information"), [])
PROPOSED_PROCESS = "\n".join(
    [
        _heading("Synopsis of Changes", 4),
        _grid(("Changes", "Fields Changed"), []),
        _heading("Associated Information", 4),
        _heading("Sources of Information", 4),
        _heading("Bibliography", 4),
        _heading("Open Meetings", 4),
        MEETINGS,
        _heading("Contractor Advisory Committee (CAC) Meetings", 4),
        MEETINGS,
        _heading("MAC Meeting Information URLs", 4),
        "<p>N/A</p>",
        _heading("Proposed LCD Posting Date", 4),
        _heading("Comment Period Start Date", 4),
        _heading("Comment Period End Date", 4),
        _heading("Reason for Proposed LCD", 4),
        _heading("Requestor Information", 4),
        "<p>This request was MAC initiated.</p>",
        '<table class="grid">\n<tr><th scope="col">Requestor Name</th>'
        '<th scope="col">Requestor Letter</th></tr>\n<tr class="collapsed"><td></td>'
        '<td><a href="#">View Letter</a></td></tr>\n<tr><td colspan="2">N/A</td></tr>\n</table>',
        _heading("Contact for Comments on Proposed LCD", 4),
    ]
)
LICENCE_PLACEHOLDER = "Please accept the License to see the codes."


def _coding_information() -> str:
    codes = _grid(("Code", "Description"), [(LICENCE_PLACEHOLDER,)])
    group = (
        '<div class="code-group"><p><strong>Group 1</strong></p><p>Group 1 Paragraph:</p>'
        "<p>N/A</p><p>Group 1 Codes:</p><p>N/A</p></div>\n<p>N/A</p>"
    )
    parts = [
        _heading("Bill Type Codes"),
        codes,
        "<p>N/A</p>",
        _heading("Revenue Codes"),
        codes,
        "<p>N/A</p>",
        _heading("CPT/HCPCS Codes"),
        '<div id="divHcpcsCodesGroup1Fields">\n<table id="gdvHcpcsCodes1" class="grid">'
        f"<tr><td>{LICENCE_PLACEHOLDER}</td></tr></table>\n<p>N/A</p>\n</div>",
        _heading("ICD-10-CM Codes that Support Medical Necessity"),
        group,
        _heading("ICD-10-CM Codes that DO NOT Support Medical Necessity"),
        group,
        _heading("Additional ICD-10 Information"),
    ]
    return _panel("Coding Information", "\n".join(parts))


def _general_information(record: dict[str, str]) -> str:
    return "\n".join(
        [
            _heading("Associated Information"),
            _narrative(record, "Associated Information") or "<p>N/A</p>",
            _section(record, "Sources of Information", level=3),
            _section(record, "Bibliography", level=3),
        ]
    )


def _associated_documents() -> str:
    return "\n".join(
        [
            _heading("Attachments"),
            "<p>N/A</p>",
            _heading("Related National Coverage Documents"),
            "<p>N/A</p>",
        ]
    )


def _public_versions(spec: PageSpec) -> str:
    if not spec.public_versions:
        return ""
    rows = [
        (_e(updated), _e(dates), f'{_e(status)} <span class="you-are-here">You are here</span>')
        for updated, dates, status in spec.public_versions
    ]
    grid = _grid(("Updated On", "Effective Dates", "Status"), rows, "gdvPublicVersions")
    return _panel("Public Versions", grid)


def licence_page(query: str = "lcdid=39314&ver=7") -> str:
    """The licence dialog alone, as a client that never accepted it would save the page."""
    mark = "<!-- RECONSTRUCTED: the MCD licence dialog; its real markup was not seen. -->"
    dialog = _licence_dialog(shown=True)
    title = "Medicare Coverage Database - License Agreement"
    return _webforms(mark, title, f"lcd.aspx?{query}", dialog)


def access_denied_page(query: str = "lcdid=39314&ver=7") -> str:
    """A CDN access-denied page for the LCD URL (RECONSTRUCTED: the MCD's real 403 body was not
    seen; this is the common shape of such pages, with the URL entity-encoded)."""
    url = "".join(c if c.isalnum() else f"&#{ord(c)};" for c in f"{MCD}view/lcd.aspx?{query}")
    return f"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "{url}" on this server.<P>
Reference&#32;&#35;18&#46;2f3e4d5c&#46;1718000000&#46;6a7b8c9d
</BODY>
</HTML>
"""


def article_page() -> str:
    """An MCD article page (RECONSTRUCTED, invented markup): an MCD page naming its LCD under
    "Local Coverage Determination (LCD)", but not an LCD page."""
    main = """<div class="page-header"><div class="doc-type">Local Coverage Article</div>
<h1><span id="lblPageTitle">Billing and Coding: Off-Label Use of Intravenous Immune Globulin
(IVIG)</span></h1><div class="doc-id">A59105</div></div>
<h3>Document Information</h3><p>Article ID</p><p>A59105</p>
<h3>Related Local Coverage Documents</h3>
<table class="grid"><tr><th>Local Coverage Determination (LCD)</th></tr>
<tr><td><a href="#">L39314 - Off-Label Use of Intravenous Immune Globulin (IVIG)</a></td></tr>
</table>
<div><a href="#">Read the Article Disclaimer</a></div>"""
    mark = "<!-- RECONSTRUCTED: an MCD article page; its real markup was not seen. -->"
    title = "Article - Billing and Coding (A59105)"
    return _webforms(mark, title, "article.aspx?articleid=59105&ver=26", main)


def write_cases() -> None:
    for spec in SPECS:
        folder = CASES / spec.case
        folder.mkdir(exist_ok=True)
        (folder / "input.html").write_text(lcd_page(spec), encoding="utf-8")
        (folder / "source.txt").write_text(spec.url + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_cases()
