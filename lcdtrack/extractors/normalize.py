"""Text normalisation shared by every extractor, and the canonical form the diff compares.

Two levels:

* `clean` gives the display text stored in records: Unicode spaces become plain spaces, runs of
  whitespace collapse, zero-width characters go. Wording, quotes and dashes are kept as written.
* `canonical` is what "the same text" means to lcdtrack: on top of `clean` it folds curly quotes
  to straight ones, dash and hyphen variants to "-", list markers (bullets, "1.", "a)") away.
  Two texts with equal canonical forms never produce a change (see README, "What is not a change").
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_BULLETS = re.compile(
    r"(?m)^\s*(?:[\u2022\u00b7\u25aa\u25cf\u25e6\u2023\u2043\u2219o*-]|\d{1,3}[.)]|[a-zA-Z][.)])\s+"
)
_NA = {"", "n/a", "na", "none", "not applicable"}
_LONGEST_NA = 64


def clean(text: str) -> str:
    """Collapse whitespace and drop invisible characters; keep the wording as written.

    `str.split()` splits on every Unicode space (no-break, thin, ideographic…), which is what
    "collapse whitespace" means here; the ASCII fast path skips work plain text never needs.
    """
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if any(char in text for char in _INVISIBLE_CHARS):
            text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def canonical(text: str) -> str:
    """The comparison form: presentation differences removed, words kept."""
    text = _BULLETS.sub("", text.translate(_QUOTES))
    return clean(text)


def is_empty(text: str | None) -> bool:
    """True for absent values as CMS writes them: empty, "N/A", the literal "None"."""
    if text is None:
        return True
    if len(text) > _LONGEST_NA:
        stripped = text.strip()
        if len(stripped) > _LONGEST_NA:
            return False
        text = stripped
    return clean(text).lower() in _NA


def match_key(name: str) -> str:
    """A stable key for an indication name: no parenthesised abbreviations, case or punctuation."""
    name = re.sub(r"\([^)]*\)", " ", canonical(name))
    name = re.sub(r"[^0-9a-z]+", " ", name.lower())
    return " ".join(name.split())


_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


def iso_date(text: str | None) -> str | None:
    """The first date in `text` (MM/DD/YYYY or YYYY-MM-DD) as YYYY-MM-DD; None if there is none."""
    if not text:
        return None
    found = _DATE.search(text)
    if not found:
        return None
    if found[1]:
        return f"{found[3]}-{int(found[1]):02d}-{int(found[2]):02d}"
    return f"{found[4]}-{found[5]}-{found[6]}"
