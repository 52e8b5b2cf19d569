"""MCD bulk downloads → one `RawDocument` per LCD version (one row of `lcd.csv`).

    fetch (here) → extract (`mcd-download`) → snapshot store → diff → report

CMS publishes the Medicare Coverage Database weekly as zips (MCD-FORMATS.md §5): `current_lcd.zip`
and `all_lcd.zip` hold an inner `{name}_csv.zip` with one CSV per table, plus an Access `.mdb`
and PDFs that are ignored here. `LcdDownload` opens such a zip, the inner csv zip itself, or a
folder of the extracted CSV files, and yields each `lcd.csv` row joined with its revision
history, related documents and contractors as one canonical JSON document
(`DOWNLOAD_ROW_FORMAT`), which the `mcd-download` extractor reads.

Memory stays bounded: the small `lcd_x_*` tables are loaded into dicts keyed by
`(lcd_id, lcd_version)` and `lcd.csv` (~50 MB) is streamed row by row. A nested inner zip is
first copied to a temporary file, because a zip read from inside a compressed member would be
decompressed again on every backward seek.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import tempfile
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from lcdtrack.errors import FetchError
from lcdtrack.models import DOWNLOAD_ROW_FORMAT, RawDocument

"""The raw source kept for one LCD version of a bulk download: one JSON object

    {"format": DOWNLOAD_ROW_FORMAT, "dataset": "current_lcd", "lcd": {<lcd.csv row>},
     "revision_history": [<lcd_x_revision_history rows>], "related_documents": [<rows>],
     "contractors": [<lcd_x_contractor rows>]}

Values are the CSV strings (header names lower-cased). A companion list is null when the
download has no such table. Contractor rows gain `contractor_bus_name`, `contractor_number`
(from `contractor.csv`) and `contractor_type_description` (`contractor_type_lookup.csv`) when
those tables are present.
"""

LCD_TABLE = "lcd.csv"
REVISION_HISTORY_TABLE = "lcd_x_revision_history.csv"
RELATED_DOCUMENTS_TABLE = "lcd_related_documents.csv"
CONTRACTOR_LINK_TABLE = "lcd_x_contractor.csv"
CONTRACTOR_TABLE = "contractor.csv"
CONTRACTOR_TYPE_TABLE = "contractor_type_lookup.csv"
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
"""Largest CSV field accepted; narrative HTML fields exceed the csv module's 128 KiB default."""

_KEY_COLUMNS = ("lcd_id", "lcd_version")
_CONTRACTOR_KEY = ("contractor_id", "contractor_type_id", "contractor_version")
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError)
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
_CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]
_EXPECTED = (
    "expected an MCD LCD download (current_lcd.zip, all_lcd.zip), its inner *_csv.zip or a "
    "folder of its CSV files"
)

Row = dict[str, str]
Key = tuple[str, ...]
Opener = Callable[[], IO[bytes]]


