"""What a notifier delivers: a `Message` of one or more alert items, in the format it asks for.

    diff (Comparison) → report.render(...) → Message.render(fmt) → notifier (where it goes)

A change reads exactly as `lcdtrack diff` renders it (`lcdtrack.report`); this module only
adds a subject line, joins the items of a digest, and words the few alerts that are not a diff
("cannot check", "recovered", a test message). `Message.message_id` is stable for a given
notifier and outbox key, so a message re-sent after a crash carries the same id.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from lcdtrack import report
from lcdtrack.models import Comparison

FORMATS = ("text", "markdown", "html", "json")
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
_TITLES = {
    "failure": "cannot check {document}",
    "recovery": "{document} can be checked again",
    "test": "test message",
}


@dataclass(frozen=True)
class AlertItem:
    """One alert: a change (with its comparison) or a failure, recovery or test (with text)."""

    kind: str
    document_id: str | None = None
    comparison: Comparison | None = None
    text: str = ""
    created_at: str = ""

    @property
    def title(self) -> str:
        if self.comparison is not None:
            c = self.comparison
            return f"{c.old.label} → {c.new.label} {c.new.title}: {report.summary_line(c.changes)}"
        return _TITLES.get(self.kind, self.kind).format(document=self.document_id or "?")

    def render(self, fmt: str) -> str:
        if self.comparison is not None:
            return report.render(self.comparison, fmt)
        if fmt == "json":
            return json.dumps(self.data(), indent=2, ensure_ascii=False) + "\n"
        if fmt == "html":
            return f"<p><strong>{escape(self.title)}</strong></p>\n<p>{escape(self.text)}</p>\n"
        return f"{self.title}\n\n{self.text}\n"

    def data(self) -> dict[str, Any]:
        if self.comparison is not None:
            return report.comparison_data(self.comparison)
        return {
            "type": self.kind,
            "document": self.document_id,
            "text": self.text,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Message:
    """The alerts one notifier receives in one delivery (one item, or a digest of several)."""

    notifier: str
    key: str
    items: tuple[AlertItem, ...]

    @property
    def message_id(self) -> str:
        """A stable idempotency key: the same notifier and outbox key give the same id."""
        digest = hashlib.sha256(f"{self.notifier}\0{self.key}".encode()).hexdigest()
        return digest[:32]

    @property
    def subject(self) -> str:
        """One line (fetched titles may hold line breaks; a mail header must not)."""
        if len(self.items) == 1:
            text = self.items[0].title
        else:
            names = "; ".join(item.document_id or item.kind for item in self.items)
            text = f"{len(self.items)} alerts: {names}"
        return "[lcdtrack] " + " ".join(text.split())

    @property
    def created_at(self) -> str:
        return min((item.created_at for item in self.items if item.created_at), default="")

    def render(self, fmt: str) -> str:
        """The message as text, markdown, html (one email-safe document) or json."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown message format {fmt!r}; choose from {', '.join(FORMATS)}")
        if len(self.items) == 1:
            return self.items[0].render(fmt)
        if fmt == "json":
            data = {"digest": True, "items": [item.data() for item in self.items]}
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if fmt == "html":
            bodies = [_body(item.render("html")) for item in self.items]
            return (
                '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
                f"<title>{escape(self.subject)}</title></head>\n<body>\n"
                + '\n<hr style="margin:2em 0">\n'.join(bodies)
                + "\n</body>\n</html>\n"
            )
        separator = "\n---\n\n" if fmt == "markdown" else "\n" + "=" * 72 + "\n\n"
        return separator.join(item.render(fmt) for item in self.items)

    def html_body(self) -> str:
        """The HTML rendering without its document wrapper (for a feed entry's content)."""
        return _body(self.render("html"))


def _body(document: str) -> str:
    """The inside of a rendered HTML document's <body>, to place several in one message."""
    match = _BODY.search(document)
    return match.group(1).strip() if match else document
