"""The last step of a check: send what the outbox holds, then mark it delivered.

    outbox (deliveries, recorded before sending) → Message → notifier.send → mark delivered

Exactly-once, honestly: the outbox row is written (with the advance of what that notifier has
been told) *before* sending, and marked delivered *after*. A crash in between leaves the row
pending; the next check sends it again with the same message id. So transports see
at-least-once delivery, made idempotent by a stable key (email Message-ID, webhook
Idempotency-Key, feed entry id, file name): the feed and file notifiers replace their own
earlier copy, a receiver that honours the key drops the duplicate. Nothing is ever lost or
re-detected: the change was recorded as told when its intent was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from lcdtrack.alerts.message import AlertItem, Message
from lcdtrack.alerts.notifiers import Notifiers
from lcdtrack.errors import LcdtrackError
from lcdtrack.models import Comparison
from lcdtrack.pipeline import compare_snapshots
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.alert_store import AlertStore, Delivery, NewDelivery

AfterSend = Callable[[Message], None]
ComparisonKey = tuple[int, int, str]


@dataclass
class DeliveryResult:
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class Comparisons:
    """Comparisons between stored snapshots, computed once per check."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self._cache: dict[ComparisonKey, Comparison] = {}

    def get(self, before: int, after: int, min_severity: str) -> Comparison:
        key = (before, after, min_severity)
        if key not in self._cache:
            self._cache[key] = compare_snapshots(
                self.store.get(before), self.store.get(after), min_severity
            )
        return self._cache[key]


def deliver(
    alerts: AlertStore,
    notifiers: Notifiers,
    comparisons: Comparisons,
    after_send: AfterSend | None = None,
) -> DeliveryResult:
    """Send every pending outbox row, one message per (notifier, message key)."""
    result = DeliveryResult()
    for (name, key), rows in group(alerts.pending()).items():
        ids = [row.id for row in rows]
        try:
            message = Message(name, key, tuple(alert_item(row, comparisons) for row in rows))
            notifiers.get(name).send(message)
        except (LcdtrackError, OSError) as error:
            alerts.mark_failed(ids, str(error))
            result.failed.append((name, str(error)))
            continue
        if after_send is not None:
            after_send(message)  # a test hook: a crash here is a crash between send and record
        alerts.mark_delivered(ids)
        result.sent.append(message)
    return result


def group(rows: list[Delivery]) -> dict[tuple[str, str], list[Delivery]]:
    groups: dict[tuple[str, str], list[Delivery]] = {}
    for row in rows:
        groups.setdefault((row.notifier, row.message_key), []).append(row)
    return groups


def alert_item(row: NewDelivery, comparisons: Comparisons, created_at: str = "") -> AlertItem:
    """The alert an outbox row stands for; a change is re-compared from its two snapshots."""
    created = created_at or (row.created_at if isinstance(row, Delivery) else "")
    if row.kind == "change" and row.from_snapshot is not None and row.to_snapshot is not None:
        comparison = comparisons.get(row.from_snapshot, row.to_snapshot, row.min_severity)
        return AlertItem("change", row.document_id, comparison, created_at=created)
    return AlertItem(row.kind, row.document_id, text=row.text, created_at=created)


def send_test(notifiers: Notifiers, name: str, now: str) -> Message:
    """Send a test message through notifier `name` (not recorded in the outbox)."""
    text = (
        f"This is a test message from lcdtrack to the notifier {name!r}, sent at {now}. "
        "If you can read it, alerts from `lcdtrack check` will reach you here."
    )
    item = AlertItem("test", None, text=text, created_at=now)
    message = Message(name, f"test:{now}:{uuid.uuid4().hex}", (item,))
    notifiers.get(name).send(message)
    return message
