"""Entity-escaped narrative HTML from CMS → `Block`s.

CMS serves narrative fields escaped once more (`&lt;p&gt;…&lt;&sol;p&gt;`). The only safe
decoding (MCD-FORMATS.md §2.7) is: unescape exactly once with an HTML5-aware decoder, then let a
real HTML parser decode what is left. Unescaping twice would turn clinical text such as
"IgG levels &lt;400" into a bogus tag.
"""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

from lcdtrack.extractors.blocks import Block
from lcdtrack.extractors.normalize import clean

_LISTS = {"ul", "ol"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section"}
_SKIP = {"script", "style", "head", "title", "template"}
_BREAK = "\x1e"  # marks a <br>; raw newlines in the source are only whitespace
_ESCAPED = re.compile(r"&lt;\s*/?\s*[a-zA-Z]|&lt;&sol;")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def decode_field(value: str) -> str:
    """Turn a field as CMS serves it into HTML: one unescape if (and only if) it is escaped."""
    if _ESCAPED.search(value):
        return html.unescape(value)
    return value


def parse_fragment(markup: str) -> etree._Element:
    """Parse an HTML fragment into one `div` element (lxml, tolerant of broken markup).

    lxml refuses control characters (ValueError) in text before the fragment's first tag;
    there they are dropped (they mean nothing in HTML text) and the fragment parsed again."""
    try:
        root = lxml.html.fragment_fromstring(markup or "<p></p>", create_parent="div")
    except ValueError:
        root = lxml.html.fragment_fromstring(_CONTROL.sub("", markup), create_parent="div")
    result: etree._Element = root
    return result


def html_to_blocks(markup: str) -> list[Block]:
    """Flatten HTML into paragraphs and (nested) list items, in document order."""
    root = parse_fragment(markup)
    blocks: list[Block] = []
    _walk(root, blocks, depth=-1)
    return [b for b in blocks if b.text]


def _walk(element: etree._Element, out: list[Block], depth: int) -> None:
    """Emit blocks for the children of `element`; loose inline content becomes paragraphs."""
    inline: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _LISTS:
            _flush(inline, out)
            _walk_list(child, out, depth + 1)
        elif tag in _BLOCKS or tag == "table":
            _flush(inline, out)
            if tag == "table":
                _walk_table(child, out)
            elif _has_block_children(child):
                _walk(child, out, depth)
            else:
                out.extend(Block("p", line) for line in _inline_lines(child))
        elif tag == "br":
            inline.append(_BREAK)
        elif tag and tag not in _SKIP:
            inline.append(_inline_text(child))
        inline.append(child.tail or "")
    _flush(inline, out)


def _walk_list(element: etree._Element, out: list[Block], depth: int) -> None:
    ordered = element.tag == "ol"
    number = _start(element)
    for item in element:
        if item.tag != "li":
            continue
        head: list[str] = []
        nested: list[etree._Element] = []
        _item_parts(item, head, nested)
        out.append(Block("li", clean("".join(head)), depth, number if ordered else None))
        for sub in nested:
            _walk_list(sub, out, depth + 1)
        number += 1


def _item_parts(element: etree._Element, head: list[str], nested: list[etree._Element]) -> None:
    """A list item's own text into `head`, the lists nested anywhere inside it into `nested`."""
    head.append(element.text or "")
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _LISTS:
            nested.append(child)
        elif tag == "br" or tag in _BLOCKS:
            head.append(" ")
            if tag != "br":
                _item_parts(child, head, nested)
                head.append(" ")
        elif tag and tag not in _SKIP:
            _item_parts(child, head, nested)
        head.append(child.tail or "")


def _walk_table(table: etree._Element, out: list[Block]) -> None:
    for row in table.iter("tr"):
        cells = [clean(_inline_text(cell)) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            out.append(Block("p", " | ".join(cells)))


def _flush(inline: list[str], out: list[Block]) -> None:
    for line in "".join(inline).split(_BREAK):
        if text := clean(line):
            out.append(Block("p", text))
    inline.clear()


def _inline_lines(element: etree._Element) -> list[str]:
    """The lines of a paragraph-like element; `<br>` starts a new line."""
    text = _text_with_breaks(element)
    return [t for t in (clean(line) for line in text.split(_BREAK)) if t]


def _text_with_breaks(element: etree._Element) -> str:
    parts: list[str] = []
    _collect(element, parts)
    return "".join(parts)


def _collect(element: etree._Element, parts: list[str]) -> None:
    parts.append(element.text or "")
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            parts.append(_BREAK)
        elif tag and tag not in _SKIP:
            _collect(child, parts)
        parts.append(child.tail or "")


def _inline_text(element: etree._Element) -> str:
    return _text_with_breaks(element).replace(_BREAK, " ")


def _has_block_children(element: etree._Element) -> bool:
    return any(isinstance(c.tag, str) and (c.tag in _BLOCKS or c.tag in _LISTS) for c in element)


def _start(element: etree._Element) -> int:
    try:
        return int(element.get("start", "1"))
    except ValueError:
        return 1
