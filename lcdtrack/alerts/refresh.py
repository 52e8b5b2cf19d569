"""The first half of a check: bring what the watches cover up to date in the snapshot store.

    watches → CMS reports (sync.plan) → fetch what changed → ingest (snapshot + change log)

* Document watches (L39314, DL39314, A59105) and the stored documents that keyword and code
  watches match are looked up in the CMS report of their kind; a version whose report row is
  unchanged since it was stored costs no request (the same bookkeeping `fetch --all` keeps).
  Ids a report does not list (articles, mostly) are fetched by id (`pipeline.fetch_all`).
* Contractor and state watches are report queries (`sync.plan` with the report's filters).
* Everything to fetch is fetched `workers` at a time and ingested in this thread as it
  arrives. Each failure is kept with its exception, so a `LayoutChanged` (ingest refused a
  record that looks like a layout change) can be told from a network error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from lcdtrack import pipeline, sync
from lcdtrack.errors import LcdtrackError
from lcdtrack.fetch.coverage_api import CoverageApiClient, ReportRow
from lcdtrack.models import RawDocument
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.alert_store import AlertStore, Watch

REPORT_FILTERS = {"contractor": "contractor_id", "state": "state_id"}
STORED_KINDS = ("keyword", "code")


@dataclass
class Coverage:
    """What a check covered. `watchers` maps a subject (a document id, or a watch whose report
    query failed) to the watches covering it; `failures` holds what could not be checked."""

    watchers: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    failures: dict[str, LcdtrackError] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    fetched: int = 0
    skipped: int = 0

    def cover(self, subject: str, watch: Watch) -> None:
        self.watchers[subject].add(watch.id)

    def fail(self, subject: str, error: LcdtrackError) -> None:
        self.failures[subject] = error
        self.checked.discard(subject)

    def succeed(self, subject: str) -> None:
        if subject not in self.failures:
            self.checked.add(subject)


def refresh(
    store: SnapshotStore,
    alerts: AlertStore,
    api: CoverageApiClient,
    watches: list[Watch],
    workers: int = sync.DEFAULT_WORKERS,
) -> Coverage:
    coverage = Coverage()
    by_id: dict[str, list[Watch]] = defaultdict(list)
    for watch in watches:
        if watch.kind == "document":
            by_id[watch.value].append(watch)
        elif watch.kind in STORED_KINDS:
            for document_id in stored_matches(alerts, watch):
                by_id[document_id].append(watch)
    for document_id, covering in by_id.items():
        for watch in covering:
            coverage.cover(document_id, watch)
    queue, direct = _plan_ids(store, api, list(by_id), coverage)
    for watch in watches:
        if watch.kind in REPORT_FILTERS:
            queue += _plan_report_watch(store, api, watch, coverage)
    _fetch_rows(store, api, queue, workers, coverage)
    _fetch_ids(store, api, direct, coverage)
    for watch in watches:  # documents stored just now may match a keyword or code
        if watch.kind in STORED_KINDS:
            for document_id in stored_matches(alerts, watch):
                coverage.cover(document_id, watch)
    return coverage


def stored_matches(alerts: AlertStore, watch: Watch) -> set[str]:
    if watch.kind == "code":
        return alerts.documents_with_code(watch.value)
    return alerts.documents_matching(watch.value)


def report_kind(document_id: str) -> str:
    """The CMS report that lists a document: final LCDs, proposed LCDs or articles."""
    if document_id.startswith("DL"):
        return "proposed"
    return "article" if document_id.startswith(("A", "DA")) else "final"


def _plan_ids(
    store: SnapshotStore, api: CoverageApiClient, ids: list[str], coverage: Coverage
) -> tuple[list[ReportRow], list[str]]:
    """Report rows to fetch for these ids, and the ids no report lists (fetched by id)."""
    queue: list[ReportRow] = []
    direct: list[str] = []
    by_kind: dict[str, list[str]] = defaultdict(list)
    for document_id in ids:
        by_kind[report_kind(document_id)].append(document_id)
    for kind, kind_ids in by_kind.items():
        try:
            plan = sync.plan(store, api, (kind,))
        except LcdtrackError as error:
            for document_id in kind_ids:
                coverage.fail(document_id, error)
            continue
        listed = {row.public_id for row in plan.rows}
        stale = {(row.public_id, row.version) for row in plan.to_fetch}
        for document_id in kind_ids:
            if document_id not in listed:
                direct.append(document_id)
                continue
            rows = [row for row in plan.rows if row.public_id == document_id]
            fresh = [row for row in rows if (row.public_id, row.version) in stale]
            queue += fresh
            if not fresh:
                coverage.skipped += 1
                coverage.succeed(document_id)
    return queue, direct


def _plan_report_watch(
    store: SnapshotStore, api: CoverageApiClient, watch: Watch, coverage: Coverage
) -> list[ReportRow]:
    filters = {REPORT_FILTERS[watch.kind]: watch.value}
    try:
        plan = sync.plan(store, api, watch.report_kinds, filters)
    except LcdtrackError as error:
        coverage.cover(watch.label, watch)
        coverage.fail(watch.label, error)
        return []
    coverage.succeed(watch.label)
    stale = {(row.public_id, row.version) for row in plan.to_fetch}
    for row in plan.rows:
        coverage.cover(row.public_id, watch)
        if (row.public_id, row.version) not in stale:
            coverage.succeed(row.public_id)
    coverage.skipped += plan.skipped
    return plan.to_fetch


def _fetch_rows(
    store: SnapshotStore,
    api: CoverageApiClient,
    rows: Iterable[ReportRow],
    workers: int,
    coverage: Coverage,
) -> None:
    """Fetch report rows concurrently; ingest each in this thread (the store is not shared)."""
    unique = {(row.public_id, row.version): row for row in rows}
    if not unique:
        return
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures: dict[Future[RawDocument], ReportRow] = {
            pool.submit(_fetch_row, api, row): row for row in unique.values()
        }
        for future in as_completed(futures):
            row = futures[future]
            coverage.fetched += 1
            try:
                pipeline.ingest(store, future.result())
            except LcdtrackError as error:
                coverage.fail(row.public_id, error)
                continue
            store.record_report_state(row.public_id, row.version, row.updated_on)
            coverage.succeed(row.public_id)


def _fetch_row(api: CoverageApiClient, row: ReportRow) -> RawDocument:
    if row.kind == "article":
        return api.article_document(row.document_id, row.version, row.public_id)
    return api.lcd_document(row.document_id, row.version, row.public_id, row.row)


def _fetch_ids(
    store: SnapshotStore, api: CoverageApiClient, ids: list[str], coverage: Coverage
) -> None:
    for document_id in ids:
        coverage.fetched += 1
        for outcome in pipeline.fetch_all(store, [document_id], api=api):
            if outcome.error is not None:
                coverage.fail(document_id, outcome.error)
            else:
                coverage.succeed(document_id)
