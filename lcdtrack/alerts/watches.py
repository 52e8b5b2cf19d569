"""The watch list: what `check` looks at, and who hears about it.

    watch add/list/remove  →  AlertStore (watches table)  →  check (refresh → plan → deliver)

A watch is a document id (L39314, DL39314, A59105), a contractor or state id (a CMS report
query), words in a stored document's title or text, or a code (J1459) found in the code
tables stored from Billing and Coding articles. Each has a least severity worth an alert and
the names of its notifiers (none: every configured notifier).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lcdtrack.alerts.errors import AlertError
from lcdtrack.alerts.refresh import REPORT_FILTERS, stored_matches
from lcdtrack.diff import LEVELS
from lcdtrack.errors import LcdtrackError
from lcdtrack.pipeline import parse_reference
from lcdtrack.snapshots.alert_store import WATCH_KINDS, AlertStore, Watch

REPORT_KINDS = ("final", "proposed", "article")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{1,15}$")


def normalise(kind: str, value: str) -> str:
    """The stored form of a watch target, or an `AlertError` saying how to write it."""
    text = value.strip()
    if kind == "document":
        try:
            document_id, version = parse_reference(text)
        except LcdtrackError as error:
            raise AlertError(str(error)) from None
        if version is not None:
            raise AlertError(f"{text}: watch a document, not one version (write {document_id})")
        return document_id
    if kind in REPORT_FILTERS and not re.fullmatch(r"[A-Za-z0-9]+", text):
        raise AlertError(f"{kind} {text!r}: give the CMS {kind} id (e.g. 269 or 15201)")
    if kind == "code":
        text = text.upper()
        if not _CODE.match(text):
            raise AlertError(f"code {value!r} is not a CPT/HCPCS or ICD-10 code (J1459, G61.0)")
    if kind == "keyword" and len(text) < 3:
        raise AlertError("a keyword watch needs at least three characters")
    return text


def add_watch(
    alerts: AlertStore,
    kind: str,
    value: str,
    min_severity: str = "low",
    notifiers: Iterable[str] = (),
    report_kinds: Iterable[str] = ("final",),
    configured: Iterable[str] | None = None,
) -> Watch:
    """Validate and store a watch; notifier names must be configured when `configured` is given."""
    if kind not in WATCH_KINDS:
        raise AlertError(f"unknown watch kind {kind!r}; choose from {', '.join(WATCH_KINDS)}")
    if min_severity not in LEVELS:
        raise AlertError(f"severity {min_severity!r}: choose from {', '.join(LEVELS)}")
    names = tuple(dict.fromkeys(notifiers))
    if configured is not None:
        unknown = [name for name in names if name not in set(configured)]
        if unknown:
            raise AlertError(
                f"no notifier named {', '.join(unknown)} in the config "
                f"(configured: {', '.join(configured) or 'none'})"
            )
    kinds = tuple(dict.fromkeys(report_kinds)) or ("final",)
    bad = [k for k in kinds if k not in REPORT_KINDS]
    if bad:
        raise AlertError(f"report kind {bad[0]!r}: choose from {', '.join(REPORT_KINDS)}")
    return alerts.add_watch(kind, normalise(kind, value), min_severity, names, kinds)


def covered_now(alerts: AlertStore, watch: Watch) -> str:
    """What a watch covers in the store today, for `watch list`."""
    if watch.kind == "document":
        stored = watch.value in alerts.latest_snapshot_ids()
        return "stored" if stored else "not stored yet"
    if watch.kind in REPORT_FILTERS:
        return f"report query ({', '.join(watch.report_kinds)})"
    matches = sorted(stored_matches(alerts, watch))
    shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
    return f"{len(matches)} stored: {shown}" if matches else "no stored document matches yet"
