"""Builders of SYNTHETIC Coverage API article responses for Billing and Coding article A59105.

**Nothing here is a captured CMS response; no real article response exists in the corpus.**

* Shape: real. Every row has exactly the fields, in the order, of the schemas in
  `shared/corpus/mcd/api/coverage-api-openapi-v1.5.json` (`DataArticle`,
  `DataArticleIcd10Covered`, `…Icd10CoveredGroup`, `…Icd10Noncovered`, `…Icd10NoncoveredGroup`,
  `…HcpcCode`, `…HcpcCodeGroup`, `…HcpcModifier`, `…BillCodes`, `…RevenueCode`,
  `…RevisionHistory`), inside the envelope of `shared/corpus/mcd/reconstructed/README.md`.
* Identity: real. A59105 "Billing and Coding: Off-Label Use of Intravenous Immune Globulin
  (IVIG)", version 26, effective 09/07/2025, updated 07/16/2025, is the article of LCD L39314 in
  `reports-csv/reports-final-lcds-and-articles_2025-08-17.csv`.
* Values: ILLUSTRATIVE. The narrative, group paragraphs, code lists, groupings, sort orders,
  revision notes, status and flag values were written for these tests. The codes are real
  HCPCS / ICD-10-CM / NUBC codes with their descriptors as we know them, chosen to fit the
  LCD's indications; they are not A59105's actual code tables.
* Escaping: as CMS serves narrative fields (MCD-FORMATS.md §2.7): the HTML, with its own
  entities (`&rsquo;`, `&lt;400`), is escaped once more (`&` `<` `>` `"` `'` `/` → `&amp;`
  `&lt;` `&gt;` `&quot;` `&#39;` `&sol;`). Code descriptions are served as plain text (how CMS
  serves them was not seen).

`article_rows()` gives endpoint → rows; edit them, then `bundle(rows)` / `raw(bundle)`.
"""

from __future__ import annotations

import json
from typing import Any

from lcdtrack.models import API_BUNDLE_FORMAT, RawDocument
from tests.mutate import escape_like_cms

ARTICLE_ID = 59105
ARTICLE_VERSION = 26
TITLE = "Billing and Coding: Off-Label Use of Intravenous Immune Globulin (IVIG)"
BASE_URL = "https://api.coverage.cms.gov"
UPDATED = "07/16/2025"
ADDED = "10/19/2022"  # illustrative "code added" date for codes older than this version

Row = dict[str, Any]

CMS_COV_POLICY = """\
<p><strong>Title XVIII of the Social Security Act (SSA):</strong></p>
<ul>
<li>Section 1862(a)(1)(A) excludes expenses incurred for items or services which are not \
reasonable and necessary for the diagnosis or treatment of illness or injury or to improve the \
functioning of a malformed body member.</li>
<li>Section 1833(e) prohibits Medicare payment for any claim which lacks the necessary \
information to process the claim.</li>
</ul>
<p>CMS Internet-Only Manual, Pub. 100-04, Medicare Claims Processing Manual, Chapter 17, \
&sect;10 Payment Rules for Drugs and Biologicals</p>"""

ARTICLE_TEXT = """\
<p>This Billing and Coding Article provides billing and coding guidance for Local Coverage \
Determination (LCD) L39314, Off-Label Use of Intravenous Immune Globulin (IVIG). Please refer \
to the LCD for reasonable and necessary requirements.</p>
<p><strong>Coding Guidance</strong></p>
<ol>
<li>Report the HCPCS code of the immune globulin product administered, one unit per 500 mg.</li>
<li>For pure red cell aplasia related to human parvovirus B19 infection, report a code from \
D60.0&ndash;D60.9 <em>and</em> B97.6.</li>
<li>Report the JW or JZ modifier as the CMS discarded drug policy requires.</li>
</ol>
<p><strong>Documentation Requirements</strong></p>
<p>The patient&rsquo;s medical record must support the indication, including IgG levels \
&lt;400 mg/dl where the LCD requires them.</p>"""

ADD_ICD10_INFO = """\
<p>It is the provider&rsquo;s responsibility to select codes carried out to the highest level \
of specificity and selected from the ICD-10-CM code book appropriate to the year in which the \
service is rendered for the claim(s) submitted.</p>"""

