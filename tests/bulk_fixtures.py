"""Builders of SYNTHETIC MCD bulk downloads (`current_lcd.zip`) in a test's temporary folder.

**No real download CSV exists in the corpus** (MCD-FORMATS.md §5), so these are built from what
is documented and from the reconstructed API records:

* Layout: as reported: an outer `current_lcd.zip` holding an inner `current_lcd_csv.zip` (the
  CSV tables), an Access `.mdb` and a data-dictionary PDF (placeholder bytes, never read).
* Headers: the columns MCD-FORMATS.md lists. `lcd.csv` has the 48 `DataLcd` names, with
  `draft_released_date` in lower case, in another order than the API (alphabetical here), so
  columns must be read by header. `lcd_x_requestor_letters.csv` has no header row.
* Values: real where the corpus has them. The `lcd.csv` rows are the reconstructed API records
  of final L39314 v7 and proposed DL39314 (`lcd_id` 39313 v19), field for field (null → "");
  L39314 v7's related documents and contractor links are its reconstructed API companions, and
  contractor names and numbers come from `derived/contractor_reference.csv`.
  ILLUSTRATIVE: the revision-history rows (the real v7 has none), the contractor type
  descriptions, the requestor letter row.
* Encoding: UTF-8, CRLF between records (the csv module's default); narrative HTML entity-escaped
  as the API serves it. `raw_html()` gives the unescaped variant.

`default_tables()` gives the tables; edit them, then `files()` → bytes per CSV file, and write
them with `write_download`, `write_csv_zip` or `write_folder`.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lcdtrack.extractors.grammar import SECTIONS
from tests.conftest import CORPUS

API = CORPUS / "reconstructed" / "api"
FINAL_FILE = API / "lcd_39314_ver_7.json"
PROPOSED_FILE = API / "lcd_39313_ver_19.json"

Row = dict[str, str]

LCD_COLUMNS = tuple(
    sorted(
        name.lower() if name == "draft_released_Date" else name
        for name in json.loads(FINAL_FILE.read_text(encoding="utf-8"))["data"][0]
    )
)
REVISION_HISTORY_COLUMNS = (
    "lcd_id",
    "lcd_version",
    "rev_hist_num",
    "rev_hist_date",
    "rev_hist_exp",
    "last_updated",
)
RELATED_DOCUMENTS_COLUMNS = (
    "lcd_id",
    "lcd_version",
    "related_num",
    "r_article_id",
    "r_article_version",
    "r_lcd_id",
    "r_lcd_version",
    "r_contractor_id",
    "last_updated",
)
CONTRACTOR_LINK_COLUMNS = (
    "lcd_id",
    "lcd_version",
    "contractor_id",
    "contractor_type_id",
    "contractor_version",
    "last_updated",
)
CONTRACTOR_COLUMNS = ("contractor_id", "contractor_type_id", "contractor_version",
                      "contractor_bus_name", "contractor_number")  # fmt: skip
CONTRACTOR_TYPE_COLUMNS = ("contractor_type_id", "description")
NARRATIVE_FIELDS = tuple(name for _, name in SECTIONS)

# ILLUSTRATIVE: descriptions for the contract types of L39314's NGS contracts (8, 9; 13 left
# out on purpose: a type the lookup does not know must not break the name).
CONTRACTOR_TYPES = {"8": "MAC - Part A", "9": "MAC - Part B"}
# ILLUSTRATIVE revision history: two rows for L39314 v7 (one with entity-escaped HTML and a
# time on its date), one for a later version that must not be joined to v7.
REVISION_HISTORY = [
    ("39314", "7", "1", "09/07/2022 00:00:00",
     "&lt;p&gt;Final LCD posted; IMNM added after comments.&lt;&sol;p&gt;", "09/07/2022"),
    ("39314", "7", "2", "2022-10-01", "Typographical errors corrected.", "2022-10-01"),
    ("39314", "11", "3", "07/16/2025", "Second proposal cycle finalised.", "07/16/2025"),
]  # fmt: skip
REQUESTOR_LETTERS = b"39314,7,1,NGS Medical Directors,letters/39314.pdf,12 KB,1,09/07/2022\r\n"
"""ILLUSTRATIVE, and without a header row, as CMS ships this table."""


def api_record(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["data"][0]
    return record


def lcd_row(record: dict[str, Any]) -> Row:
    """A DataLcd record as an `lcd.csv` row: strings, null as "", the CSV's column spelling."""
    return {name.lower(): "" if value is None else str(value) for name, value in record.items()}


