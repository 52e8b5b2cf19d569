"""Fuzzing the extractors with hypothesis: corpus documents mutated the ways real inputs go wrong
(tags deleted, bytes cut at any offset, sections shuffled, fields deleted or retyped, random
unicode and bytes inserted). Every extractor, forced or picked by sniffing, must return a record
or raise a named `ExtractError`, nothing else, and answer each input within `TIME_LIMIT_S`
(no catastrophic regex).

Examples are derandomized (fixed per test) so CI is repeatable; `LCDTRACK_FUZZ_EXAMPLES=2000
LCDTRACK_FUZZ_RANDOM=1 pytest tests/test_robustness_fuzz.py` explores further. Every example
run is counted in the session's tally.
"""

from __future__ import annotations

import functools
import html
import json
import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcdtrack.errors import ExtractError
from lcdtrack.extractors import extract
from lcdtrack.extractors.grammar import PAGE_HEADINGS, SECTIONS
from lcdtrack.fetch.bulk import LcdDownload
from lcdtrack.models import LcdDocument, RawDocument
from lcdtrack.snapshots.canonical import record_hash
from tests import bulk_fixtures as fx
from tests.conftest import case
from tests.mutate import escape_like_cms
from tests.robustness_helpers import (
    TALLY,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
)

EXAMPLES = int(os.environ.get("LCDTRACK_FUZZ_EXAMPLES", "120"))
TIME_LIMIT_S = 2.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=TIME_LIMIT_S),
    derandomize=not os.environ.get("LCDTRACK_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
T = TypeVar("T")
NARRATIVE_FIELDS = tuple(field for _, field in SECTIONS)
HEADINGS = {name for name, _ in SECTIONS} | set(PAGE_HEADINGS)
TAG = re.compile(r"<[^<>]*>|&lt;.*?&gt;")
NASTY = ["\x00", "\ufeff", "\u2028", "\u202e", "\x1b[2J", "<", ">", "&", "&lt;", "&amp;",
         "</li>", "<li>", "<ul>", "</ul>", "<ol><li>", "\\", '"', "\r", "\n\n", "(", ")",
         " - ", "g/kg", "0.4 to", "every ", "<!--", "]]>", "\U0001f489", "\u0301"]  # fmt: skip


# -- the documents --------------------------------------------------------------------------


def _download_row() -> RawDocument:
    """One `mcd-download` document, as `lcdtrack import` reads it from a bulk download."""
    with tempfile.TemporaryDirectory() as folder:
        fx.write_folder(Path(folder), fx.default_tables().files())
        with LcdDownload(Path(folder)) as download:
            return next(download.documents())


def _raw(name: str) -> RawDocument:
    return case(name).raw()


JSON_DOCUMENTS: dict[str, tuple[str, Callable[[], RawDocument]]] = {
    "L39314-api": ("coverage-api", lambda: _raw("L39314_v7.coverage-api")),
    "DL39314-api": ("coverage-api", lambda: _raw("DL39314_v19.coverage-api")),
    "A59105-article": ("coverage-api-article", lambda: _raw("A59105_v26.coverage-api-article")),
    "L39314-download": ("mcd-download", _download_row),
}
TEXT_DOCUMENTS: dict[str, tuple[str, Callable[[], RawDocument]]] = {
    "L39314-page-text": ("mcd-page-text", lambda: _raw("L39314_v7.mcd-page-text")),
    "DL39314-page-text": ("mcd-page-text", lambda: _raw("DL39314_v19.mcd-page-text")),
    "L39314-page-html": ("mcd-page-html", lambda: _raw("L39314_v7.mcd-page-html")),
    "DL39314-page-html": ("mcd-page-html", lambda: _raw("DL39314_v19.mcd-page-html")),
}
ALL_DOCUMENTS = {**JSON_DOCUMENTS, **TEXT_DOCUMENTS}


@functools.cache
def document(name: str) -> tuple[str, RawDocument]:
    """(extractor, the document), loaded once: every example mutates the same bytes."""
    kind, load = ALL_DOCUMENTS[name]
    return kind, load()


# -- the property ---------------------------------------------------------------------------


def assert_record_or_named_error(raw: RawDocument, kind: str) -> None:
    """The named extractor, then sniffing: a storable record or an `ExtractError`, in time."""
    TALLY["fuzz"] += 1
    for forced in (kind, None):
        started = time.perf_counter()
        try:
            _, record = extract(raw, forced)
        except ExtractError:
            pass
        else:
            assert isinstance(record, LcdDocument)
            record_hash(record.to_dict())  # the record can be stored
        elapsed = time.perf_counter() - started
        assert elapsed < TIME_LIMIT_S, f"{forced or 'sniffed'} took {elapsed:.2f} s"


# -- mutations ------------------------------------------------------------------------------
# Strategies draw edit *plans* (positions as fractions of the length, texts to insert, seeds),
# which `apply_*` carry out on the document: reports stay short, and runs repeatable.

position = st.floats(0, 1)
unicode_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
)
text_edits = st.lists(
    st.one_of(
        st.tuples(st.just("cut"), position),
        st.tuples(st.just("delete"), position, st.integers(1, 2000)),
        st.tuples(st.just("insert"), position, unicode_text),
        st.tuples(st.just("delete tags"), st.lists(position, min_size=1, max_size=12)),
        st.tuples(st.just("shuffle lines"), st.integers(0, 2**32)),
        st.tuples(st.just("duplicate"), position, st.integers(1, 500)),
    ),
    min_size=1,
    max_size=3,
)
json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    unicode_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
field_edits = st.tuples(
    position,  # which response of a bundle
    st.lists(
        st.one_of(
            st.tuples(st.just("delete"), position),
            st.tuples(st.just("retype"), position, json_values),
            st.tuples(st.just("edit narrative"), position, text_edits),
            st.tuples(st.just("shuffle sections"), st.integers(0, 2**32)),
        ),
        min_size=1,
        max_size=4,
    ),
)