class LcdDownload:
    """An opened MCD LCD download. Use as a context manager; `documents()` streams the rows.

    Opening checks the layout (zip, nested zip or folder; `lcd.csv` present) and raises
    `FetchError` with a one-line reason; a corrupt member found while reading raises it too.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stack = contextlib.ExitStack()
        try:
            self._tables, self.dataset = self._open(path)
        except BaseException:
            self._stack.close()
            raise
        self.fetched_at = _modified_at(path)

    def __enter__(self) -> LcdDownload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def count(self) -> int:
        """The number of LCD versions (`lcd.csv` records, quote-aware), for a progress bar."""
        with self._reader(LCD_TABLE) as reader:
            next(reader, None)
            return sum(1 for fields in reader if fields)

    def documents(self) -> Iterator[RawDocument]:
        """One `RawDocument` per `lcd.csv` row, in file order, with its joined companions."""
        history = self._joined(REVISION_HISTORY_TABLE)
        related = self._joined(RELATED_DOCUMENTS_TABLE)
        contractors = self._contractors()
        for number, row in enumerate(self._rows(LCD_TABLE, _KEY_COLUMNS), start=1):
            key = _key(row, _KEY_COLUMNS)
            content = {
                "format": DOWNLOAD_ROW_FORMAT,
                "dataset": self.dataset,
                "lcd": row,
                "revision_history": _lookup(history, key),
                "related_documents": _lookup(related, key),
                "contractors": _lookup(contractors, key),
            }
            yield RawDocument(
                content=_canonical_json(content),
                source=self._source(key, number),
                media_type="application/json",
                fetched_at=self.fetched_at,
            )

    def _open(self, path: Path) -> tuple[dict[str, Opener], str]:
        """The table openers by lower-case file name, and the dataset name ("current_lcd")."""
        if path.is_dir():
            tables = _folder_tables(path)
            if LCD_TABLE not in tables:
                raise FetchError(f"{path}: no {LCD_TABLE} in this folder; {_EXPECTED}")
            return tables, _dataset_name(path.name)
        archive = self._stack.enter_context(_open_zip(path, str(path)))
        tables = _zip_tables(archive)
        if LCD_TABLE in tables:
            return tables, _dataset_name(path.stem)
        return self._open_inner(archive, _inner_csv_zip(archive, path, tables))

    def _open_inner(
        self, archive: zipfile.ZipFile, inner: zipfile.ZipInfo
    ) -> tuple[dict[str, Opener], str]:
        """The nested `{name}_csv.zip`, copied to a temporary file so that seeking is cheap."""
        label = f"{self.path}!{inner.filename}"
        # The exit stack closes the copy, hence no `with`.
        copy = self._stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        with _zip_errors(label), archive.open(inner) as member:
            shutil.copyfileobj(member, copy)
        copy.seek(0)
        tables = _zip_tables(self._stack.enter_context(_open_zip(copy, label)))
        if LCD_TABLE not in tables:
            raise FetchError(f"{label}: {_not_lcd(tables)}")
        return tables, _dataset_name(PurePosixPath(inner.filename).stem)

    @contextlib.contextmanager
    def _reader(self, table: str) -> Iterator[Iterator[list[str]]]:
        """A quote-aware CSV reader over one table, streamed: UTF-8 (a BOM dropped), with bytes
        that are not UTF-8 kept as surrogates for `_repair` to decode as cp1252."""
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
        with (
            _zip_errors(str(self.path)),
            self._tables[table]() as binary,
            io.TextIOWrapper(
                binary, encoding="utf-8-sig", errors="surrogateescape", newline=""
            ) as text,
        ):
            reader = csv.reader(text)
            try:
                yield reader
            except csv.Error as error:
                raise FetchError(
                    f"{self.path}#{table}: malformed CSV at line {reader.line_num} ({error})"
                ) from None

    def _rows(self, table: str, required: tuple[str, ...]) -> Iterator[Row]:
        """The rows of a table as dicts by (lower-case) header name; blank lines skipped."""
        with self._reader(table) as reader:
            header = [_header_name(name) for name in next(reader, [])]
            missing = [name for name in required if name not in header]
            if missing:
                shown = ", ".join(_short(name) for name in header[:6]) or "empty file"
                raise FetchError(
                    f"{self.path}#{table}: no {', '.join(missing)} column in the header row "
                    f"(it reads: {shown}); a missing header or a changed download layout"
                )
            for fields in reader:
                if fields:
                    yield _row(header, fields)

    def _joined(self, table: str) -> dict[Key, list[Row]] | None:
        """A small `lcd_x_*` table grouped by (lcd_id, lcd_version), or None if absent."""
        if table not in self._tables:
            return None
        grouped: dict[Key, list[Row]] = defaultdict(list)
        for row in self._rows(table, _KEY_COLUMNS):
            grouped[_key(row, _KEY_COLUMNS)].append(row)
        return dict(grouped)

    def _contractors(self) -> dict[Key, list[Row]] | None:
        """`lcd_x_contractor` rows with the contractor's name, number and type description.

        `contractor.csv` and `contractor_type_lookup.csv` only add names: when either is absent
        or lacks its key column the rows keep their ids and the import goes on.
        """
        links = self._joined(CONTRACTOR_LINK_TABLE)
        if links is None:
            return None
        contractors = self._index(CONTRACTOR_TABLE, "contractor_id")
        types = self._index(CONTRACTOR_TYPE_TABLE, "contractor_type_id")
        for row in (row for rows in links.values() for row in rows):
            contractor = contractors.get(_key(row, _CONTRACTOR_KEY)) or contractors.get(
                _key(row, _CONTRACTOR_KEY[:1])
            )
            _name_contractor(row, contractor, types.get(_key(row, ("contractor_type_id",))))
        return links

    def _index(self, table: str, column: str) -> dict[Key, Row]:
        """A lookup table by `column` (and, for contractors, by their full key), or {}."""
        if table not in self._tables:
            return {}
        index: dict[Key, Row] = {}
        for row in self._rows(table, ()):
            if column not in row:
                return {}
            index.setdefault((row[column].strip(),), row)
            if column == _CONTRACTOR_KEY[0]:
                index.setdefault(_key(row, _CONTRACTOR_KEY), row)
        return index

    def _source(self, key: Key, number: int) -> str:
        lcd_id, version = key
        if lcd_id and version:
            return f"{self.path}#{LCD_TABLE}?lcdid={lcd_id}&ver={version}"
        return f"{self.path}#{LCD_TABLE}:row {number}"


def iter_download_documents(path: Path) -> Iterator[RawDocument]:
    """Every LCD version of the download at `path` (zip, inner csv zip or folder), streamed.

    A generator: the download is opened, and a bad path reported, on the first `next()`.
    """
    with LcdDownload(path) as download:
        yield from download.documents()


def count_download_documents(path: Path) -> int:
    """How many documents `iter_download_documents(path)` yields (one pass over `lcd.csv`)."""
    with LcdDownload(path) as download:
        return download.count()


def _open_zip(source: Path | IO[bytes], label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except FileNotFoundError:
        raise FetchError(f"{label}: no such file") from None
    except PermissionError:
        raise FetchError(f"{label}: permission denied") from None
    except zipfile.BadZipFile as error:
        if _starts_like_zip(source):
            detail = "its end is missing: an interrupted download?"
            if str(error) != "File is not a zip file":
                detail = str(error)
            raise FetchError(f"{label}: truncated or corrupt zip ({detail})") from None
        raise FetchError(f"{label}: not a zip file; {_EXPECTED}") from None
    except OSError as error:
        raise FetchError(f"{label}: cannot read ({error.strerror or error})") from None


def _starts_like_zip(source: Path | IO[bytes]) -> bool:
    """True when the bytes open with a zip signature, i.e. a zip that lost its end."""
    if isinstance(source, Path):
        with source.open("rb") as file:
            head = file.read(4)
    else:
        source.seek(0)
        head = source.read(4)
    return head in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@contextlib.contextmanager
def _zip_errors(label: str) -> Iterator[None]:
    """Turn what a damaged or unusual zip raises while reading into `FetchError`."""
    try:
        yield
    except _CORRUPT as error:
        raise FetchError(f"{label}: truncated or corrupt zip ({error})") from None
    except NotImplementedError as error:
        raise FetchError(
            f"{label}: {error}; extract the zip with another tool and pass the folder"
        ) from None
    except OSError as error:
        raise FetchError(f"{label}: cannot read ({error.strerror or error})") from None


def _zip_tables(archive: zipfile.ZipFile) -> dict[str, Opener]:
    """Openers for the CSV members, by lower-case file name (folders inside the zip ignored)."""
    tables: dict[str, Opener] = {}
    for info in archive.infolist():
        name = PurePosixPath(info.filename).name.lower()
        if name.endswith(".csv") and not info.is_dir():
            tables.setdefault(name, _member_opener(archive, info))
    return tables


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Opener:
    return lambda: archive.open(info)


def _folder_tables(folder: Path) -> dict[str, Opener]:
    return {
        path.name.lower(): _file_opener(path)
        for path in sorted(folder.iterdir())
        if path.suffix.lower() == ".csv" and path.is_file()
    }


def _file_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _inner_csv_zip(
    archive: zipfile.ZipFile, path: Path, tables: dict[str, Opener]
) -> zipfile.ZipInfo:
    """The one nested `*_csv.zip` (or, failing that, the one nested zip) of an outer download."""
    zips = [i for i in archive.infolist() if i.filename.lower().endswith(".zip")]
    candidates = [i for i in zips if i.filename.lower().endswith("_csv.zip")] or zips
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        names = ", ".join(PurePosixPath(i.filename).name for i in candidates)
        raise FetchError(f"{path}: holds several zips ({names}); extract the LCD one and pass it")
    if tables:
        raise FetchError(f"{path}: {_not_lcd(tables)}")
    raise FetchError(f"{path}: no {LCD_TABLE} and no inner *_csv.zip; {_EXPECTED}")


def _not_lcd(tables: dict[str, Opener]) -> str:
    shown = ", ".join(sorted(tables)[:5]) or "no CSV files"
    return f"no {LCD_TABLE} ({shown}); {_EXPECTED}"


def _dataset_name(stem: str) -> str:
    """ "current_lcd_csv" → "current_lcd": the name CMS gives the download."""
    return stem[: -len("_csv")] if stem.lower().endswith("_csv") else stem


def _modified_at(path: Path) -> str:
    """When the download was saved (file time, UTC): the best "fetched at" a local file has."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return stamp.isoformat(timespec="seconds")