COVERED_PARAGRAPHS = {
    1: "<p>Stiff-person syndrome, when the criteria of LCD L39314 are met.</p>",
    2: "<p>Autoimmune retinopathy (AIR) that is sight threatening and refractory to "
    "corticosteroid and immunosuppressant therapy.</p>",
    3: "<p><strong>Dual diagnosis:</strong> pure red cell aplasia related to human parvovirus "
    "B19 infection. Report a code from D60.0&ndash;D60.9 <em>and</em> B97.6.</p>",
    4: "<p>Hematopoietic stem cell transplantation (HSCT) and chronic graft-versus-host disease "
    "(GVHD) with IgG levels &lt;400 mg/dl (&lt;LLN) and at least one serious infection.</p>",
    5: "<p>Systemic lupus erythematosus, scleromyxedema, systemic capillary leak syndrome "
    "(Clarkson&rsquo;s disease) with monoclonal gammopathy, and immune-mediated necrotizing "
    "myositis (IMNM).</p>",
}
NONCOVERED_PARAGRAPH = (
    "<p>The following ICD-10-CM codes do not support medical necessity for IVIG: the evidence "
    "for scleroderma/systemic sclerosis does not support coverage.</p>"
)
HCPC_PARAGRAPH = (
    "<p>Report the product&#39;s HCPCS code; IVIG administration is reported separately. "
    "Dose in g/kg as the LCD states.</p>"
)

# (group, sort_order, code, description, range): served in this (not the display) order.
COVERED_CODES: list[tuple[int, int, str, str, str]] = [
    (1, 1, "G25.82", "Stiff-man syndrome", "N"),
    (2, 1, "H35.89", "Other specified retinal disorders", "N"),
    (3, 2, "B97.6", "Parvovirus as the cause of diseases classified elsewhere", "N"),
    (
        3,
        1,
        "D60.0-D60.9",
        "Chronic acquired pure red cell aplasia - Acquired pure red cell aplasia, unspecified",
        "Y",
    ),
    (4, 1, "D80.1", "Nonfamilial hypogammaglobulinemia", "N"),
    (4, 2, "D89.811", "Chronic graft-versus-host disease", "N"),
    (4, 3, "Z94.84", "Stem cells transplant status", "N"),
    (5, 1, "M32.10", "Systemic lupus erythematosus, organ or system involvement unspecified", "N"),
    (5, 2, "M32.9", "Systemic lupus erythematosus, unspecified", "N"),
    (5, 3, "L98.5", "Mucinosis of the skin", "N"),
    (5, 4, "I78.8", "Other diseases of capillaries", "N"),
    (5, 5, "D47.2", "Monoclonal gammopathy", "N"),
    (5, 6, "G72.49", "Other inflammatory and immune myopathies, not elsewhere classified", "N"),
]
NONCOVERED_CODES: list[tuple[int, int, str, str, str]] = [
    (1, 1, "M34.0", "Progressive systemic sclerosis", "N"),
    (1, 2, "M34.1", "CR(E)ST syndrome", "N"),
    (1, 3, "M34.9", "Systemic sclerosis, unspecified", "N"),
]
# (code, long description, short description): served unsorted.
HCPC_CODES: list[tuple[str, str, str]] = [
    (
        "J1599",
        "Injection, immune globulin, intravenous, non-lyophilized (e.g., liquid), not otherwise "
        "specified, 500 mg",
        "Ivig non-lyophilized, nos",
    ),
    (
        "J1459",
        "Injection, immune globulin (Privigen), intravenous, non-lyophilized (e.g., liquid), "
        "500 mg",
        "Inj IVIG privigen 500 mg",
    ),
    ("J1556", "Injection, immune globulin (Bivigam), 500 mg", "Inj, imm glob bivigam, 500mg"),
    (
        "J1557",
        "Injection, immune globulin, (Gammaplex), intravenous, non-lyophilized (e.g., liquid), "
        "500 mg",
        "Gammaplex injection",
    ),
    (
        "J1561",
        "Injection, immune globulin, (Gamunex-C/Gammaked), non-lyophilized (e.g., liquid), 500 mg",
        "Gamunex-c/gammaked",
    ),
    (
        "J1566",
        "Injection, immune globulin, intravenous, lyophilized (e.g., powder), not otherwise "
        "specified, 500 mg",
        "Immune globulin, powder",
    ),
    (
        "J1568",
        "Injection, immune globulin, (Octagam), intravenous, non-lyophilized (e.g., liquid), "
        "500 mg",
        "Octagam injection",
    ),
    (
        "J1569",
        "Injection, immune globulin, (Gammagard liquid), non-lyophilized, (e.g., liquid), 500 mg",
        "Gammagard liquid injection",
    ),
    (
        "J1572",
        "Injection, immune globulin, (Flebogamma/Flebogamma Dif), intravenous, non-lyophilized "
        "(e.g., liquid), 500 mg",
        "Flebogamma injection",
    ),
]
MODIFIERS = [
    ("JZ", "Zero drug amount discarded/not administered to any patient"),
    ("JW", "Drug amount discarded/not administered to any patient"),
]
BILL_CODES = [
    ("013x", "Hospital Outpatient"),
    ("012x", "Hospital Inpatient (Medicare Part B only)"),
    ("085x", "Critical Access Hospital"),
]
REVENUE_CODES = [
    ("0636", "Pharmacy - Extension of 025X - Drugs Requiring Detailed Coding"),
    ("0250", "Pharmacy - General Classification"),
]
REVISIONS = [
    (
        23,
        "01/01/2025",
        "Under Article Text formatting changes were made. This revision is due to the 2025 "
        "Annual/Q1 HCPCS Code Update and is effective for dates of service on or after 1/1/25.",
    ),
    (
        26,
        "09/07/2025",
        "Under ICD-10-CM Codes that Support Medical Necessity Group 5: Codes added G72.49 for "
        "immune-mediated necrotizing myositis (IMNM). Under Article Text added guidance on the "
        "JW/JZ modifiers. This revision is due to the reconsideration of LCD L39314.",
    ),
]


