"""The section grammar of an LCD, shared by every extractor.

`SECTIONS` lists the narrative sections in page order with the Coverage API field that holds
each; the MCD page shows the same sections under these headings. `PAGE_HEADINGS` are all the
other headings of the page, which end a section in the text rendering.
"""

from __future__ import annotations

INDICATIONS_SECTION = "Coverage Indications, Limitations, and/or Medical Necessity"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("Issue Description", "issue"),
    ("Issue - Explanation of Change Between Proposed LCD and Final LCD", "issue_change"),
    ("CMS National Coverage Policy", "cms_cov_policy"),
    (INDICATIONS_SECTION, "indication"),
    ("Summary of Evidence", "summary_of_evidence"),
    ("Analysis of Evidence (Rationale for Determination)", "analysis_of_evidence"),
    ("Documentation Requirements", "doc_reqs"),
    ("Utilization Guidelines", "util_guide"),
    ("Coding Guidelines", "coding_guidelines"),
    ("Appendices", "appendices"),
    ("Synopsis of Changes", "synopsis_changes"),
    ("Additional ICD-10 Information", "add_icd10_info"),
    ("Associated Information", "associated_info"),
    ("Sources of Information", "source_info"),
    ("Bibliography", "bibliography"),
    ("Keywords", "keywords"),
)
SECTION_NAMES = tuple(name for name, _ in SECTIONS)

PAGE_HEADINGS = frozenset(
    {
        "Contractor Information",
        "LCD Information",
        "Proposed LCD Information",
        "Document Information",
        "Document Note",
        "Note History",
        "AMA CPT / ADA CDT / AHA NUBC Copyright Statement",
        "Issue",
        "Coverage Guidance",
        "Proposed Process Information",
        "Open Meetings",
        "Contractor Advisory Committee (CAC) Meetings",
        "MAC Meeting Information URLs",
        "Proposed LCD Posting Date",
        "Comment Period Start Date",
        "Comment Period End Date",
        "Reason for Proposed LCD",
        "Requestor Information",
        "Contact for Comments on Proposed LCD",
        "Coding Information",
        "Bill Type Codes",
        "Revenue Codes",
        "CPT/HCPCS Codes",
        "ICD-10-CM Codes that Support Medical Necessity",
        "ICD-10-CM Codes that DO NOT Support Medical Necessity",
        "General Information",
        "Revision History Information",
        "Associated Documents",
        "Attachments",
        "Related Local Coverage Documents",
        "Related National Coverage Documents",
        "Public Versions",
        "Read the LCD Disclaimer",
        *SECTION_NAMES,
    }
)

# "Document Information" labels on the page, mapped to record fields.
DOCUMENT_LABELS = {
    "Source LCD ID": "source_lcd_id",
    "LCD ID": "lcd_public_id",
    "Proposed LCD ID": "proposed_public_id",
    "Original ICD-9 LCD ID": "icd9_id",
    "LCD Title": "title",
    "Proposed LCD Title": "title",
    "Proposed LCD in Comment Period": "proposed_in_comment",
    "Source Proposed LCD": "source_proposed_id",
    "Original Effective Date": "original_effective",
    "Revision Effective Date": "revision_effective",
    "Revision Ending Date": "revision_ending",
    "Retirement Date": "retirement",
    "Notice Period Start Date": "notice_start",
    "Notice Period End Date": "notice_end",
}

# Column-header lines of the page's tables; they carry no content of their own.
TABLE_HEADER_LINES = frozenset(
    {
        "Changes Fields Changed",
        "Code Description",
        "Meeting Date Meeting States Meeting Information",
        "Updated On Effective Dates Status",
        "Requestor Name Requestor Letter",
        "Revision History Date Revision History Number Revision History Explanation "
        "Reasons for Change",
    }
)