def _header_name(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _short(text: str, limit: int = 40) -> str:
    """A header cell fit for a one-line message (a header-less file shows data there)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(header: list[str], fields: list[str]) -> Row:
    """Fields by header name; a short row is padded with "", fields past the header dropped."""
    padded = fields + [""] * (len(header) - len(fields))
    return {name: _repair(value) for name, value in zip(header, padded, strict=False)}


def _repair(value: str) -> str:
    """Decode the bytes that were not UTF-8 (kept as surrogates) as cp1252, run by run.

    A row from a Windows-1252 export (an en dash written as byte 0x96) then reads correctly
    without failing the file, and valid UTF-8 elsewhere in the same row is left as it was.
    """
    if value.isascii() or not _ESCAPED_BYTES.search(value):
        return value
    return _ESCAPED_BYTES.sub(_decode_cp1252, value)


def _decode_cp1252(match: re.Match[str]) -> str:
    data = match[0].encode("utf-8", errors="surrogateescape")
    return "".join(_CP1252[byte] for byte in data)


def _key(row: Row, columns: tuple[str, ...]) -> Key:
    return tuple(row.get(column, "").strip() for column in columns)


def _lookup(table: dict[Key, list[Row]] | None, key: Key) -> list[Row] | None:
    return None if table is None else table.get(key, [])


def _name_contractor(row: Row, contractor: Row | None, kind: Row | None) -> None:
    if contractor is not None:
        row["contractor_bus_name"] = contractor.get("contractor_bus_name", "")
        row["contractor_number"] = contractor.get("contractor_number", "")
    if kind is not None:
        row["contractor_type_description"] = kind.get("description", "")


def _canonical_json(data: Any) -> bytes:
    """Sorted keys, compact, UTF-8 kept (as `snapshots.canonical`): equal rows, equal bytes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")