def _ids() -> Row:
    return {"article_id": ARTICLE_ID, "article_version": ARTICLE_VERSION}


def article_record(**fields: Any) -> Row:
    """One `DataArticle` record, every field of the schema, in schema order."""
    record = {
        **_ids(),
        "article_type": 1,
        "article_type_description": "Billing and Coding",
        "title": TITLE,
        "article_pub_date": UPDATED,
        "article_eff_date": "09/07/2025",
        "article_end_date": "",
        "description": escape_like_cms(ARTICLE_TEXT),
        "other_comments": "",
        "sad_url": "",
        "thirty_percent": "N",
        "status": "A",
        "last_updated": UPDATED,
        "key_article": "",
        "icd9_covered_para": "",
        "icd9_noncovered_para": "",
        "revenue_para": "",
        "article_rev_end_Date": "",
        "source_article_id": None,
        "date_retired": "",
        "keywords": "",
        "icd10_doc": "Y",
        "add_icd10_info": escape_like_cms(ADD_ICD10_INFO),
        "cms_cov_policy": escape_like_cms(CMS_COV_POLICY),
        "display_id": None,
        "reference_article": "",
    }
    record.update(fields)
    return record


def icd10_covered_row(
    group: int, order: int, code: str, description: str, range_: str = "N", **fields: Any
) -> Row:
    return {
        **_ids(),
        "icd10_code_id": code,
        "icd10_code_version": 1,
        "icd10_covered_group": group,
        "range": range_,
        "sort_order": order,
        "description": description,
        "asterisk": "",
        "last_updated": UPDATED if code == "G72.49" else ADDED,
        **fields,
    }


def icd10_noncovered_row(
    group: int, order: int, code: str, description: str, range_: str = "N", **fields: Any
) -> Row:
    return {
        **_ids(),
        "icd10_code_id": code,
        "icd10_code_version": 1,
        "icd10_noncovered_group": group,
        "range": range_,
        "sort_order": order,
        "description": description,
        "last_updated": ADDED,
        **fields,
    }


def icd10_covered_group_row(group: int, paragraph: str) -> Row:
    return {
        **_ids(),
        "icd10_covered_group": group,
        "paragraph": escape_like_cms(paragraph),
        "icd10_covered_ast": "",
        "last_updated": UPDATED,
    }


def icd10_noncovered_group_row(group: int, paragraph: str) -> Row:
    return {
        **_ids(),
        "icd10_noncovered_group": group,
        "paragraph": escape_like_cms(paragraph),
        "last_updated": UPDATED,
    }


