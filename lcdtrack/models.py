"""Frozen records passed between the pipeline stages.

    RawDocument  (fetch)  →  LcdDocument (extract)  →  Snapshot (store)  →  list[Change] (diff)

Every record converts to plain JSON-ready data with `to_dict()` and back with `from_dict()`, so a
stored snapshot can be re-read without re-extracting and the JSON output is the data itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

DocumentKind = Literal["final", "proposed", "article"]
Stance = Literal["covered", "not covered"]


@dataclass(frozen=True)
class RawDocument:
    """Bytes exactly as fetched, plus where they came from. Nothing is parsed yet."""

    content: bytes
    source: str
    media_type: str = ""
    fetched_at: str = ""


@dataclass(frozen=True)
class Quantity:
    """A number or range with its unit, e.g. 0.4 to 1.5 g/kg. `high` equals `low` for one value."""

    low: float
    high: float
    unit: str

    def __str__(self) -> str:
        low, high = _number(self.low), _number(self.high)
        amount = low if low == high else f"{low} to {high}"
        return f"{amount} {self.unit}"


@dataclass(frozen=True)
class Dose:
    """One dose a dosing statement gives: an amount and, when stated, how often ("per month")."""

    amount: Quantity
    per: str | None = None

    def __str__(self) -> str:
        return f"{self.amount} per {self.per}" if self.per else str(self.amount)


@dataclass(frozen=True)
class DosingStatement:
    """A sentence of the indication that states a dose, with the doses parsed out of it."""

    text: str
    doses: tuple[Dose, ...]


@dataclass(frozen=True)
class Indication:
    """One covered (or excluded) use, as the LCD lists it."""

    name: str
    match_key: str
    aliases: tuple[str, ...]
    text: str
    criteria: tuple[str, ...] = ()
    dosing: tuple[DosingStatement, ...] = ()
    stance: Stance | None = None


@dataclass(frozen=True)
class Section:
    """A named part of the LCD, in page order. `html` is kept where the source has markup."""

    name: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class BibliographyEntry:
    number: int | None
    text: str


@dataclass(frozen=True)
class RevisionHistoryRow:
    date: str | None
    number: str
    explanation: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicVersion:
    updated_on: str | None
    effective_from: str | None
    effective_to: str | None
    status: str


@dataclass(frozen=True)
class Code:
    """One code of a code group; `code` may be a range ("A00.0-A00.9") when `is_range`."""

    code: str
    description: str = ""
    is_range: bool = False


@dataclass(frozen=True)
class CodeGroup:
    """A group of codes as a Billing and Coding article lists them.

    system: "ICD-10-CM", "ICD-10-PCS", "CPT/HCPCS", "HCPCS modifier", "Bill type", "Revenue".
    coverage: "covered" / "not covered" for ICD-10 groups (supports / does not support medical
    necessity), None where the table states none.
    """

    system: str
    group: str
    coverage: str | None = None
    paragraph: str = ""
    codes: tuple[Code, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class RelatedDocument:
    """A document the LCD links to: its Billing and Coding article(s), other LCDs."""

    public_id: str
    version: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class LcdDates:
    """Every date the LCD carries, as ISO `YYYY-MM-DD` strings (None = not applicable)."""

    original_effective: str | None = None
    revision_effective: str | None = None
    revision_ending: str | None = None
    retirement: str | None = None
    notice_start: str | None = None
    notice_end: str | None = None
    comment_start: str | None = None
    comment_end: str | None = None
    last_updated: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class LcdDocument:
    """The structured record of one version of one LCD (or article), whatever format it came from.

    `public_id` is what readers write (L39314, DL39314, A59105); `lcd_id` is CMS's internal
    number (39313 for DL39314; the article id for an article), never derived from the public id.
    `code_groups` hold the ICD-10 / CPT/HCPCS codes, which since 2019 live in the LCD's Billing
    and Coding article.
    """

    public_id: str
    lcd_id: int | None
    version: int | None
    kind: DocumentKind
    title: str
    status: str | None = None
    contractors: tuple[str, ...] = ()
    dates: LcdDates = field(default_factory=LcdDates)
    source_proposed_id: str | None = None
    source_lcd_id: str | None = None
    sections: tuple[Section, ...] = ()
    indications: tuple[Indication, ...] = ()
    bibliography: tuple[BibliographyEntry, ...] = ()
    revision_history: tuple[RevisionHistoryRow, ...] = ()
    public_versions: tuple[PublicVersion, ...] = ()
    related_documents: tuple[RelatedDocument, ...] = ()
    code_groups: tuple[CodeGroup, ...] = ()

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LcdDocument:
        return cls(
            public_id=data["public_id"],
            lcd_id=data.get("lcd_id"),
            version=data.get("version"),
            kind=data["kind"],
            title=data["title"],
            status=data.get("status"),
            contractors=tuple(data.get("contractors", ())),
            dates=LcdDates(**data.get("dates", {})),
            source_proposed_id=data.get("source_proposed_id"),
            source_lcd_id=data.get("source_lcd_id"),
            sections=tuple(Section(**s) for s in data.get("sections", ())),
            indications=tuple(_indication_from_dict(i) for i in data.get("indications", ())),
            bibliography=tuple(BibliographyEntry(**b) for b in data.get("bibliography", ())),
            revision_history=tuple(
                RevisionHistoryRow(**{**r, "reasons": tuple(r.get("reasons", ()))})
                for r in data.get("revision_history", ())
            ),
            public_versions=tuple(PublicVersion(**p) for p in data.get("public_versions", ())),
            related_documents=tuple(
                RelatedDocument(**r) for r in data.get("related_documents", ())
            ),
            code_groups=tuple(
                CodeGroup(
                    **{
                        **group,
                        "codes": tuple(Code(**code) for code in group.get("codes", ())),
                    }
                )
                for group in data.get("code_groups", ())
            ),
        )


@dataclass(frozen=True)
class Snapshot:
    """A stored version of a document: the record plus where and when it was captured."""

    id: int
    document_id: str
    version: int | None
    record: LcdDocument
    record_hash: str
    raw_hash: str
    extractor: str
    extractor_version: str
    source: str
    fetched_at: str

    @property
    def label(self) -> str:
        return (
            f"{self.document_id}@{self.version}" if self.version is not None else self.document_id
        )


@dataclass(frozen=True)
class TextEdit:
    """One run of a word-level diff: op is "=", "-" (deleted) or "+" (inserted)."""

    op: Literal["=", "-", "+"]
    text: str


@dataclass(frozen=True)
class Change:
    """One difference in the reader's terms.

    kind: indication_added | indication_removed | indication_renamed | indication_changed |
    code_added | code_removed | code_moved | code_changed | code_group_changed |
    metadata_changed | section_added | section_removed | section_changed.
    `subject` names what changed (indication name, code, field, section); `aspect` refines an
    indication change (criterion_added, criterion_removed, criterion_changed, dose_changed,
    dose_added, dose_removed, threshold_changed, age_changed, time_changed, stance_changed,
    text_changed). `direction` is "tightened" / "loosened" where that is defined, `severity`
    "high" / "medium" / "low" (see `lcdtrack.diff.severity`). `context` says where (the
    indication a quantity belongs to, the code group of a code).
    """

    kind: str
    subject: str
    aspect: str | None = None
    before: str | None = None
    after: str | None = None
    edits: tuple[TextEdit, ...] = ()
    direction: str | None = None
    severity: str | None = None
    context: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        data[subject_key(self.kind)] = self.subject
        for name in ("aspect", "context", "direction", "severity"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        data["before"] = self.before
        data["after"] = self.after
        if self.edits:
            data["diff"] = [[e.op, e.text] for e in self.edits]
        return data


def subject_key(kind: str) -> str:
    """The JSON key naming a change's subject: indication, code, field or section."""
    if kind.startswith("indication_"):
        return "indication"
    if kind.startswith("code_group"):
        return "code_group"
    if kind.startswith("code_"):
        return "code"
    return "field" if kind == "metadata_changed" else "section"


