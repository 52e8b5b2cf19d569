"""The pipeline, in order: fetch → extract → save → compare. The only module that knows the order.

Functions here return data and print nothing; `lcdtrack.cli` renders what they return.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path

from lcdtrack.diff import at_least, cms_statements, compare, disagreements
from lcdtrack.errors import LcdtrackError, NotFound
from lcdtrack.extractors import extract
from lcdtrack.fetch import fetch_source
from lcdtrack.fetch.bulk import LcdDownload
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.fetch.mcd_site import fetch_page, is_mcd_page_url
from lcdtrack.models import Comparison, LcdDocument, RawDocument, Snapshot, SnapshotRef
from lcdtrack.snapshots import ChangeLog, SaveResult, SnapshotStore

_REFERENCE = re.compile(r"^(?P<id>D?[LA]\d{4,6})(?:@(?P<version>\d+))?$", re.IGNORECASE)
DEMO_FILES = ("DL39314_v19.coverage-api.json", "L39314_v7.coverage-api.json")


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one source: saved (new or already stored), or the error it raised."""

    source: str
    result: SaveResult | None = None
    error: LcdtrackError | None = None


def ingest(store: SnapshotStore, raw: RawDocument, extractor: str | None = None) -> SaveResult:
    """Extract a raw document and save it with its changes from the previous snapshot.

    Nothing is written unless extraction succeeds and the record compares sanely with its
    predecessor: a record that looks like a layout change (`LayoutChanged`) is refused, so it
    never becomes the document's current version.
    """
    chosen, record = extract(raw, extractor)
    before, after = store.neighbours(record.public_id, record.version)
    log = change_log(before, record) if before else None
    relink = partial(_relink, after) if after is not None else None
    return store.save(raw, record, chosen.name, chosen.version, log, relink)


def _relink(successor: Snapshot, saved: Snapshot) -> tuple[Snapshot, ChangeLog]:
    """The successor of a version stored out of order, with its changes from that version."""
    return successor, change_log(saved, successor.record)


def change_log(previous: Snapshot, record: LcdDocument) -> ChangeLog:
    """The changes from `previous` to `record`, with CMS's account and the disagreements."""
    changes = compare(previous.record, record)
    statements = cms_statements(previous.record, record)
    return ChangeLog(previous, tuple(changes), statements, disagreements(statements, changes))


def fetch_all(
    store: SnapshotStore,
    sources: list[str],
    extractor: str | None = None,
    api: CoverageApiClient | None = None,
) -> Iterator[FetchOutcome]:
    """Fetch, extract and save each source; a failing source does not stop the others.

    A source is an id (L39314, L39314@7, DL39314, A59105), fetched from the Coverage API, or a
    local file.
    """
    for source in sources:
        try:
            raws = _fetch_source(source, api)
        except LcdtrackError as error:
            yield FetchOutcome(source, error=error)
            continue
        for raw in raws:
            try:
                yield FetchOutcome(source, result=ingest(store, raw, extractor))
            except LcdtrackError as error:
                yield FetchOutcome(source, error=error)


def _fetch_source(source: str, api: CoverageApiClient | None) -> list[RawDocument]:
    if _REFERENCE.match(source.strip()) or is_mcd_page_url(source):
        if api is None:
            raise LcdtrackError(f"{source}: fetching from CMS needs the Coverage API client")
        if is_mcd_page_url(source):
            return [fetch_page(source, api.http)]
        document_id, version = parse_reference(source)
        return api.fetch(document_id, version)
    return [fetch_source(source)]


def parse_reference(reference: str) -> tuple[str, int | None]:
    """ "L39314@7" → ("L39314", 7); "dl39314" → ("DL39314", None)."""
    match = _REFERENCE.match(reference.strip())
    if not match:
        raise LcdtrackError(
            f"{reference!r} is not an LCD id; write it as L39314, DL39314 or L39314@7"
        )
    version = match["version"]
    return match["id"].upper(), int(version) if version else None


