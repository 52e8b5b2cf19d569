"""Renderers: golden output of every format for hand-built comparisons, the structure each
format promises (HTML inline-styled and script-free, JSONL one object a line, no escapes
without colour), and hostile document text kept inert in every format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from lcdtrack.diff import cms_statements, compare, disagreements
from lcdtrack.extractors import extract
from lcdtrack.models import (
    API_BUNDLE_FORMAT,
    Change,
    CmsStatement,
    Comparison,
    Indication,
    LcdDocument,
    RawDocument,
    Snapshot,
    SnapshotRef,
    TextEdit,
)
from lcdtrack.report import FORMATS, render, render_record, summary_counts, summary_line
from lcdtrack.report.common import one_line
from lcdtrack.report.markdown import md
from tests import api_fixtures
from tests.conftest import CASES, case

GOLDEN = CASES / "reports"
IVIG = "Off-Label Use of Intravenous Immune Globulin (IVIG)"
API = "https://api.coverage.cms.gov/v1/data/lcd/"
IMNM = "Immune-mediated Necrotizing Myositis (IMNM)"
AIR = "Autoimmune retinopathy (AIR)"


def _ref(document_id: str, version: int, kind: str, snapshot: int, **extra: str) -> SnapshotRef:
    lcd_id = "39313" if document_id.startswith("D") else "39314"
    return SnapshotRef(
        label=f"{document_id}@{version}",
        document_id=document_id,
        version=version,
        title=IVIG,
        kind=kind,  # type: ignore[arg-type]
        snapshot_id=snapshot,
        extractor="coverage-api",
        source=f"{API}?lcdid={lcd_id}&ver={version}",
        **extra,
    )


def _section(name: str, *runs: tuple[str, str]) -> Change:
    """A reworded section from its word diff; before and after are read off the edits."""
    edits = tuple(TextEdit(op, text) for op, text in runs)  # type: ignore[arg-type]
    before = "".join(e.text for e in edits if e.op != "+")
    after = "".join(e.text for e in edits if e.op != "-")
    return Change("section_changed", name, None, before, after, edits, severity="low")


def _indication(
    name: str, aspect: str, before: str | None, after: str | None, **extra: str
) -> Change:
    return Change("indication_changed", name, aspect, before, after, **extra)  # type: ignore[arg-type]


def flagship() -> Comparison:
    """Proposed DL39314 v19 → final L39314 v7: IMNM added, the evidence sections reworded."""
    issue = "Issue - Explanation of Change Between Proposed LCD and Final LCD"
    explanation = (
        "Based on comments and literature reviewed, immune modulated necrotizing myositis (IMNM) "
        "has been added as an off-label indication."
    )
    imnm_text = f"{IMNM}\nIVIG plays a critical role in the medication management of this disease."
    return Comparison(
        old=_ref("DL39314", 19, "proposed", 1),
        new=_ref("L39314", 7, "final", 2, effective="2022-11-01"),
        changes=(
            Change("metadata_changed", "status", None, None, "A", severity="low"),
            Change("metadata_changed", "original_effective", None, None, "2022-11-01",
                   severity="medium"),
            Change("indication_added", IMNM, None, None, imnm_text, severity="medium"),
            Change("section_added", issue, None, None, explanation, severity="low"),
            _section(
                "Analysis of Evidence (Rationale for Determination)",
                ("=", "IVIG should be considered only in patients with recurrent bacterial "
                      "infections who have experienced at least one serious infection. "),
                ("+", "Immune-mediated Necrotizing Myositis (MNM) It is clear from the recent "
                      "literature that IVIG plays a critical role in the medication management "
                      "of this disease. "),
                ("=", "Scleroderma/ systemic Sclerosis The paucity of literature does not allow "
                      "a conclusion."),
            ),
            _section(
                "Bibliography",
                ("=", "Prevention of Bacterial Infections. "),
                ("+", "Kocoloski A, et al: Role of intravenous immunoglobulin in necrotizing "
                      "autoimmune myopathy. J Clin Rheumatol. 2022;28(2). "),
                ("=", "Denton CP. Overview of the treatment and prognosis of systemic sclerosis "
                      "(scleroderma) in adults."),
            ),
        ),
        cms_statements=(CmsStatement(issue, explanation),),
    )  # fmt: skip


def revision() -> Comparison:
    """L39314 v7 → v8: a looser dose, a new criterion, a code removed and one moved, while CMS
    calls the revision typographical."""
    return Comparison(
        old=_ref("L39314", 7, "final", 2, effective="2022-11-01"),
        new=_ref("L39314", 8, "final", 3, effective="2024-03-01"),
        changes=(
            Change("metadata_changed", "revision_effective", None, "2022-11-01", "2024-03-01",
                   severity="medium"),
            _indication(AIR, "dose_changed", "0.4 to 1.5 g/kg per month",
                        "0.5 to 1.5 g/kg per month", direction="loosened", severity="medium",
                        context=AIR),
            _indication("Stiff-person syndrome", "criterion_added", None,
                        "Documented failure of, or contraindication to, benzodiazepines and "
                        "baclofen", direction="tightened", severity="high"),
            Change("indication_changed", "Scleromyxedema", "criterion_changed",
                   "Patient has failed at least two systemic therapies",
                   "Patient has failed at least one systemic therapy",
                   (TextEdit("=", "Patient has failed at least "),
                    TextEdit("-", "two systemic therapies"),
                    TextEdit("+", "one systemic therapy")),
                   severity="medium"),
            Change("code_removed", "J1459", None,
                   "Injection, immune globulin (privigen), intravenous, non-lyophilized (e.g., "
                   "liquid), 500 mg", None, severity="high", context="CPT/HCPCS group 1"),
            Change("code_moved", "G72.49", None, "ICD-10-CM group 2 (not covered)",
                   "ICD-10-CM group 1 (covered)", direction="loosened", severity="medium",
                   context="ICD-10-CM"),
            _section(
                "Coverage Indications, Limitations, and/or Medical Necessity",
                ("=", "Stiff-person syndrome IVIG is considered reasonable and necessary when "),
                ("+", "there is documented failure of, or contraindication to, benzodiazepines "
                      "and baclofen, and "),
                ("=", "the diagnosis is confirmed by anti-GAD antibodies."),
            ),
        ),
        cms_statements=(
            CmsStatement("Revision history 8, 2024-03-01", "Typographical corrections; no change "
                         "in coverage. (reasons: Other (Typographical corrections))"),
        ),
        disagreements=(
            "Revision history 8, 2024-03-01 says “no change in coverage”, but 5 coverage "
            "change(s) were detected (Autoimmune retinopathy (AIR), Stiff-person syndrome, "
            "Scleromyxedema)",
        ),
    )  # fmt: skip


def compared(old_case: str, new_case: str) -> Comparison:
    """A comparison of two golden extraction cases, as `lcdtrack diff` would build it."""
    old, new = case(old_case).record(), case(new_case).record()
    changes = compare(old, new)
    statements = cms_statements(old, new)
    return Comparison(
        SnapshotRef.of(old), SnapshotRef.of(new), tuple(changes), statements,
        disagreements(statements, changes),
    )  # fmt: skip


def _lcd_bundle(lcd_envelope: str, article_rows: dict[str, list[dict[str, object]]]) -> bytes:
    bundle = {
        "format": API_BUNDLE_FORMAT,
        "document": "lcd",
        "base_url": api_fixtures.BASE_URL,
        "fetched_at": "2025-08-17T12:00:00+00:00",
        "responses": {"lcd": lcd_envelope},
        "articles": [api_fixtures.bundle(article_rows)],
    }
    return json.dumps(bundle, sort_keys=True).encode()


def real_revision() -> Comparison:
    """L39314 v7 with its (synthetic) article codes against a v8 that CMS calls a typo fix but
    that changes a dose, adds a criterion and drops a code: compare() output, not hand-built."""
    text = case("L39314_v7.coverage-api").input.read_text()
    old_rows = api_fixtures.article_rows()
    new_rows = {
        **old_rows,
        "hcpc-code": [r for r in old_rows["hcpc-code"] if r["hcpc_code_id"] != "J1459"],
    }
    envelope = json.loads(text)
    record = envelope["data"][0]
    record.update(
        lcd_version=8,
        rev_eff_date="09/07/2025",
        synopsis_changes="&lt;p&gt;Typographical errors were corrected.&lt;&sol;p&gt;",
        indication=record["indication"]
        .replace("0.4 to 1.5 g&sol;kg", "0.5 to 1.5 g&sol;kg")
        .replace(
            "Confirmed diagnosis of chronic GVHD&lt;&sol;li&gt;",
            "Confirmed diagnosis of chronic GVHD&lt;&sol;li&gt;\n&lt;li&gt;IgG trough level "
            "documented before each infusion&lt;&sol;li&gt;",
        ),
    )
    old = extract(RawDocument(_lcd_bundle(text, old_rows), "L39314 v7 bundle"))[1]
    new = extract(RawDocument(_lcd_bundle(json.dumps(envelope), new_rows), "L39314 v8 bundle"))[1]
    changes = compare(old, new)
    statements = cms_statements(old, new)
    return Comparison(
        SnapshotRef.of(old), SnapshotRef.of(new), tuple(changes), statements,
        disagreements(statements, changes),
    )  # fmt: skip


# Golden reports: one line per comparison; every format is checked for each.
COMPARISONS: dict[str, Callable[[], Comparison]] = {
    "DL39314_v19-L39314_v7": flagship,
    "L39314_v7-L39314_v8": revision,
    "real.DL39314_v19-L39314_v7": lambda: compared(
        "DL39314_v19.coverage-api", "L39314_v7.coverage-api"
    ),
    "real.L39314_v7-L39314_v8": real_revision,
}
GOLDEN_FORMATS = {
    "txt": lambda c: render(c, "text"),
    "terminal-ansi.txt": lambda c: render(c, "terminal", color=True, width=100),
    "md": lambda c: render(c, "markdown"),
    "html": lambda c: render(c, "html"),
    "json": lambda c: render(c, "json"),
    "jsonl": lambda c: render(c, "jsonl"),
}


@pytest.mark.parametrize("extension", GOLDEN_FORMATS)
@pytest.mark.parametrize("name", COMPARISONS)
def test_golden_report(name: str, extension: str, update_golden: bool) -> None:
    actual = GOLDEN_FORMATS[extension](COMPARISONS[name]())
    expected_path = GOLDEN / f"{name}.{extension}"
    if update_golden or not expected_path.exists():
        expected_path.parent.mkdir(exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")


# -- what the formats promise -------------------------------------------------------------


def test_flagship_keeps_the_phrasing_the_cli_tests_rely_on() -> None:
    text = render(flagship(), "text")
    assert "  + indication added: Immune-mediated Necrotizing Myositis (IMNM)\n" in text
    assert "1 indication added, 0 removed, 0 changed" in text.splitlines()[1]
    assert render(flagship(), "markdown").startswith("## DL39314@19 → L39314@7")
    assert f"- **Added:** {IMNM}" in render(flagship(), "markdown")


def test_revision_text_shows_severity_direction_and_context() -> None:
    text = render(revision(), "text")
    lines = text.splitlines()
    assert (
        f"  ~ {AIR}: dose changed: 0.4 to 1.5 g/kg per month → 0.5 to 1.5 g/kg per month  "
        "[loosened]" in lines
    )
    assert (
        "  ~ Stiff-person syndrome: criterion added: Documented failure of, or contraindication "
        "to, benzodiazepines and baclofen  [high, tightened]" in lines
    )
    assert "  - code removed: J1459 (CPT/HCPCS group 1): Injection, immune globulin" in text
    assert (
        "      Patient has failed at least [-two systemic therapies-] {+one systemic therapy+}"
        in lines
    )
    assert [line for line in lines[2:] if not line.startswith(" ")] == [
        "",
        "Indications",
        "",
        "Codes",
        "",
        "Dates and status",
        "",
        "Sections",
        "",
        "What CMS says",
        "",
        "Check this: CMS's account and the detected changes disagree",
    ]
    assert lines[-1].startswith("  ! Revision history 8, 2024-03-01 says “no change in coverage”")


KIND_LINES = [
    (Change("indication_removed", "Scleromyxedema", None, "Scleromyxedema\nIVIG is", None,
            severity="high"), "- indication removed: Scleromyxedema  [high]"),
    (Change("indication_renamed", "Stiff-person syndrome", None, "Stiff-man syndrome",
            "Stiff-person syndrome"),
     "~ indication renamed: Stiff-man syndrome → Stiff-person syndrome"),
    (Change("indication_changed", "Scleromyxedema", "stance_changed", "covered", "not covered",
            severity="high"),
     "~ Scleromyxedema: coverage stance changed: covered → not covered  [high]"),
    (Change("indication_changed", AIR, "criterion_removed", "Visual loss documented", None,
            direction="loosened"),
     f"~ {AIR}: criterion removed: Visual loss documented  [loosened]"),
    (Change("code_added", "J1555", None, None, "Injection, immune globulin (cuvitru), 100 mg",
            context="CPT/HCPCS group 1"),
     "+ code added: J1555 (CPT/HCPCS group 1): Injection, immune globulin (cuvitru), 100 mg"),
    (Change("code_changed", "J1459", None, "Injection, privigen, 500 mg",
            "Injection, immune globulin (privigen), 500 mg", context="CPT/HCPCS group 1"),
     "~ code descriptor changed: J1459 (CPT/HCPCS group 1): Injection, privigen, 500 mg → "
     "Injection, immune globulin (privigen), 500 mg"),
    (Change("code_group_changed", "ICD-10-CM group 1 (covered)", "paragraph", "a", "b",
            (TextEdit("-", "a"), TextEdit("+", "b"))),
     "~ ICD-10-CM group 1 (covered): paragraph reworded"),
    (Change("section_removed", "Bibliography", None, "Castiblanco C.", None),
     "- section removed: Bibliography"),
    (Change("metadata_changed", "retirement", None, None, "2024-01-01", severity="high"),
     "~ retirement date: (none) → 2024-01-01  [high]"),
    (Change("policy_moved", "L39314", None, "A", "B"), "~ policy moved: L39314: A → B"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "line"), KIND_LINES, ids=[c.kind for c, _ in KIND_LINES])
def test_every_kind_reads_as_one_line(change: Change, line: str) -> None:
    comparison = replace(flagship(), changes=(change,), cms_statements=())
    assert f"  {line}" in render(comparison, "text").splitlines()
    assert change.subject in render(comparison, "markdown")


def test_summary_counts_renames_codes_and_high_severity() -> None:
    changes = [
        *revision().changes,
        Change(
            "indication_renamed",
            "Stiff-person syndrome",
            None,
            "Stiff-man syndrome",
            "Stiff-person syndrome",
            severity="low",
        ),
    ]
    assert summary_line(changes) == (
        "0 indications added, 0 removed, 3 changed, 1 renamed; 1 code removed, 1 moved; "
        "1 section reworded; 1 date/status field changed; 2 high-severity."
    )
    counts = summary_counts(changes)
    assert (counts["codes_removed"], counts["codes_moved"], counts["high_severity"]) == (1, 1, 2)
    assert summary_line([]) == "No changes."


def test_every_format_has_a_header_naming_both_sides() -> None:
    for fmt in FORMATS:
        output = render(revision(), fmt)
        assert "L39314@7" in output and "L39314@8" in output, fmt
        assert IVIG in output, fmt


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render(flagship(), "pdf")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(
    "build", [flagship, revision, lambda: hostile()], ids=["flagship", "revision", "hostile"]
)
def test_html_is_inline_styled_and_script_free(build: Callable[[], Comparison]) -> None:
    html = render(build(), "html")
    tags = _tags(html)
    assert "<script" not in html.lower() and "<style" not in html.lower()
    assert not [(t, a) for t, a in tags if t in ("script", "style", "link", "iframe", "img")]
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    marks = [attrs for tag, attrs in tags if tag in ("ins", "del")]
    assert marks and all("background-color" in (a.get("style") or "") for a in marks)
    hrefs = [attrs.get("href") or "" for tag, attrs in tags if tag == "a"]
    assert all(href.startswith(("http://", "https://")) for href in hrefs)


def test_terminal_without_colour_has_no_escapes_and_with_colour_has_style() -> None:
    plain = render(revision(), "terminal", color=False, width=80)
    assert "\x1b" not in plain
    assert "Check this" in plain and "━" in plain  # the disagreement panel
    assert all(len(line) <= 80 for line in plain.splitlines())
    assert "[-two systemic therapies-]" in plain  # marked as in text when there is no colour
    coloured = render(revision(), "terminal", color=True, width=80)
    assert "\x1b[9;31mtwo systemic therapies\x1b[0m" in coloured  # red strikethrough
    assert "\x1b[32mone systemic therapy\x1b[0m" in coloured
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert "\x1b" not in stripped and all(len(line) <= 80 for line in stripped.splitlines())


def test_jsonl_lines_each_parse_in_order() -> None:
    lines = render(revision(), "jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["type"] for r in records] == [
        "comparison", *["change"] * 7, "cms_statement", "disagreement",
    ]  # fmt: skip
    assert records[0]["old"]["label"] == "L39314@7" and records[0]["summary"]["codes_moved"] == 1
    assert records[1] == {"type": "change", **revision().changes[0].to_dict()}


def test_json_carries_the_new_fields_and_cms_account() -> None:
    data = json.loads(render(revision(), "json"))
    assert set(data) == {"old", "new", "summary", "changes", "cms_statements", "disagreements"}
    dose = data["changes"][1]
    assert (dose["direction"], dose["severity"], dose["context"]) == ("loosened", "medium", AIR)
    assert data["cms_statements"][0]["source"] == "Revision history 8, 2024-03-01"
    assert data["disagreements"] == list(revision().disagreements)


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_flagship_renders_in_every_format(fmt: str) -> None:
    comparison = compared("DL39314_v19.coverage-api", "L39314_v7.coverage-api")
    output = render(comparison, fmt)
    assert "DL39314@19" in output and "L39314@7" in output
    assert "Immune-mediated Necrotizing Myositis" in output


# -- hostile content ----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
JS_URL = "javascript:alert(1)"
ANSI = "\x1b[31mRED\x1b[0m"
BIDI = "\u202eevil"
MD_LINK = "[link](javascript:x)"
EXTRA = "\x1b[5;31mBLINK\x1b]0;title\x07\x9b2J[bold red]markup[/]\r\n  + forged line"
HOSTILE = f"{SCRIPT} {JS_URL} {ANSI} {BIDI} {MD_LINK} {EXTRA}"


def hostile() -> Comparison:
    """A document whose every string tries to run, link, style or reorder something."""
    ref = SnapshotRef(HOSTILE, "L1", 1, HOSTILE, "final", source=JS_URL)
    edits = (TextEdit("=", HOSTILE), TextEdit("-", HOSTILE), TextEdit("+", HOSTILE))
    return Comparison(
        old=ref,
        new=SnapshotRef("L1@2", "L1", 2, HOSTILE, "final", source=f"https://x.test/{HOSTILE}"),
        changes=(
            Change(
                "indication_added",
                HOSTILE,
                None,
                None,
                HOSTILE,
                severity="high",
                direction=HOSTILE,
                context=HOSTILE,
            ),
            Change("indication_changed", HOSTILE, HOSTILE, HOSTILE, HOSTILE, edits),
            Change("code_removed", HOSTILE, None, HOSTILE, None, context=HOSTILE),
            Change("metadata_changed", HOSTILE, None, HOSTILE, HOSTILE),
            Change("section_changed", HOSTILE, None, HOSTILE, HOSTILE, edits * 40),
            Change(HOSTILE, HOSTILE, None, HOSTILE, HOSTILE),
        ),
        cms_statements=(CmsStatement(HOSTILE, HOSTILE + "\n" + HOSTILE),),
        disagreements=(HOSTILE, "# not a heading"),
    )


def _assert_terminal_safe(output: str, wrapped: bool = False) -> None:
    assert "\x1b" not in output and "\x9b" not in output and "\r" not in output
    assert "[31m" not in output and "]0;title" not in output
    for char in "\u202e\u202a\u2066\u2069\u200e\u200f\x07":
        assert char not in output
    if not wrapped:  # a line break in the data never starts a line of output
        forged = [line for line in output.splitlines() if line.lstrip(" >-").startswith("+ forged")]
        assert not forged


@pytest.mark.parametrize("fmt", ["text", "terminal", "markdown"])
def test_text_formats_strip_escapes_controls_and_bidi(fmt: str) -> None:
    output = render(hostile(), fmt)
    _assert_terminal_safe(output, wrapped=fmt == "terminal")
    assert "RED" in output and "evil" in output


def test_terminal_with_colour_emits_only_its_own_styles() -> None:
    output = render(hostile(), "terminal", color=True)
    assert "\x1b[5" not in output and "\x1b]" not in output and "\x9b" not in output
    assert "\u202e" not in output
    assert "[bold red]markup[/]" in re.sub(r"\x1b\[[0-9;]*m", "", output)  # data, not markup


def test_markdown_escapes_specials_and_cannot_link() -> None:
    output = render(hostile(), "markdown")
    assert not re.search(r"(?<!\\)[<\[]", output.replace("[!WARNING]", ""))  # all escaped
    assert "\\<script\\>" in output and "\\[link\\](javascript:x)" in output
    assert "> - **\\# not a heading**" in output
    assert md("# *a* _b_ `c` |d| ~e~ <f> \\g &h") == (
        "\\# \\*a\\* \\_b\\_ \\`c\\` \\|d\\| \\~e\\~ \\<f\\> \\\\g \\&h"
    )


def test_html_escapes_everything_and_links_only_http() -> None:
    output = render(hostile(), "html")
    _assert_terminal_safe(output)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in output
    hrefs = [a.get("href") for tag, a in _tags(output) if tag == "a"]
    assert hrefs == ["https://x.test/" + one_line(HOSTILE)]  # the javascript: side is not linked


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_hostile_strings_as_exact_data(fmt: str) -> None:
    output = render(hostile(), fmt)
    for char in "\x1b\x9b\x07\r\u202e":
        assert char not in output
    records = (
        [json.loads(output)] if fmt == "json" else [json.loads(x) for x in output.splitlines()]
    )
    changes = records[0]["changes"] if fmt == "json" else records[1:7]
    assert changes[0]["indication"] == HOSTILE and changes[0]["after"] == HOSTILE
    assert changes[1]["diff"][0] == ["=", HOSTILE]


def test_json_round_trips_whole() -> None:
    data = json.loads(render(hostile(), "json"))
    assert data["disagreements"] == [HOSTILE, "# not a heading"]
    assert data["cms_statements"] == [{"source": HOSTILE, "text": HOSTILE + "\n" + HOSTILE}]


def test_record_text_and_json_keep_hostile_strings_inert() -> None:
    indication = Indication(HOSTILE, "x", (), HOSTILE, criteria=(HOSTILE,))
    record = LcdDocument("L1", 1, 1, "final", HOSTILE, indications=(indication,))
    snapshot = Snapshot(1, "L1", 1, record, "h", "r", "coverage-api", "1", HOSTILE, "2024-01-01")
    _assert_terminal_safe(render_record(snapshot, "text"))
    data = render_record(snapshot, "json")
    assert "\x1b" not in data and "\u202e" not in data
    assert json.loads(data)["record"]["indications"][0]["criteria"] == [HOSTILE]
