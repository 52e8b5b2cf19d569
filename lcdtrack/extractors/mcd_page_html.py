"""`mcd-page-html` extractor: an MCD LCD page (`view/lcd.aspx`) saved as HTML → `LcdDocument`.

Reads the page as a browser's "Save page as" or a crawler stores it (MCD-FORMATS.md §4): an
ASP.NET WebForms page (`__VIEWSTATE`, `__doPostBack`) whose element ids are known only for a few
elements. So nothing here depends on ids: headings are found by their text, the heading strings
of the page grammar (`grammar.PAGE_HEADINGS`, as `mcd-page-text` reads them); a section is the
HTML between its heading and the next, turned into `Block`s by `html_blocks` so lists and
criteria nest as the markup says; Document Information labels are found the same way inside
their block. What the page shows is then read by the grammar shared with `mcd-page-text`
(`PageContent` → `page_record`), so the same page saved as HTML or as text gives the same record.

Pipeline: fetch (a saved file) → **extract** → snapshot store. Page HTML is a secondary input
(MCD-FORMATS.md §1): the site refuses plain HTTP clients (403) and shows a licence dialog, and
both raise `NotAnLcd` pointing to the Coverage API. Sections keep no `html`: around the
narrative the markup is the site's presentation, and two savings of one page must give one
record. `<script>`, `<style>`, `<noscript>`, `<template>` and comments are removed before any
text is read.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable

import lxml.html
from lxml import etree

from lcdtrack.errors import ExtractError, LayoutChanged, NotAnLcd
from lcdtrack.extractors.blocks import Block
from lcdtrack.extractors.grammar import (
    DOCUMENT_LABELS,
    INDICATIONS_SECTION,
    PAGE_HEADINGS,
    SECTION_NAMES,
    TABLE_HEADER_LINES,
)
from lcdtrack.extractors.html_blocks import html_to_blocks, parse_fragment
from lcdtrack.extractors.mcd_page_text import (
    CLOSING_LINE,
    TITLE_LINE,
    PageContent,
    ids_from_url,
    page_record,
    require_headings,
)
from lcdtrack.extractors.normalize import clean, is_empty
from lcdtrack.models import LcdDocument, RawDocument

NAME = "mcd-page-html"
VERSION = "1"
Element = etree._Element

_LCD_MARKERS = (b"lblpagetitle", b"local coverage determination (lcd)")
_INERT = ("script", "style", "noscript", "template")
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Tags kept as they are (html_blocks reads them, or they frame the page); HTML's other
# block-level tags, and inline tags that wrap blocks, are read as `div`.
_STRUCTURE_TAGS = "p div h1 h2 h3 h4 h5 h6 blockquote pre section ul ol li table tbody tr td th"
_BLOCK_LEVEL_TAGS = "address article aside center dd dl dt fieldset figure footer form header main"
_STRUCTURE = frozenset(f"{_STRUCTURE_TAGS} thead tfoot html head body".split())
_BLOCK_LEVEL = frozenset(f"{_BLOCK_LEVEL_TAGS} nav details summary legend figcaption".split())
_LONGEST_HEADING = 100
_SHORT_TEXT = (
    f".//*[normalize-space() != '' and string-length(normalize-space()) <= {_LONGEST_HEADING}]"
)
_LICENCE = re.compile(r"acceptlicen[cs]e|licen[cs]e agreement", re.I)
_REFUSED = re.compile(r"access denied|forbidden|\b403\b|request(?:ed url was)? rejected", re.I)
_NO_PERMISSION = re.compile(r"you don.t have permission to access", re.I)
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
_PUBLIC_ID = re.compile(r"\b(D?L\d{5})\b")
_LCDID = re.compile(r"lcdid=(\d+)", re.I)
_API_HINT = "fetch the same LCD through the Coverage API instead: lcdtrack fetch {}"


def sniff(raw: RawDocument) -> bool:
    """HTML with an LCD page marker, or the MCD site's licence dialog or refusal page (so that
    these get this extractor's explanation rather than "not an LCD")."""
    if b"<html" not in raw.content[:4096].lower():
        return False
    content = raw.content.lower()
    return any(marker in content for marker in _LCD_MARKERS) or _is_mcd_refusal(content)


