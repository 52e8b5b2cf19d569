"""The middle of a check: decide which alerts each notifier gets, from what `refresh` found.

    Coverage (refresh) + what each notifier was told + failure counters → outbox rows

* A change alert compares the snapshot a notifier was last told about with the document's
  latest, keeping changes at or above the least severe `--min-severity` of the watches that
  send that document to that notifier. The first time a notifier meets a document it is only
  noted (a baseline), never alerted: alerts are about change.
* A document that fails `threshold` checks in a row gets one "cannot check" alert; a layout
  change (`LayoutChanged`: ingest refused the record) gets it at once. When a later check
  succeeds, one "recovered" alert follows. Failures are never change alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lcdtrack.alerts.delivery import Comparisons
from lcdtrack.alerts.refresh import Coverage
from lcdtrack.diff import LEVELS
from lcdtrack.errors import LayoutChanged, LcdtrackError
from lcdtrack.snapshots.alert_store import AlertStore, FailureState, NewDelivery, Watch


@dataclass
class AlertPlan:
    deliveries: list[NewDelivery] = field(default_factory=list)
    told: list[tuple[str, str, int]] = field(default_factory=list)
    failures: list[FailureState] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


class Audience:
    """Which configured notifiers hear about a subject, and from which severity on."""

    def __init__(self, watches: list[Watch], configured: tuple[str, ...]) -> None:
        self.watches = {watch.id: watch for watch in watches}
        self.configured = configured
        self.problems = [
            f"watch {w.id} ({w.label}) names notifier {name!r}, which is not configured"
            for w in watches
            for name in w.notifiers
            if name not in configured
        ]

    def of(self, watch_ids: set[int]) -> dict[str, str]:
        """Notifier → the least severe level any of these watches asks for."""
        floor: dict[str, str] = {}
        for watch_id in sorted(watch_ids):
            watch = self.watches[watch_id]
            for name in watch.notifiers or self.configured:
                if name in self.configured:
                    current = floor.get(name, "high")
                    floor[name] = min(current, watch.min_severity, key=LEVELS.index)
        return floor


def plan_alerts(
    alerts: AlertStore,
    coverage: Coverage,
    audience: Audience,
    comparisons: Comparisons,
    threshold: int,
    digest_key: str | None = None,
) -> AlertPlan:
    plan = AlertPlan(problems=list(audience.problems))
    plan_changes(alerts, coverage, audience, comparisons, plan, digest_key)
    plan_failures(alerts, coverage, audience, threshold, plan, digest_key)
    return plan


def plan_changes(
    alerts: AlertStore,
    coverage: Coverage,
    audience: Audience,
    comparisons: Comparisons,
    plan: AlertPlan,
    digest_key: str | None,
) -> None:
    latest = alerts.latest_snapshot_ids()
    told = alerts.notified()
    for document_id, watch_ids in sorted(coverage.watchers.items()):
        current = latest.get(document_id)
        if current is None or document_id in coverage.failures:
            continue
        for notifier, floor in audience.of(watch_ids).items():
            previous = told.get((notifier, document_id))
            if previous == current:
                continue
            if previous is not None:
                try:
                    comparison = comparisons.get(previous, current, floor)
                except LcdtrackError as error:
                    coverage.fail(document_id, error)
                    break
                if comparison.changes:
                    key = f"change:{document_id}:{previous}:{current}"
                    plan.deliveries.append(
                        NewDelivery(
                            notifier=notifier,
                            item_key=key,
                            message_key=digest_key or key,
                            kind="change",
                            document_id=document_id,
                            from_snapshot=previous,
                            to_snapshot=current,
                            min_severity=floor,
                        )
                    )
                    plan.changed.add(document_id)
            plan.told.append((notifier, document_id, current))


def plan_failures(
    alerts: AlertStore,
    coverage: Coverage,
    audience: Audience,
    threshold: int,
    plan: AlertPlan,
    digest_key: str | None,
) -> None:
    known = alerts.failures()
    now = alerts.clock()
    for subject, error in sorted(coverage.failures.items()):
        state = known.get(subject) or FailureState(subject, first_failed_at=now)
        count = state.consecutive + 1
        layout = isinstance(error, LayoutChanged)
        alert = not state.alerted and (layout or count >= threshold)
        first = state.first_failed_at or now
        plan.failures.append(
            FailureState(subject, count, first, str(error), state.alerted or alert)
        )
        if alert:
            text = _failure_text(subject, error, count, first, layout)
            key = f"failure:{subject}:{first}"
            _to_all(plan, audience, coverage, subject, key, "failure", text, digest_key)
    for subject in sorted(coverage.checked & set(known)):
        state = known[subject]
        plan.recovered.append(subject)
        if state.alerted:
            text = (
                f"{subject} was checked successfully again after {state.consecutive} failed "
                f"check(s) (failing since {state.first_failed_at})."
            )
            key = f"recovery:{subject}:{state.first_failed_at}"
            _to_all(plan, audience, coverage, subject, key, "recovery", text, digest_key)


def _to_all(
    plan: AlertPlan,
    audience: Audience,
    coverage: Coverage,
    subject: str,
    key: str,
    kind: str,
    text: str,
    digest_key: str | None,
) -> None:
    for notifier in audience.of(coverage.watchers.get(subject, set())):
        plan.deliveries.append(
            NewDelivery(notifier, key, digest_key or key, kind, subject, text=text)
        )


def _failure_text(subject: str, error: LcdtrackError, count: int, first: str, layout: bool) -> str:
    if layout:
        return (
            f"The newest version of {subject} looks like a change of CMS's layout, not of the "
            f"policy: it was not stored as the current version and no change is reported. "
            f"lcdtrack needs attention (an extractor update). Detail: {error}"
        )
    return (
        f"lcdtrack could not check {subject} in {count} consecutive checks (failing since "
        f"{first}). Changes to it cannot be reported until this is fixed. Last error: {error}"
    )
