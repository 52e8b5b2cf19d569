"""Extractors: `RawDocument` → `LcdDocument`, one module per source format, behind a registry.

`EXTRACTORS` maps a short kebab-case kind to an `Extractor`; `extractor_for(raw)` picks the
first whose `sniff` accepts the bytes, `extract(raw)` runs it. Built-ins are registered here the
same way an outside extractor would be, with `register()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from lcdtrack.errors import LayoutChanged, NotAnLcd
from lcdtrack.extractors import (
    coverage_api,
    coverage_api_article,
    mcd_download,
    mcd_page_html,
    mcd_page_text,
)
from lcdtrack.models import LcdDocument, RawDocument


@dataclass(frozen=True)
class Extractor:
    name: str
    version: str
    description: str
    sniff: Callable[[RawDocument], bool]
    extract: Callable[[RawDocument], LcdDocument]


EXTRACTORS: dict[str, Extractor] = {}
UNEXPECTED = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError,
              RecursionError)  # fmt: skip
"""What an extractor raises on input shaped unlike any it knows (a number where text belongs,
a list where a record belongs); `extract` names it as `LayoutChanged`, never a traceback."""


def register(extractor: Extractor) -> None:
    """Add an extractor; later registrations are tried after earlier ones."""
    EXTRACTORS[extractor.name] = extractor


def _built_in(module: ModuleType, description: str) -> Extractor:
    """A built-in extractor module (NAME, VERSION, sniff, extract) as a registry entry."""
    return Extractor(module.NAME, module.VERSION, description, module.sniff, module.extract)


# Order matters: the first whose sniff accepts the bytes wins, so precise sniffers go first.
for _module, _description in (
    (mcd_download, "MCD bulk download row: an lcd.csv row joined with its lcd_x_* tables"),
    (coverage_api, "CMS Coverage API /v1/data/lcd/ response (JSON envelope, escaped HTML)"),
    (
        coverage_api_article,
        "CMS Coverage API Billing and Coding article (bundle or /v1/data/article/)",
    ),
    (mcd_page_text, "MCD LCD page (view/lcd.aspx) as text"),
    (mcd_page_html, "MCD LCD page (view/lcd.aspx) saved as HTML"),
):
    register(_built_in(_module, _description))


def extractor_for(raw: RawDocument) -> Extractor:
    """The extractor for these bytes, or `NotAnLcd` saying what they look like instead."""
    for extractor in EXTRACTORS.values():
        if extractor.sniff(raw):
            return extractor
    raise NotAnLcd(f"{raw.source}: {_describe(raw.content)}")


def extract(raw: RawDocument, kind: str | None = None) -> tuple[Extractor, LcdDocument]:
    """Extract with the named extractor, or the one `extractor_for` picks."""
    if kind is not None:
        if kind not in EXTRACTORS:
            raise NotAnLcd(f"unknown extractor {kind!r}; known: {', '.join(EXTRACTORS)}")
        extractor = EXTRACTORS[kind]
    else:
        extractor = extractor_for(raw)
    try:
        return extractor, extractor.extract(raw)
    except UNEXPECTED as error:
        raise LayoutChanged(
            f"{raw.source}: {extractor.name} cannot read this input: a value or part is not of "
            f"the expected kind ({type(error).__name__}: {error})"
        ) from error


def _describe(content: bytes) -> str:
    head = content[:2048]
    if not content.strip():
        return "empty file, not an LCD document"
    if b"\x00" in head:
        return "binary data, not an LCD document"
    text = head.decode("utf-8", errors="replace").lstrip().lower()
    if text.startswith(("<!doctype html", "<html")) or "<html" in text:
        return "an HTML page that is not an LCD (no 'Local Coverage Determination' heading)"
    if text.startswith(("{", "[")):
        return "JSON that is not a Coverage API LCD response"
    return "not a recognised LCD format (Coverage API JSON or MCD page text)"


__all__ = ["EXTRACTORS", "Extractor", "extract", "extractor_for", "register"]