def extract(raw: RawDocument) -> LcdDocument:
    root = _parse(raw)
    url = _page_url(raw, root)
    _read_wrappers_as_blocks(root)
    body = next(root.iter("body"), root)
    short = _short_texts(body)
    headings = _markers(short, PAGE_HEADINGS)
    title = _page_title(short, headings)
    found = {text for _, text in headings}
    _check_page(raw, root, title, found)
    ranges = _heading_ranges(body, headings)
    indications = _section_blocks(ranges[INDICATIONS_SECTION][1])
    if not indications:
        raise LayoutChanged(
            f"{raw.source}: the '{INDICATIONS_SECTION}' section is empty; "
            "was the page saved before its content loaded?"
        )
    page = PageContent(
        source=raw.source,
        url=url,
        title_line=title or "",
        labels=_document_information(ranges["Document Information"][0]),
        sections={
            name: _section_blocks(ranges[name][1]) for name in SECTION_NAMES if name in ranges
        },
        revision_history=_revision_lines(ranges.get("Revision History Information")),
        public_versions=_version_lines(ranges.get("Public Versions")),
    )
    return page_record(page)


def _parse(raw: RawDocument) -> Element:
    try:
        raw.content.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "windows-1252"
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True, remove_pis=True)
    try:
        try:
            return _without_inert(lxml.html.document_fromstring(raw.content, parser=parser))
        except ValueError:  # lxml refuses control characters in the text `_remove` moves
            content = _CONTROL_BYTES.sub(b"", raw.content)
            return _without_inert(lxml.html.document_fromstring(content, parser=parser))
    except etree.ParserError as error:
        raise NotAnLcd(f"{raw.source}: empty or unreadable HTML, not an LCD page") from error


def _without_inert(root: Element) -> Element:
    for element in list(root.iter(*_INERT)):
        _remove(element)
    return root


