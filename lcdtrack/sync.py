"""`sync`: bring the store up to date with everything a CMS report lists (`lcdtrack fetch --all`).

Reads the report endpoints (final LCDs, proposed LCDs, articles), skips every version whose
report row is unchanged since it was stored (no per-document request at all), fetches the rest
with bounded concurrency and saves each as it arrives. One failing document never stops the
run; it is reported and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Literal

from lcdtrack.errors import LcdtrackError
from lcdtrack.fetch.coverage_api import CoverageApiClient, ReportRow
from lcdtrack.models import RawDocument
from lcdtrack.pipeline import ingest
from lcdtrack.snapshots import SnapshotStore

Outcome = Literal["new", "changed", "unchanged", "failed"]
DEFAULT_WORKERS = 4


@dataclass(frozen=True)
class SyncPlan:
    """What a sync will do: all report rows it covers, and the ones it must fetch."""

    rows: list[ReportRow]
    to_fetch: list[ReportRow]

    @property
    def skipped(self) -> int:
        return len(self.rows) - len(self.to_fetch)


@dataclass(frozen=True)
class SyncEvent:
    row: ReportRow
    outcome: Outcome
    label: str = ""
    error: str | None = None


def plan(
    store: SnapshotStore,
    api: CoverageApiClient,
    kinds: tuple[str, ...] = ("final",),
    filters: dict[str, str] | None = None,
) -> SyncPlan:
    """Read the reports and decide which versions need fetching."""
    seen = store.report_state()
    rows: list[ReportRow] = []
    for kind in kinds:
        rows.extend(api.report(kind, **(filters or {})))
    unique = {(r.public_id, r.version): r for r in rows}
    to_fetch = [
        row for key, row in unique.items() if seen.get(key) is None or seen[key] != row.updated_on
    ]
    return SyncPlan(rows=list(unique.values()), to_fetch=to_fetch)


def run(
    store: SnapshotStore,
    api: CoverageApiClient,
    sync_plan: SyncPlan,
    workers: int = DEFAULT_WORKERS,
) -> Iterator[SyncEvent]:
    """Fetch what the plan says, `workers` at a time; save in this thread as results arrive."""
    known = store.document_ids()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures: dict[Future[list[RawDocument]], ReportRow] = {
            pool.submit(_fetch_row, api, row): row for row in sync_plan.to_fetch
        }
        for future in as_completed(futures):
            row = futures[future]
            try:
                raws = future.result()
                results = [ingest(store, raw) for raw in raws]
            except LcdtrackError as error:
                yield SyncEvent(row, "failed", f"{row.public_id}@{row.version}", str(error))
                continue
            store.record_report_state(row.public_id, row.version, row.updated_on)
            created = any(result.created for result in results)
            outcome: Outcome = (
                "unchanged" if not created else "changed" if row.public_id in known else "new"
            )
            known.add(row.public_id)
            yield SyncEvent(row, outcome, results[0].snapshot.label if results else row.public_id)


def _fetch_row(api: CoverageApiClient, row: ReportRow) -> list[RawDocument]:
    if row.kind == "article":
        return [api.article_document(row.document_id, row.version, row.public_id)]
    return [api.lcd_document(row.document_id, row.version, row.public_id, row.row)]