def resolve(store: SnapshotStore, reference: str) -> Snapshot:
    document_id, version = parse_reference(reference)
    return store.latest(document_id, version)


def diff(
    store: SnapshotStore, old: str, new: str | None = None, min_severity: str = "low"
) -> Comparison:
    """Compare two stored snapshots; with one reference, its two latest snapshots."""
    if new is None:
        document_id, _ = parse_reference(old)
        snapshots = store.history(document_id)
        if len(snapshots) < 2:
            raise NotFound(f"{document_id}: only one snapshot stored; nothing to compare yet")
        before, after = snapshots[-2], snapshots[-1]
    else:
        before, after = resolve(store, old), resolve(store, new)
    return compare_snapshots(before, after, min_severity)


def diff_proposed(store: SnapshotStore, final: str, min_severity: str = "low") -> Comparison:
    """The proposed LCD a final LCD came from, against the first stored version of the final."""
    document_id, _ = parse_reference(final)
    first = store.history(document_id)[0]
    proposed_id = first.record.source_proposed_id or store.proposed_for(document_id)
    if not proposed_id:
        raise NotFound(
            f"{document_id}: no source proposed LCD is known; fetch the proposed LCD "
            f"(e.g. lcdtrack fetch DL{document_id[1:]}) or name both: "
            f"lcdtrack diff DL… {document_id}"
        )
    return compare_snapshots(store.latest(proposed_id), first, min_severity)


def compare_snapshots(before: Snapshot, after: Snapshot, min_severity: str = "low") -> Comparison:
    """Changes from `before` to `after`, CMS's statements and the disagreements between them.

    Disagreements are judged on every change; `min_severity` only trims what is listed.
    """
    log = change_log(before, after.record)
    return Comparison(
        old=SnapshotRef.of(before.record, before),
        new=SnapshotRef.of(after.record, after),
        changes=tuple(at_least(log.changes, min_severity)),
        cms_statements=log.statements,
        disagreements=log.disagreements,
    )


def demo_sources() -> list[RawDocument]:
    """The bundled proposed DL39314 and final L39314 (Coverage API responses, package data)."""
    folder = resources.files("lcdtrack") / "data"
    return [
        RawDocument(
            content=(folder / name).read_bytes(),
            source=f"lcdtrack:data/{name}",
            media_type="application/json",
        )
        for name in DEMO_FILES
    ]


def demo(store: SnapshotStore) -> Comparison:
    """Load the bundled pair into `store` and compare proposed → final. No network."""
    proposed, final = (ingest(store, raw).snapshot for raw in demo_sources())
    return compare_snapshots(proposed, final)


def open_download(path: Path) -> LcdDownload:
    """An MCD bulk download: current_lcd.zip / all_lcd.zip, its inner *_csv.zip, or a folder."""
    return LcdDownload(path)


def import_download(
    store: SnapshotStore, download: LcdDownload, extractor: str | None = None
) -> Iterator[FetchOutcome]:
    """Extract and save every LCD version of a download; a failing row does not stop the rest.

    Each version is saved in its own transaction as it is read, so an interrupted import keeps
    what it stored and a re-run adds only what is missing (identical content is deduplicated).
    """
    for raw in download.documents():
        try:
            yield FetchOutcome(raw.source, result=ingest(store, raw, extractor))
        except LcdtrackError as error:
            yield FetchOutcome(raw.source, error=error)


@dataclass(frozen=True)
class ReextractOutcome:
    raw_hash: str
    source: str
    result: SaveResult | None = None
    error: LcdtrackError | None = None


def reextract(store: SnapshotStore) -> Iterator[ReextractOutcome]:
    """Run today's extractors over every stored raw source. A record that differs from what is
    stored becomes a new snapshot linked to the same raw bytes; nothing is rewritten or lost."""
    for raw_hash, source in store.raw_sources():
        raw = RawDocument(content=store.raw(raw_hash), source=source)
        try:
            yield ReextractOutcome(raw_hash, source, result=ingest(store, raw))
        except LcdtrackError as error:
            yield ReextractOutcome(raw_hash, source, error=error)