def _remove(element: Element) -> None:
    """Take an element and its content out of the tree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.tail and previous is not None:
        previous.tail = (previous.tail or "") + element.tail
    elif element.tail:
        parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _read_wrappers_as_blocks(root: Element) -> None:
    """Block-level elements html_blocks does not know, and inline ones wrapping blocks, become
    `div`s: an ASP.NET label renders a narrative as a `<span>` holding `<p>`s and lists."""
    for element in reversed(list(root.iter())):
        if not isinstance(element.tag, str) or element.tag in _STRUCTURE:
            continue
        if element.tag in _BLOCK_LEVEL or any(child.tag in _STRUCTURE for child in element):
            element.tag = "div"


def _short_texts(root: Element) -> list[tuple[Element, str]]:
    """Every element whose text is short enough to be a heading or label, with that text."""
    found = root.xpath(_SHORT_TEXT)
    elements = found if isinstance(found, list) else []
    return [(e, _text(e)) for e in elements if isinstance(e, etree._Element)]


def _page_title(
    short: list[tuple[Element, str]], headings: list[tuple[Element, str]]
) -> str | None:
    """The "Local Coverage Determination (LCD)" line, looked for above the first heading."""
    first = headings[0][0] if headings else None
    for element, text in short:
        if element is first:
            break
        if TITLE_LINE.match(text):
            return text
    return None


def _text(element: Element) -> str:
    return clean("".join(str(text) for text in element.itertext()))


def _markers(short: list[tuple[Element, str]], names: Collection[str]) -> list[tuple[Element, str]]:
    """The outermost element showing each of `names` as its whole text, in document order."""
    texts = dict(short)  # keyed by element: lxml keeps one proxy per live element
    return [
        (element, text)
        for element, text in short
        if text in names and _parent_text(texts, element) != text
    ]


def _parent_text(texts: dict[Element, str], element: Element) -> str | None:
    parent = element.getparent()
    return None if parent is None else texts.get(parent)


def _check_page(raw: RawDocument, root: Element, title: str | None, found: set[str]) -> None:
    if b"</html>" not in raw.content[-16384:].lower():
        raise ExtractError(
            f"{raw.source}: page HTML is incomplete (no closing </html>); is the file truncated?"
        )
    if not found & {"Document Information", INDICATIONS_SECTION}:
        _raise_if_refused(raw, root)
    if title is None:
        page_title = " ".join(_text(e) for e in root.iter("title"))
        raise NotAnLcd(
            f"{raw.source}: an HTML page that is not an MCD LCD page (no 'Local Coverage "
            f"Determination (LCD)' title; its title reads {page_title[:80]!r})"
        )
    if CLOSING_LINE not in found:
        raise ExtractError(
            f"{raw.source}: page HTML is incomplete (no closing '{CLOSING_LINE}'); "
            "is the file truncated?"
        )
    require_headings(raw.source, found)


def _raise_if_refused(raw: RawDocument, root: Element) -> None:
    """The licence dialog or an access-denied page instead of the LCD: say so, and what works."""
    ids = " ".join(f"{e.get('id', '')} {e.get('name', '')}" for e in root.iter() if _tagged(e))
    headings = " ".join(_text(e) for e in root.iter("title", "h1"))
    text = _text(root)
    hint = _API_HINT.format(_fetch_hint(raw.source, text))
    if _LICENCE.search(ids) or _LICENCE.search(headings):
        raise NotAnLcd(
            f"{raw.source}: the MCD site showed its licence dialog (the AMA/ADA/AHA licence to "
            f"accept in a browser), not the LCD page; {hint}"
        )
    if _REFUSED.search(headings) or _NO_PERMISSION.search(text):
        raise NotAnLcd(
            f"{raw.source}: the MCD site refused the client ({headings[:60]!r}), as it does "
            f"for plain HTTP clients (403), so this is not the LCD page; {hint}"
        )


def _tagged(element: Element) -> bool:
    return isinstance(element.tag, str)


def _fetch_hint(source: str, text: str) -> str:
    if public := _PUBLIC_ID.search(text):
        return public[1]
    if lcdid := _LCDID.search(f"{source} {text}"):
        return f"L{lcdid[1]} (for a proposed LCD, its DL number)"
    return "<LCD id>, e.g. lcdtrack fetch L39314"


def _is_mcd_refusal(content: bytes) -> bool:
    text = html.unescape(content[:65536].decode("latin-1"))
    mcd = "medicare-coverage-database" in text or "medicare coverage database" in text
    return mcd and bool(_LICENCE.search(text) or _REFUSED.search(text))


def _heading_ranges(
    body: Element, headings: list[tuple[Element, str]]
) -> dict[str, tuple[str, list[Block]]]:
    """Markup and blocks under each heading up to the next; a repeated heading (the page shows
    Bibliography twice) keeps its first filled body, as in `mcd-page-text`."""
    found: dict[str, tuple[str, list[Block]]] = {}
    for start, name, stop in _spans(headings):
        markup = _between(start, stop, body)
        blocks = html_to_blocks(markup)
        if name not in found or not found[name][1]:
            found[name] = (markup, blocks)
    return found


def _spans(markers: list[tuple[Element, str]]) -> Iterable[tuple[Element, str, Element | None]]:
    """Each marker with its name and the marker after it (None for the last)."""
    for index, (element, name) in enumerate(markers):
        stop = markers[index + 1][0] if index + 1 < len(markers) else None
        yield element, name, stop


def _between(start: Element, stop: Element | None, top: Element) -> str:
    """The markup after `start` and before `stop` (or the end of `top`), in document order."""
    around = [] if stop is None else list(stop.iterancestors())
    parts: list[str] = []
    node: Element | None = start
    while node is not None and node is not top:
        parts.append(html.escape(node.tail or "", quote=False))
        for sibling in node.itersiblings():
            if sibling is stop:
                return "".join(parts)
            if sibling in around:
                return "".join(parts) + _before(sibling, stop, around)
            parts.append(_markup(sibling, with_tail=True))
        node = node.getparent()
    return "".join(parts)


def _before(container: Element, stop: Element | None, around: list[Element]) -> str:
    """The markup inside `container` that precedes `stop`, a descendant of it."""
    parts = [html.escape(container.text or "", quote=False)]
    for child in container:
        if child is stop:
            break
        if child in around:
            parts.append(_before(child, stop, around))
            break
        parts.append(_markup(child, with_tail=True))
    return "".join(parts)


def _markup(element: Element, with_tail: bool = False) -> str:
    return etree.tostring(element, encoding="unicode", method="html", with_tail=with_tail)


def _inner_markup(element: Element) -> str:
    text = html.escape(element.text or "", quote=False)
    return text + "".join(_markup(child, with_tail=True) for child in element)


def _section_blocks(blocks: list[Block]) -> list[Block]:
    """A section's blocks without the column headers of the page's own grids."""
    return [b for b in blocks if b.text.replace(" | ", " ") not in TABLE_HEADER_LINES]


def _document_information(markup: str) -> dict[str, str]:
    """Label → value pairs: a value is the first line after its label, "" for N/A."""
    fragment = parse_fragment(markup)
    labels = _markers(_short_texts(fragment), DOCUMENT_LABELS)
    values: dict[str, str] = {}
    for label, name, stop in _spans(labels):
        blocks = html_to_blocks(_between(label, stop, fragment))
        value = blocks[0].text if blocks else ""
        values[DOCUMENT_LABELS[name]] = "" if is_empty(value) else value
    return values


def _grid_rows(markup: str) -> list[list[str]]:
    """The data rows of the grids in `markup`, each a list of cell texts (headers dropped)."""
    rows: list[list[str]] = []
    for row in parse_fragment(markup).iter("tr"):
        cells = [c for c in row if c.tag in ("td", "th")]
        texts = [_cell_text(c) for c in cells]
        if all(c.tag == "th" for c in cells) or " ".join(texts) in TABLE_HEADER_LINES:
            continue
        rows.append(texts)
    return rows


def _cell_text(cell: Element) -> str:
    return "\n".join(b.text for b in html_to_blocks(_inner_markup(cell)))


def _revision_lines(found: tuple[str, list[Block]] | None) -> list[str]:
    """Revision History as the text rendering shows it: each cell a line, "|" between cells."""
    if found is None:
        return []
    rows = _grid_rows(found[0])
    if not rows:
        return _lines(found[1])
    cells = [cell for row in rows for cell in row]
    return [line for cell in cells for line in (cell, "|")][:-1]


def _version_lines(found: tuple[str, list[Block]] | None) -> list[str]:
    """Public Versions as the text rendering shows them: one line per row."""
    if found is None:
        return []
    rows = _grid_rows(found[0])
    return [" ".join(row) for row in rows] if rows else _lines(found[1])


def _lines(blocks: Iterable[Block]) -> list[str]:
    return [b.text for b in blocks]


def _page_url(raw: RawDocument, root: Element) -> str:
    """The URL ids and version are read from: of the source and the URLs the page records (a
    browser's "saved from url" mark, the WebForms form's action, which echoes the query), the
    first naming a version, else the first naming the LCD."""
    saved = _SAVED_FROM.search(raw.content[:4096])
    urls = [raw.source, saved[1].decode("ascii", "replace") if saved else ""]
    urls += [form.get("action") or "" for form in root.iter("form")]
    with_version = (url for url in urls if ids_from_url(url)[1] is not None)
    with_id = (url for url in urls if ids_from_url(url)[0] is not None)
    return next(with_version, next(with_id, raw.source))