def raw_html(row: Row) -> Row:
    """The row with its narrative HTML unescaped once: raw markup, as some loaders expect."""
    return {name: html.unescape(v) if name in NARRATIVE_FIELDS else v for name, v in row.items()}


def api_companion(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((API / name).read_text(encoding="utf-8"))["data"]
    return rows


def _strings(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> list[Row]:
    return [{c: "" if row.get(c) is None else str(row[c]) for c in columns} for row in rows]


def _contractor_rows(links: list[Row]) -> list[Row]:
    """`contractor.csv` rows for the linked contractors, from the corpus reference table."""
    reference = CORPUS / "derived" / "contractor_reference.csv"
    with reference.open(encoding="utf-8", newline="") as file:
        known = {row["contractor_id"]: row for row in csv.DictReader(file)}
    return [
        {
            "contractor_id": link["contractor_id"],
            "contractor_type_id": link["contractor_type_id"],
            "contractor_version": link["contractor_version"],
            "contractor_bus_name": known[link["contractor_id"]]["contractor_name"],
            "contractor_number": known[link["contractor_id"]]["contract_number"],
        }
        for link in links
    ]


@dataclass
class Tables:
    """The tables of a download, as rows; `files()` turns them into CSV bytes."""

    lcd: list[Row]
    revision_history: list[Row] = field(default_factory=list)
    related_documents: list[Row] = field(default_factory=list)
    contractor_links: list[Row] = field(default_factory=list)
    contractors: list[Row] = field(default_factory=list)
    contractor_types: list[Row] = field(default_factory=list)
    requestor_letters: bytes = REQUESTOR_LETTERS
    lcd_columns: tuple[str, ...] = LCD_COLUMNS
    bom: bool = False

    def files(self) -> dict[str, bytes]:
        return {
            "lcd.csv": csv_bytes(self.lcd_columns, self.lcd, bom=self.bom),
            "lcd_x_revision_history.csv": csv_bytes(
                REVISION_HISTORY_COLUMNS, self.revision_history
            ),
            "lcd_related_documents.csv": csv_bytes(
                RELATED_DOCUMENTS_COLUMNS, self.related_documents
            ),
            "lcd_x_contractor.csv": csv_bytes(CONTRACTOR_LINK_COLUMNS, self.contractor_links),
            "contractor.csv": csv_bytes(CONTRACTOR_COLUMNS, self.contractors),
            "contractor_type_lookup.csv": csv_bytes(CONTRACTOR_TYPE_COLUMNS, self.contractor_types),
            "lcd_x_requestor_letters.csv": self.requestor_letters,
        }


def default_tables() -> Tables:
    """L39314 v7 and DL39314 (39313 v19) with L39314 v7's companions."""
    links = _strings(api_companion("lcd_39314_ver_7_contractor.json"), CONTRACTOR_LINK_COLUMNS)
    return Tables(
        lcd=[lcd_row(api_record(FINAL_FILE)), lcd_row(api_record(PROPOSED_FILE))],
        revision_history=[
            dict(zip(REVISION_HISTORY_COLUMNS, row, strict=True)) for row in REVISION_HISTORY
        ],
        related_documents=_strings(
            api_companion("lcd_39314_ver_7_related-documents.json"), RELATED_DOCUMENTS_COLUMNS
        ),
        contractor_links=links,
        contractors=_contractor_rows(links),
        contractor_types=[
            {"contractor_type_id": key, "description": value}
            for key, value in CONTRACTOR_TYPES.items()
        ],
    )


def csv_bytes(columns: Iterable[str], rows: Iterable[Row], *, bom: bool = False) -> bytes:
    """A CSV file as CMS writes one: header row, every field quoted when needed, CRLF records."""
    columns = tuple(columns)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def write_csv_zip(path: Path, files: dict[str, bytes]) -> Path:
    """The inner `{name}_csv.zip`: the CSV files, deflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def write_download(folder: Path, files: dict[str, bytes], name: str = "current_lcd") -> Path:
    """The outer `{name}.zip` as CMS publishes it: inner csv zip, .mdb and a PDF."""
    inner = write_csv_zip(folder / f"{name}_csv.zip", files)
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, inner.name)
        archive.writestr(f"{name}.mdb", b"\x00\x01\x00\x00Standard Jet DB (placeholder)")
        archive.writestr("MCD Data Dictionary.pdf", b"%PDF-1.4 placeholder")
    inner.unlink()
    return path


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    """The CSV files extracted into a folder, as `unzip current_lcd_csv.zip` leaves them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder
