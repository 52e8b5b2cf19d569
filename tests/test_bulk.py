"""MCD bulk downloads: reading the zips (`fetch/bulk.py`) and the `mcd-download` extractor.

The downloads are built in `tmp_path` by `tests/bulk_fixtures.py` from the reconstructed API
records of L39314 v7 and DL39314, so the record a download gives can be checked against the
record the Coverage API response gives.
"""

from __future__ import annotations

import csv
import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from lcdtrack.errors import FetchError, LayoutChanged, NotAnLcd
from lcdtrack.extractors import EXTRACTORS, extract, extractor_for, mcd_download
from lcdtrack.fetch.bulk import (
    LcdDownload,
    count_download_documents,
    iter_download_documents,
)
from lcdtrack.models import (
    DOWNLOAD_ROW_FORMAT,
    LcdDocument,
    RawDocument,
    RelatedDocument,
    RevisionHistoryRow,
)
from tests import bulk_fixtures as fx

L39314 = ("39314", "7")
DL39314 = ("39313", "19")
NGS = "National Government Services, Inc. (MAC - Part A, MAC - Part B)"
FILES_BY_LAYOUT: dict[str, Callable[[Path, dict[str, bytes]], Path]] = {
    "outer zip": fx.write_download,
    "inner csv zip": lambda folder, files: fx.write_csv_zip(folder / "current_lcd_csv.zip", files),
    "folder": lambda folder, files: fx.write_folder(folder / "current_lcd_csv", files),
}


def documents(path: Path) -> dict[tuple[str, str], RawDocument]:
    """The download's documents by (lcd_id, lcd_version)."""
    found = {}
    for raw in iter_download_documents(path):
        row = json.loads(raw.content)["lcd"]
        found[row["lcd_id"], row["lcd_version"]] = raw
    return found


def records(path: Path) -> dict[tuple[str, str], LcdDocument]:
    return {key: mcd_download.extract(raw) for key, raw in documents(path).items()}


def api_extraction(path: Path) -> LcdDocument:
    return extract(RawDocument(content=path.read_bytes(), source=str(path)))[1]


@pytest.fixture
def download(tmp_path: Path) -> Path:
    return fx.write_download(tmp_path, fx.default_tables().files())


# --- the record: the same as from the Coverage API ----------------------------------------


@pytest.mark.parametrize("markup", ["escaped", "raw"])
@pytest.mark.parametrize(
    ("key", "api_file"), [(L39314, fx.FINAL_FILE), (DL39314, fx.PROPOSED_FILE)], ids=str
)
def test_download_row_extracts_like_the_api_record(
    tmp_path: Path, key: tuple[str, str], api_file: Path, markup: str
) -> None:
    tables = fx.default_tables()
    if markup == "raw":
        tables.lcd = [fx.raw_html(row) for row in tables.lcd]
        assert "<p>" in tables.lcd[0]["indication"]  # the variant really holds raw markup
    ours = records(fx.write_download(tmp_path, tables.files()))[key]
    theirs = api_extraction(api_file)
    assert ours.indications == theirs.indications
    assert len(ours.indications) >= 10
    # Everything else equal too, but for the companions a bare API response does not carry.
    assert replace(ours, contractors=(), revision_history=(), related_documents=()) == theirs


def test_proposed_and_final_identity(download: Path) -> None:
    by_key = records(download)
    final, proposed = by_key[L39314], by_key[DL39314]
    assert (final.public_id, final.kind, final.lcd_id) == ("L39314", "final", 39314)
    assert (proposed.public_id, proposed.kind, proposed.lcd_id) == ("DL39314", "proposed", 39313)
    assert proposed.source_lcd_id == "L39314"


def test_revision_history_related_documents_and_contractors_are_joined(download: Path) -> None:
    by_key = records(download)
    final = by_key[L39314]
    assert final.revision_history == (
        RevisionHistoryRow("2022-10-01", "2", "Typographical errors corrected."),
        RevisionHistoryRow("2022-09-07", "1", "Final LCD posted; IMNM added after comments."),
    )
    assert final.related_documents == (RelatedDocument("A59105", 23), RelatedDocument("A59251", 2))
    assert final.contractors == (NGS,)
    proposed = by_key[DL39314]
    assert (proposed.revision_history, proposed.related_documents, proposed.contractors) == (
        (),
        (),
        (),
    )


def test_dates_with_a_time_or_in_iso_form(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.lcd[0].update(orig_det_eff_date="11/01/2022 00:00:00", last_updated="2022-09-07")
    final = records(fx.write_download(tmp_path, tables.files()))[L39314]
    assert (final.dates.original_effective, final.dates.last_updated) == (
        "2022-11-01",
        "2022-09-07",
    )
    assert final.dates.revision_effective is None  # "" is null


# --- reading the CSV --------------------------------------------------------------------


def test_documents_are_canonical_json_with_their_provenance(download: Path) -> None:
    raw = documents(download)[L39314]
    data = json.loads(raw.content)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert raw.content == canonical.encode("utf-8")
    assert (data["format"], data["dataset"]) == (DOWNLOAD_ROW_FORMAT, "current_lcd")
    assert data["lcd"]["draft_released_date"] == ""
    assert len(data["lcd"]) == 48
    assert raw.source == f"{download}#lcd.csv?lcdid=39314&ver=7"
    assert raw.media_type == "application/json"
    assert raw.fetched_at.endswith("+00:00")
    assert "requestor" not in raw.content.decode()


@pytest.mark.parametrize("layout", FILES_BY_LAYOUT)
def test_outer_zip_inner_zip_and_folder_give_the_same_documents(
    tmp_path: Path, layout: str
) -> None:
    files = fx.default_tables().files()
    reference, folder = tmp_path / "reference", tmp_path / "layout"
    reference.mkdir()
    folder.mkdir()
    expected = [raw.content for raw in iter_download_documents(fx.write_download(reference, files))]
    path = FILES_BY_LAYOUT[layout](folder, files)
    assert [raw.content for raw in iter_download_documents(path)] == expected
    assert count_download_documents(path) == len(expected) == 2


def test_a_newline_inside_an_html_field_survives(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.lcd[0]["keywords"] = "<p>first line\r\nsecond line</p>\n<p>third</p>"
    path = fx.write_download(tmp_path, tables.files())
    assert count_download_documents(path) == 2  # records, not physical lines
    raw = documents(path)[L39314]
    assert json.loads(raw.content)["lcd"]["keywords"].startswith("<p>first line\r\nsecond line")
    keywords = mcd_download.extract(raw).section("Keywords")
    assert keywords is not None
    assert keywords.text == "first line second line\nthird"


def test_a_cp1252_byte_in_one_row_does_not_fail_the_file(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.lcd[0]["title"] = "IVIG DASH café"
    files = tables.files()
    files["lcd.csv"] = files["lcd.csv"].replace(b"DASH", b"\x96")
    by_key = records(fx.write_download(tmp_path, files))
    assert by_key[L39314].title == "IVIG \u2013 café"  # cp1252 byte decoded, UTF-8 kept
    assert by_key[DL39314].title == "Off-Label Use of Intravenous Immune Globulin (IVIG)"


def test_a_byte_order_mark_before_the_header_is_dropped(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.bom = True
    files = tables.files()
    assert files["lcd.csv"].startswith(b"\xef\xbb\xbf")
    assert set(documents(fx.write_download(tmp_path, files))) == {L39314, DL39314}


def test_columns_are_read_by_header_name_in_any_order(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.lcd_columns = tuple(reversed(fx.LCD_COLUMNS))
    raw = documents(fx.write_download(tmp_path, tables.files()))[L39314]
    assert json.loads(raw.content)["lcd"] == fx.lcd_row(fx.api_record(fx.FINAL_FILE))


def test_the_headerless_requestor_letters_file_is_ignored(tmp_path: Path) -> None:
    files = fx.default_tables().files()
    assert files["lcd_x_requestor_letters.csv"].startswith(b"39314,7,1,NGS Medical Directors")
    found = documents(fx.write_download(tmp_path, files))
    assert set(found) == {L39314, DL39314}
    assert b"NGS Medical Directors" not in found[L39314].content


def test_absent_companion_tables_are_null_not_empty(tmp_path: Path) -> None:
    files = {"lcd.csv": fx.default_tables().files()["lcd.csv"]}
    raw = documents(fx.write_csv_zip(tmp_path / "current_lcd_csv.zip", files))[L39314]
    data = json.loads(raw.content)
    assert [data[k] for k in ("revision_history", "related_documents", "contractors")] == [
        None,
        None,
        None,
    ]
    assert mcd_download.extract(raw).related_documents == ()


def test_contractor_names_need_the_contractor_table(tmp_path: Path) -> None:
    files = fx.default_tables().files()
    del files["contractor.csv"], files["contractor_type_lookup.csv"]
    raw = documents(fx.write_download(tmp_path, files))[L39314]
    assert len(json.loads(raw.content)["contractors"]) == 22  # the links are kept
    assert mcd_download.extract(raw).contractors == ()


# --- errors -------------------------------------------------------------------------------


def _truncated(tmp_path: Path) -> Path:
    path = fx.write_download(tmp_path, fx.default_tables().files())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _corrupt_member(tmp_path: Path) -> Path:
    """A zip whose lcd.csv data is damaged but whose directory is intact (CRC fails)."""
    path = fx.write_csv_zip(tmp_path / "current_lcd_csv.zip", fx.default_tables().files())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("lcd.csv")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start : start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    return path


def _article_download(tmp_path: Path) -> Path:
    files = {"article.csv": fx.csv_bytes(("article_id", "article_version"), [])}
    return fx.write_download(tmp_path, files, name="current_article")


def _no_lcd_table(tmp_path: Path) -> Path:
    files = fx.default_tables().files()
    del files["lcd.csv"]
    return fx.write_folder(tmp_path / "current_lcd_csv", files)


def _not_a_zip(tmp_path: Path) -> Path:
    path = tmp_path / "current_lcd.zip"
    path.write_text("<html>Please accept the licence</html>")
    return path


def _headerless_lcd_table(tmp_path: Path) -> Path:
    files = fx.default_tables().files()
    files["lcd.csv"] = files["lcd.csv"].split(b"\r\n", 1)[1]
    return fx.write_download(tmp_path, files)


def _two_downloads(tmp_path: Path) -> Path:
    path = tmp_path / "all_data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("current_lcd.zip", b"")
        archive.writestr("all_lcd.zip", b"")
    return path


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda tmp: tmp / "missing.zip", "missing.zip: no such file"),
        (_not_a_zip, "current_lcd.zip: not a zip file; expected an MCD LCD download"),
        (_truncated, "current_lcd.zip: truncated or corrupt zip"),
        (_corrupt_member, "truncated or corrupt zip"),
        (_article_download, "current_article_csv.zip: no lcd.csv (article.csv)"),
        (_no_lcd_table, "current_lcd_csv: no lcd.csv in this folder"),
        (_headerless_lcd_table, "lcd.csv: no lcd_id, lcd_version column in the header"),
        (_two_downloads, "holds several zips (current_lcd.zip, all_lcd.zip)"),
    ],
    ids=[
        "missing",
        "not-a-zip",
        "truncated",
        "corrupt-member",
        "article-download",
        "no-lcd-csv",
        "headerless-lcd-csv",
        "several-downloads",
    ],
)
def test_bad_downloads_raise_fetch_error_with_the_reason(
    tmp_path: Path, build: Callable[[Path], Path], message: str
) -> None:
    path = build(tmp_path)
    with pytest.raises(FetchError) as raised:
        list(iter_download_documents(path))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_row_without_the_narrative_column_is_a_layout_change(tmp_path: Path) -> None:
    tables = fx.default_tables()
    tables.lcd_columns = tuple(c for c in fx.LCD_COLUMNS if c != "indication")
    raw = documents(fx.write_download(tmp_path, tables.files()))[L39314]
    with pytest.raises(LayoutChanged, match="lacks indication"):
        mcd_download.extract(raw)


def test_other_json_is_not_a_download_row() -> None:
    api = RawDocument(content=fx.FINAL_FILE.read_bytes(), source="api.json")
    assert not mcd_download.sniff(api)
    with pytest.raises(NotAnLcd, match="not an MCD download row"):
        mcd_download.extract(api)


def test_download_rows_are_sniffed(download: Path) -> None:
    assert all(mcd_download.sniff(raw) for raw in iter_download_documents(download))


@pytest.mark.skipif("mcd-download" not in EXTRACTORS, reason="registered by lcdtrack.extractors")
def test_the_registry_picks_mcd_download_for_download_rows(download: Path) -> None:
    raw = documents(download)[L39314]
    assert extractor_for(raw).name == "mcd-download"
    api = RawDocument(content=fx.FINAL_FILE.read_bytes(), source="api.json")
    assert extractor_for(api).name == "coverage-api"


# --- memory -------------------------------------------------------------------------------


def _large_download(folder: Path, rows: int) -> tuple[Path, int]:
    """An outer zip whose lcd.csv has `rows` LCDs of ~2.5 KB each, written as a stream."""
    template = fx.lcd_row(fx.api_record(fx.FINAL_FILE))
    template["indication"] = "<p>Indication text, " + "criteria and doses " * 120 + "</p>"
    inner = folder / "all_lcd_csv.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("lcd.csv", "w") as member:
            text = io.TextIOWrapper(member, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(fx.LCD_COLUMNS)
            for number in range(rows):
                for name in fx.NARRATIVE_FIELDS:
                    template[name] = template["indication"] if name == "indication" else ""
                template["lcd_id"] = str(40000 + number)
                writer.writerow([template[c] for c in fx.LCD_COLUMNS])
            text.flush()
            text.detach()
        size = archive.getinfo("lcd.csv").file_size
    outer = folder / "all_lcd.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, inner.name)
    return outer, size


def test_memory_stays_bounded_while_streaming_a_large_lcd_csv(tmp_path: Path) -> None:
    path, size = _large_download(tmp_path, rows=5000)
    assert size > 10_000_000
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with LcdDownload(path) as opened:
            assert opened.count() == 5000
            count = sum(1 for _ in opened.documents())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 5000
    assert peak < size / 20, f"peak {peak:,} bytes for a {size:,}-byte lcd.csv"
    assert time.perf_counter() - started < 5