def hcpc_code_row(code: str, long: str, short: str, group: int = 1, **fields: Any) -> Row:
    return {
        **_ids(),
        "hcpc_code_id": code,
        "hcpc_code_version": 1,
        "hcpc_code_group": group,
        "long_description": long,
        "short_description": short,
        "range": "N",
        "last_updated": ADDED,
        **fields,
    }


def hcpc_code_group_row(group: int, paragraph: str) -> Row:
    return {
        **_ids(),
        "hcpc_code_group": group,
        "paragraph": escape_like_cms(paragraph),
        "last_updated": UPDATED,
    }


def hcpc_modifier_row(code: str, description: str, group: int = 1) -> Row:
    return {
        **_ids(),
        "hcpc_modifier_code_id": code,
        "hcpc_modifier_code_version": 1,
        "hcpc_modifier_group": group,
        "description": description,
        "last_updated": UPDATED,
    }


def bill_code_row(code: str, description: str) -> Row:
    return {
        **_ids(),
        "bill_code_id": code,
        "bill_code_version": 1,
        "description": description,
        "last_updated": ADDED,
    }


def revenue_code_row(code: str, description: str, range_: str = "N") -> Row:
    return {
        **_ids(),
        "revenue_code_id": code,
        "revenue_code_version": 1,
        "description": description,
        "range": range_,
        "last_updated": ADDED,
    }


def revision_row(number: int, date: str, explanation: str, **fields: Any) -> Row:
    return {
        **_ids(),
        "rev_hist_num": number,
        "rev_hist_date": date,
        "rev_hist_exp": escape_like_cms(explanation),
        "last_updated": date,
        **fields,
    }


def article_rows() -> dict[str, list[Row]]:
    """Endpoint → rows of the synthetic A59105 version 26, as the Coverage API would list them."""
    return {
        "article": [article_record()],
        "icd10-covered": [icd10_covered_row(*row) for row in COVERED_CODES],
        "icd10-covered-group": [
            icd10_covered_group_row(group, text) for group, text in COVERED_PARAGRAPHS.items()
        ],
        "icd10-noncovered": [icd10_noncovered_row(*row) for row in NONCOVERED_CODES],
        "icd10-noncovered-group": [icd10_noncovered_group_row(1, NONCOVERED_PARAGRAPH)],
        "hcpc-code": [hcpc_code_row(*row) for row in HCPC_CODES],
        "hcpc-code-group": [hcpc_code_group_row(1, HCPC_PARAGRAPH)],
        "hcpc-modifier": [hcpc_modifier_row(*row) for row in MODIFIERS],
        "bill-codes": [bill_code_row(*row) for row in BILL_CODES],
        "revenue-code": [revenue_code_row(*row) for row in REVENUE_CODES],
        "revision-history": [revision_row(*row) for row in REVISIONS],
    }


FIELDS = {name: list(rows[0]) for name, rows in article_rows().items()}
"""Endpoint → the schema's field names, for the envelope's `meta.fields`."""


def envelope(endpoint: str, rows: list[Row]) -> str:
    """A response body as the Coverage API serves it: compact JSON, `{"meta", "data"}`."""
    meta = {
        "status": {"id": 200, "message": "OK"},
        "notes": "",
        "fields": FIELDS[endpoint],
        "children": [],
        "next_token": "",
    }
    return json.dumps({"meta": meta, "data": rows}, ensure_ascii=False, separators=(",", ":"))


def bundle(rows: dict[str, list[Row]] | None = None) -> dict[str, Any]:
    """An article bundle (`API_BUNDLE_FORMAT`) of these rows, as `lcdtrack fetch` keeps it."""
    rows = article_rows() if rows is None else rows
    return {
        "format": API_BUNDLE_FORMAT,
        "document": "article",
        "base_url": BASE_URL,
        "fetched_at": "2025-08-17T12:00:00+00:00",
        "responses": {name: envelope(name, data) for name, data in rows.items()},
        "articles": [],
    }


def raw(data: Any, source: str = "A59105 (synthetic)") -> RawDocument:
    """Bytes as the fetcher writes a bundle: JSON with sorted keys, UTF-8."""
    content = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return RawDocument(content=content, source=source, media_type="application/json")
