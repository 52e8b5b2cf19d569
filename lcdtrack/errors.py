"""The exception tree of lcdtrack, and the exit statuses the CLI maps them to.

The library raises these and never prints or exits; `lcdtrack.cli` turns any of them into one
`Error: …` line on stderr and exit status 2 (diff(1) convention: 0 same, 1 different, 2 trouble).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_TROUBLE = 2


class LcdtrackError(Exception):
    """Base class of every error lcdtrack raises on purpose."""


class FetchError(LcdtrackError):
    """A source could not be read: missing file, unreadable path, HTTP failure."""


class ExtractError(LcdtrackError):
    """A source was read but no LCD record could be extracted from it."""


class NotAnLcd(ExtractError):
    """The input is not an LCD document at all (another page, binary data, an unrelated JSON)."""


class NotAvailable(ExtractError):
    """The source is well-formed but holds no record (a Coverage API envelope with empty data)."""


class LayoutChanged(ExtractError):
    """The input looks like an LCD but an expected part is missing or malformed.

    Raised instead of returning an empty extraction, so that a change of CMS's layout is never
    reported as "all indications removed".
    """


class StoreError(LcdtrackError):
    """The snapshot store could not be opened or written."""


class NotFound(StoreError):
    """No stored snapshot matches the requested id or version."""
