"""`check`: one run of the alert stage, under the database's check lock.

    refresh (fetch → ingest) → plan (what each notifier must hear) → record (outbox, one
    transaction) → deliver (send, then mark delivered)

Returns a `CheckResult` and prints nothing; the CLI renders it. `--dry-run` fetches and
stores snapshots like any check (the history only grows) but records no alert state and sends
nothing: it shows what a real check would send now.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from lcdtrack import sync
from lcdtrack.alerts.delivery import AfterSend, Comparisons, DeliveryResult, alert_item, deliver
from lcdtrack.alerts.locks import check_lock
from lcdtrack.alerts.message import Message
from lcdtrack.alerts.notifiers import Notifiers
from lcdtrack.alerts.plan import AlertPlan, Audience, plan_alerts
from lcdtrack.alerts.refresh import Coverage, refresh
from lcdtrack.errors import EXIT_CHANGES, EXIT_OK, EXIT_TROUBLE
from lcdtrack.fetch.coverage_api import CoverageApiClient
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.alert_store import AlertStore


@dataclass(frozen=True)
class CheckOptions:
    dry_run: bool = False
    digest: bool = False
    failures_before_alert: int = 3
    lock_wait: float = 10.0
    workers: int = sync.DEFAULT_WORKERS


@dataclass
class CheckResult:
    """What one check did: coverage, the alerts it planned, what was delivered."""

    watches: int
    coverage: Coverage
    plan: AlertPlan
    delivery: DeliveryResult = field(default_factory=DeliveryResult)
    planned: list[Message] = field(default_factory=list)
    undelivered: int = 0
    dry_run: bool = False

    @property
    def documents(self) -> int:
        return len(self.coverage.watchers)

    @property
    def failed(self) -> int:
        return len(self.coverage.failures)

    @property
    def exit_status(self) -> int:
        """2 if anything failed (a document, a delivery, the config), else 1 on changes, else 0."""
        if self.failed or self.delivery.failed or self.plan.problems:
            return EXIT_TROUBLE
        delivered = any(i.kind == "change" for m in self.delivery.sent for i in m.items)
        return EXIT_CHANGES if self.plan.changed or delivered else EXIT_OK

    @property
    def summary(self) -> str:
        c = self.coverage
        head = (
            f"{self.documents} documents checked for {self.watches} watches ({c.fetched} "
            f"fetched, {c.skipped} unchanged in the CMS reports): {len(self.plan.changed)} "
            f"changed, {self.failed} failed"
        )
        if self.dry_run:
            return f"{head}; dry run: {len(self.planned)} messages would be sent, nothing recorded"
        return f"{head}; {len(self.delivery.sent)} messages sent, {self.undelivered} undelivered"


def check(
    store: SnapshotStore,
    api: CoverageApiClient,
    notifiers: Notifiers,
    options: CheckOptions | None = None,
    after_send: AfterSend | None = None,
) -> CheckResult:
    """Run one check: fetch what the watches cover, then alert each notifier once per change."""
    options = options or CheckOptions()
    with _lock(store, options.lock_wait):
        alerts = AlertStore(store)
        watches = alerts.watches()
        coverage = refresh(store, alerts, api, watches, options.workers)
        comparisons = Comparisons(store)
        digest_key = f"digest:{store.clock()}:{uuid.uuid4().hex[:8]}" if options.digest else None
        plan = plan_alerts(
            alerts,
            coverage,
            Audience(watches, notifiers.names),
            comparisons,
            options.failures_before_alert,
            digest_key,
        )
        result = CheckResult(len(watches), coverage, plan, dry_run=options.dry_run)
        if options.dry_run:
            result.planned = preview(plan, comparisons, store.clock())
            result.undelivered = len(alerts.pending())
            return result
        alerts.record(plan.deliveries, plan.told, plan.failures, plan.recovered)
        result.delivery = deliver(alerts, notifiers, comparisons, after_send)
        result.undelivered = len(alerts.pending())
        return result


def preview(plan: AlertPlan, comparisons: Comparisons, now: str) -> list[Message]:
    """The messages a real check would send for this plan (dry run)."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for index, delivery in enumerate(plan.deliveries):
        grouped.setdefault((delivery.notifier, delivery.message_key), []).append(index)
    return [
        Message(
            name,
            key,
            tuple(alert_item(plan.deliveries[i], comparisons, now) for i in indexes),
        )
        for (name, key), indexes in grouped.items()
    ]


def _lock(store: SnapshotStore, wait: float) -> AbstractContextManager[object]:
    if store.path == ":memory:":
        return nullcontext()
    return check_lock(Path(store.path), wait)
