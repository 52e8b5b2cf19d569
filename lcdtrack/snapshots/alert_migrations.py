"""The alert state's schema, a migration set of its own ("lcdtrack-alerts") in the history file.

    snapshot store (migrations "lcdtrack")  ←  alert state (this set): watches, what each
    notifier was last told, the delivery outbox, consecutive failures

Kept apart from the snapshot migrations so the alert feature can grow without touching the
history's schema; `AlertStore` applies it when it opens. Released migrations never change.
Secrets are never stored here: a watch names its notifiers, the config file holds the rest.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

alert_migrations = Migrations("lcdtrack-alerts")


@alert_migrations()
def a001_watches_and_outbox(db: Database) -> None:
    """Watches; per notifier and document the snapshot last told about (`notified`); the outbox
    of alerts, written before sending and marked after (`deliveries`); failure counters."""
    db.table("watches").create(
        {
            "id": int,
            "kind": str,
            "value": str,
            "report_kinds": str,
            "min_severity": str,
            "notifiers": str,
            "created_at": str,
        },
        pk="id",
        not_null={"kind", "value"},
    )
    db.table("watches").create_index(["kind", "value"], unique=True)
    db.table("notified").create(
        {"notifier": str, "document_id": str, "snapshot_id": int, "updated_at": str},
        pk=("notifier", "document_id"),
    )
    db.table("deliveries").create(
        {
            "id": int,
            "notifier": str,
            "item_key": str,
            "message_key": str,
            "kind": str,
            "document_id": str,
            "from_snapshot": int,
            "to_snapshot": int,
            "min_severity": str,
            "text": str,
            "created_at": str,
            "attempts": int,
            "last_error": str,
            "delivered_at": str,
        },
        pk="id",
        not_null={"notifier", "item_key", "message_key", "kind"},
    )
    db.table("deliveries").create_index(["notifier", "item_key"], unique=True)
    db.table("deliveries").create_index(["delivered_at"])
    db.table("check_failures").create(
        {
            "subject": str,
            "consecutive": int,
            "first_failed_at": str,
            "last_failed_at": str,
            "last_error": str,
            "alerted": int,
        },
        pk="subject",
    )
