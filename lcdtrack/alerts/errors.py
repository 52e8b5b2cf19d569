"""The alert stage's errors, under the library's one tree (`LcdtrackError`, exit status 2)."""

from __future__ import annotations

from lcdtrack.errors import LcdtrackError


class AlertError(LcdtrackError):
    """Alerting could not do what was asked: a bad watch, a bad config file or notifier."""


class ConfigError(AlertError):
    """`lcdtrack.toml` is missing, unreadable, or names something lcdtrack does not know."""


class DeliveryError(AlertError):
    """A notifier could not deliver a message (the outbox keeps it for the next check)."""


class CheckLocked(AlertError):
    """Another `lcdtrack check` holds the lock on this database."""
