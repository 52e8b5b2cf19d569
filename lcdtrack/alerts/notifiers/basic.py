"""The `stdout` and `file` notifiers: a message printed, or written as a Markdown/HTML file.

A file is named from the message's creation time, its first document and its stable id, so a
message re-sent after a crash overwrites its own file instead of adding a second one.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TextIO

from lcdtrack.alerts.errors import DeliveryError
from lcdtrack.alerts.message import Message
from lcdtrack.alerts.notifiers.base import NotifierContext, Options

_EXTENSIONS = {"markdown": ".md", "html": ".html", "text": ".txt", "json": ".json"}


class StdoutNotifier:
    """Prints the subject and the rendered message (for cron mail, logs and containers)."""

    def __init__(self, stream: TextIO, fmt: str) -> None:
        self.stream = stream
        self.fmt = fmt

    def send(self, message: Message) -> None:
        if self.fmt == "json":
            self.stream.write(message.render("json"))
        else:
            self.stream.write(f"{message.subject}\n\n{message.render(self.fmt)}\n")
        self.stream.flush()


class FileNotifier:
    """Writes each message as its own file in `folder`."""

    def __init__(self, folder: Path, fmt: str) -> None:
        self.folder = folder
        self.fmt = fmt

    def path_for(self, message: Message) -> Path:
        stamp = re.sub(r"[^0-9T]", "", message.created_at)[:15] or "undated"
        first = message.items[0].document_id or message.items[0].kind
        slug = re.sub(r"[^A-Za-z0-9]+", "-", first).strip("-") or "alert"
        if len(message.items) > 1:
            slug = "digest"
        name = f"{stamp}-{slug}-{message.message_id[:12]}{_EXTENSIONS[self.fmt]}"
        return self.folder / name

    def send(self, message: Message) -> None:
        write_atomically(self.path_for(message), message.render(self.fmt))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so a reader never sees half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        raise DeliveryError(f"{path}: cannot write ({error})") from None


def stdout_notifier(options: Options, context: NotifierContext) -> StdoutNotifier:
    return StdoutNotifier(context.stdout, options.choice("format", ("text", "markdown", "json")))


def file_notifier(options: Options, context: NotifierContext) -> FileNotifier:
    folder = context.folder / options.text("path")
    return FileNotifier(folder, options.choice("format", ("markdown", "html", "text", "json")))