def _pick(items: list[T], fraction: float) -> T:
    return items[min(int(fraction * len(items)), len(items) - 1)]


def apply_text_edits(text: str, edits: list[tuple[Any, ...]]) -> str:
    """`text` cut at an offset, with a span deleted or doubled, unicode inserted, tags deleted
    or its lines shuffled, in turn."""
    for kind, *args in edits:
        at = int(args[0] * len(text)) if isinstance(args[0], float) else 0
        if kind == "cut":
            text = text[:at]
        elif kind == "delete":
            text = text[:at] + text[at + args[1] :]
        elif kind == "insert":
            text = text[:at] + args[1] + text[at:]
        elif kind == "duplicate":
            text = text[:at] + text[at : at + args[1]] * 2 + text[at:]
        elif kind == "shuffle lines":
            lines = text.split("\n")
            random.Random(args[0]).shuffle(lines)
            text = "\n".join(lines)
        else:
            tags = list(TAG.finditer(text))
            doomed = {min(int(f * len(tags)), len(tags) - 1) for f in args[0]} if tags else set()
            pieces = _split_keeping(text, tags)
            text = "".join(p for i, p in enumerate(pieces) if i % 2 == 0 or i // 2 not in doomed)
    return text


def _split_keeping(text: str, matches: list[re.Match[str]]) -> list[str]:
    """text → [between, match, between, match, …, between]."""
    pieces, last = [], 0
    for match in matches:
        pieces += [text[last : match.start()], match[0]]
        last = match.end()
    return [*pieces, text[last:]]


def _record_of(document: Any) -> dict[str, Any] | None:
    """The record a JSON document carries: data[0] of an envelope, `lcd` of a download row."""
    if isinstance(document.get("data"), list) and document["data"]:
        record: dict[str, Any] = document["data"][0]
        return record
    if isinstance(document.get("lcd"), dict):
        lcd: dict[str, Any] = document["lcd"]
        return lcd
    return None


def apply_field_edits(document: Any, edits: tuple[float, list[tuple[Any, ...]]]) -> Any:
    """A JSON document with fields of its record deleted, retyped or their narrative HTML
    edited (decoded, edited, escaped again as CMS serves it), or its sections shuffled. In a
    bundle, the record of one of its responses."""
    pick, operations = edits
    document = json.loads(json.dumps(document))
    target, name = document, None
    if "responses" in document:
        name = _pick(sorted(document["responses"]), pick)
        target = json.loads(document["responses"][name])
    record = _record_of(target)
    if record is None:
        return document
    for kind, *args in operations:
        keys = sorted(record)
        if kind == "delete" and keys:
            record.pop(_pick(keys, args[0]))
        elif kind == "retype" and keys:
            record[_pick(keys, args[0])] = args[1]
        elif kind == "edit narrative":
            fields = [k for k in keys if isinstance(record[k], str) and len(record[k]) > 40]
            if fields:
                field = _pick(fields, args[0])
                edited = apply_text_edits(html.unescape(record[field]), args[1])
                record[field] = escape_like_cms(edited)
        elif kind == "shuffle sections":
            present = [k for k in NARRATIVE_FIELDS if k in record]
            values = [record[k] for k in present]
            random.Random(args[0]).shuffle(values)
            record.update(zip(present, values, strict=True))
    if name is not None:
        document["responses"][name] = json.dumps(target)
    return document


def _sections_shuffled(text: str, rng: random.Random) -> str:
    """The page with its sections (from one heading to the next) in another order."""
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip() in HEADINGS or re.match(r"\s*<h[2-4]", line):
            blocks.append([])
        blocks[-1].append(line)
    head, rest = blocks[0], blocks[1:]
    rng.shuffle(rest)
    return "\n".join(line for block in [head, *rest] for line in block)


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(JSON_DOCUMENTS))
@FUZZ
@given(edits=field_edits)
def test_json_documents_with_edited_fields(
    name: str, edits: tuple[float, list[tuple[Any, ...]]]
) -> None:
    kind, raw = document(name)
    edited = apply_field_edits(json.loads(raw.content), edits)
    content = json.dumps(edited, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert_record_or_named_error(RawDocument(content.encode("utf-8"), raw.source), kind)


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
@FUZZ
@given(shuffle=st.none() | st.integers(0, 2**32), edits=text_edits)
def test_documents_cut_edited_and_shuffled_as_text(
    name: str, shuffle: int | None, edits: list[tuple[Any, ...]]
) -> None:
    kind, raw = document(name)
    text = raw.content.decode("utf-8")
    if shuffle is not None:
        text = _sections_shuffled(text, random.Random(shuffle))
    text = apply_text_edits(text, edits)
    assert_record_or_named_error(RawDocument(text.encode("utf-8"), raw.source), kind)


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
@FUZZ
@given(at=position, cut=st.booleans(), garbage=st.binary(min_size=1, max_size=64))
def test_documents_with_random_bytes(name: str, at: float, cut: bool, garbage: bytes) -> None:
    """Invalid UTF-8, NULs and binary garbage at random offsets, or a cut in mid-character."""
    kind, raw = document(name)
    offset = int(at * len(raw.content))
    head, tail = raw.content[:offset], raw.content[offset:]
    content = head if cut else head + garbage + tail
    assert_record_or_named_error(RawDocument(content, raw.source), kind)


def _api_with(name: str, **fields: Any) -> RawDocument:
    raw = _raw(name)
    envelope = json.loads(raw.content)
    envelope["data"][0].update(fields)
    return RawDocument(json.dumps(envelope).encode("utf-8"), raw.source)


def _article_with(**fields: Any) -> RawDocument:
    raw = _raw("A59105_v26.coverage-api-article")
    bundle = json.loads(raw.content)
    envelope = json.loads(bundle["responses"]["article"])
    envelope["data"][0].update(fields)
    bundle["responses"]["article"] = json.dumps(envelope)
    return RawDocument(json.dumps(bundle).encode("utf-8"), raw.source)


def _page_html_with(suffix: bytes) -> RawDocument:
    raw = _raw("L39314_v7.mcd-page-html")
    return RawDocument(raw.content + suffix, raw.source)


# What the fuzzing found, pinned: each once raised TypeError, ValueError or OverflowError.
FOUND = [
    ("control-character-first-in-a-section", "coverage-api",
     lambda: _api_with("DL39314_v19.coverage-api", appendices="\x1b[2J"), True),
    ("control-character-after-the-page", "mcd-page-html", lambda: _page_html_with(b"\x1f\n"),
     True),
    ("status-is-a-boolean", "coverage-api",
     lambda: _api_with("L39314_v7.coverage-api", status=True), False),
    ("version-is-infinite", "coverage-api-article",
     lambda: _article_with(article_version=float("inf")), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "build", "readable"), [pytest.param(*rest, id=name) for name, *rest in FOUND]
)
def test_what_the_fuzzing_found(
    kind: str, build: Callable[[], RawDocument], readable: bool
) -> None:
    """A stray control character is dropped and the document read; a field of the wrong type
    is a named `LayoutChanged`, never a TypeError from deep inside."""
    raw = build()
    if readable:
        _, record = extract(raw, kind)
        assert record.sections and record.title
    else:
        with pytest.raises(ExtractError, match="not of the expected kind"):
            extract(raw, kind)
    assert_record_or_named_error(raw, kind)
