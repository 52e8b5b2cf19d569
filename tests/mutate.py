"""Helpers that derive test documents from the corpus cases: edit a Coverage API field the way
CMS would serve it (decoded once, edited, escaped once again), or edit page text."""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from lcdtrack.models import RawDocument


def escape_like_cms(markup: str) -> str:
    """Escape HTML the way the Coverage API serves narrative fields (see MCD-FORMATS.md §2.7)."""
    escaped = html.escape(markup, quote=True).replace("&#x27;", "&#39;")
    return escaped.replace("/", "&sol;")


def edit_api_record(
    raw: RawDocument, edits: dict[str, Callable[[str], str]], **fields: object
) -> RawDocument:
    """A copy of a Coverage API response with narrative fields edited (as HTML) or set."""
    envelope = json.loads(raw.content)
    record = envelope["data"][0]
    for name, edit in edits.items():
        record[name] = escape_like_cms(edit(html.unescape(record[name])))
    record.update(fields)
    content = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    return RawDocument(content=content, source=raw.source + " (edited)")


def edit_text(raw: RawDocument, edit: Callable[[str], str]) -> RawDocument:
    return RawDocument(content=edit(raw.content.decode("utf-8")).encode("utf-8"), source=raw.source)
