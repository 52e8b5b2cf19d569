"""The `atom` notifier: each message becomes an entry of an Atom feed file (written by feedgen).

Point a feed reader, an intranet page or a chat integration at the file (or serve it). The file
is read back on each send and rewritten whole through a temporary file; an entry's id is the
message's stable id, so a message re-sent after a crash replaces its entry instead of adding
one. The newest `max_entries` entries are kept.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from lcdtrack.alerts.errors import DeliveryError
from lcdtrack.alerts.message import Message
from lcdtrack.alerts.notifiers.base import NotifierContext, Options
from lcdtrack.alerts.notifiers.basic import write_atomically

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: str
    content: str


class AtomNotifier:
    def __init__(self, path: Path, title: str, link: str | None, max_entries: int) -> None:
        self.path = path
        self.title = title
        self.link = link
        self.max_entries = max_entries

    def send(self, message: Message) -> None:
        entry = Entry(
            id=f"urn:lcdtrack:{message.message_id}",
            title=message.subject,
            updated=timestamp(message.created_at),
            content=message.html_body(),
        )
        entries = [e for e in read_entries(self.path) if e.id != entry.id] + [entry]
        entries.sort(key=lambda e: e.updated)
        write_atomically(self.path, self._feed(entries[-self.max_entries :]))

    def _feed(self, entries: list[Entry]) -> str:
        feed = FeedGenerator()
        feed.id(f"urn:lcdtrack:feed:{self.path.name}")
        feed.title(self.title)
        feed.author({"name": "lcdtrack"})
        if self.link:
            feed.link(href=self.link, rel="self")
        feed.updated(max((e.updated for e in entries), default="1970-01-01T00:00:00+00:00"))
        for entry in reversed(entries):  # newest first in the file
            item = feed.add_entry(order="append")
            item.id(entry.id)
            item.title(entry.title)
            item.updated(entry.updated)
            item.content(entry.content, type="html")
        return str(feed.atom_str(pretty=True).decode("utf-8"))


def timestamp(text: str) -> str:
    """An ISO timestamp with a time zone (UTC assumed), as Atom requires; now if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


def read_entries(path: Path) -> list[Entry]:
    """The entries of an existing feed file (none if there is no file yet)."""
    if not path.exists():
        return []
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise DeliveryError(f"{path}: cannot read the existing feed ({error})") from None
    return [
        Entry(
            id=entry.findtext(f"{ATOM}id", ""),
            title=entry.findtext(f"{ATOM}title", ""),
            updated=timestamp(entry.findtext(f"{ATOM}updated", "")),
            content=entry.findtext(f"{ATOM}content", ""),
        )
        for entry in root.iter(f"{ATOM}entry")
    ]


def atom_notifier(options: Options, context: NotifierContext) -> AtomNotifier:
    return AtomNotifier(
        path=context.folder / options.text("path"),
        title=options.text("title", "lcdtrack alerts"),
        link=options.optional_text("link"),
        max_entries=max(1, options.integer("max_entries", 200)),
    )