def _indication_from_dict(data: dict[str, Any]) -> Indication:
    return Indication(
        name=data["name"],
        match_key=data["match_key"],
        aliases=tuple(data.get("aliases", ())),
        text=data["text"],
        criteria=tuple(data.get("criteria", ())),
        dosing=tuple(
            DosingStatement(
                text=d["text"],
                doses=tuple(
                    Dose(amount=Quantity(**dose["amount"]), per=dose.get("per"))
                    for dose in d["doses"]
                ),
            )
            for d in data.get("dosing", ())
        ),
        stance=data.get("stance"),
    )


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class SnapshotRef:
    """How a diff names one side: the snapshot it read and what a reader needs to place it."""

    label: str
    document_id: str
    version: int | None
    title: str
    kind: DocumentKind
    snapshot_id: int | None = None
    extractor: str | None = None
    source: str | None = None
    effective: str | None = None

    @classmethod
    def of(cls, record: LcdDocument, snapshot: Snapshot | None = None) -> SnapshotRef:
        label = (
            snapshot.label
            if snapshot
            else (
                f"{record.public_id}@{record.version}"
                if record.version is not None
                else record.public_id
            )
        )
        return cls(
            label=label,
            document_id=record.public_id,
            version=record.version,
            title=record.title,
            kind=record.kind,
            snapshot_id=snapshot.id if snapshot else None,
            extractor=snapshot.extractor if snapshot else None,
            source=snapshot.source if snapshot else None,
            effective=record.dates.revision_effective or record.dates.original_effective,
        )


@dataclass(frozen=True)
class CmsStatement:
    """What CMS itself says changed: an "Explanation of Change", a synopsis or revision note."""

    source: str
    text: str


@dataclass(frozen=True)
class Comparison:
    """The result of diffing two snapshots: both sides, the changes between them, CMS's own
    account of the change and where that account disagrees with what was detected."""

    old: SnapshotRef
    new: SnapshotRef
    changes: tuple[Change, ...]
    cms_statements: tuple[CmsStatement, ...] = ()
    disagreements: tuple[str, ...] = ()


API_BUNDLE_FORMAT = "lcdtrack.coverage-api-bundle/1"
"""The raw source lcdtrack keeps for a document fetched from the Coverage API: one JSON object

    {"format": API_BUNDLE_FORMAT, "document": "lcd" | "article", "base_url": "...",
     "responses": {"<endpoint>": "<response body exactly as received, as a string>", ...},
     "articles": [<article bundle>, ...]}      # lcd bundles only: related Billing and Coding

LCD endpoints: "lcd" (required), "revision-history", "related-documents", "contractor",
"reason-change", "synopsis-changes". Article endpoints: "article" (required), "icd10-covered",
"icd10-covered-group", "icd10-noncovered", "icd10-noncovered-group", "hcpc-code",
"hcpc-code-group", "hcpc-modifier", "bill-codes", "revenue-code", "revision-history".
Bodies stay strings so the bytes CMS sent are what is hashed and kept.
"""


DOWNLOAD_ROW_FORMAT = "lcdtrack.mcd-download-row/1"
"""The raw source kept for one LCD version imported from an MCD bulk download: one `lcd.csv`
row joined with its `lcd_x_*` rows (see `lcdtrack.fetch.bulk`)."""
