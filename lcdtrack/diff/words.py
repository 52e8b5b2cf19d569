"""Word-level text diff on diff-match-patch.

Each word (with its trailing space) is mapped to one private character, diffed, mapped back and
given a semantic cleanup: edit boundaries always fall on whole words, and small equalities
between edits are merged so the result reads as a redline, not as character soup.
"""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

from lcdtrack.models import TextEdit

# diff-match-patch finds a minimal diff in O(N·D); for a long section rewritten throughout D
# grows with N. Past this many seconds it settles for a valid, coarser diff (whole runs deleted
# and inserted), so a pathological revision costs seconds, not hours.
DIFF_TIMEOUT_S = 1.0
_TOKEN = re.compile(r"\S+\s*|\s+")
_OPS = {0: "=", -1: "-", 1: "+"}


def word_diff(before: str, after: str) -> tuple[TextEdit, ...]:
    """Edits turning `before` into `after`, snapped to word boundaries."""
    engine = diff_match_patch()
    engine.Diff_Timeout = DIFF_TIMEOUT_S
    vocabulary: dict[str, str] = {}
    tokens: list[str] = []
    encoded_before = _encode(before, vocabulary, tokens)
    encoded_after = _encode(after, vocabulary, tokens)
    diffs = engine.diff_main(encoded_before, encoded_after, False)
    decoded = [(op, "".join(tokens[ord(ch) - _BASE] for ch in text)) for op, text in diffs]
    engine.diff_cleanupSemantic(decoded)
    return tuple(TextEdit(_OPS[op], text) for op, text in _merge(decoded) if text)  # type: ignore[arg-type]


_BASE = 0xF0000  # Supplementary Private Use Areas A and B: never in real text
_MAX_WORDS = 0x10FFFF - _BASE


def _encode(text: str, vocabulary: dict[str, str], tokens: list[str]) -> str:
    out: list[str] = []
    for token in _TOKEN.findall(text):
        code = vocabulary.get(token)
        if code is None:
            if len(tokens) >= _MAX_WORDS:
                raise ValueError("more than 131,071 distinct words: too large to diff by word")
            code = chr(_BASE + len(tokens))
            vocabulary[token] = code
            tokens.append(token)
        out.append(code)
    return "".join(out)


def _merge(diffs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    merged: list[tuple[int, str]] = []
    for op, text in diffs:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def is_changed(edits: tuple[TextEdit, ...]) -> bool:
    return any(edit.op != "=" for edit in edits)
