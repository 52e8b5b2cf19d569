"""Alerts, the last stage: watch lists, `check` runs and the notifiers that deliver them.

    fetch → extract → snapshot store → diff → report → **alerts**

`watches` says what to look at; `check` runs `refresh` (fetch and store what the watches
cover), `plan` (what each notifier must hear, against what it was last told) and `delivery`
(an outbox written before sending, marked after); `notifiers` is the registry of where alerts
go (stdout, file, atom, email, webhook), configured in `lcdtrack.toml` (`config`); `locks`
keeps checks on one database from overlapping; `schedule` writes cron and systemd entries.
Alert state lives in `lcdtrack.snapshots.alert_store`. Nothing here prints: the CLI renders.
"""

from lcdtrack.alerts.check import CheckOptions, CheckResult, check
from lcdtrack.alerts.config import AlertConfig, load_config
from lcdtrack.alerts.errors import AlertError, CheckLocked, ConfigError, DeliveryError
from lcdtrack.alerts.message import AlertItem, Message
from lcdtrack.alerts.notifiers import NOTIFIERS, NotifierContext, Notifiers, register
from lcdtrack.alerts.watches import add_watch

__all__ = [
    "NOTIFIERS",
    "AlertConfig",
    "AlertError",
    "AlertItem",
    "CheckLocked",
    "CheckOptions",
    "CheckResult",
    "ConfigError",
    "DeliveryError",
    "Message",
    "NotifierContext",
    "Notifiers",
    "add_watch",
    "check",
    "load_config",
    "register",
]
