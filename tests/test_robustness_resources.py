"""Resource bounds, at a scale CI can afford (`benchmarks/robustness.py` measures the full
scale: a 5 MB indications section and a 50 MB bulk `lcd.csv`, with peak RSS):

* a huge indications section is extracted, stored and compared in memory and time proportional
  to its size (Python heap traced with tracemalloc; lxml's own C memory is not traced);
* `lcdtrack import` streams `lcd.csv`: its memory does not grow with the file;
* the word diff of a long section rewritten throughout stays bounded: diff-match-patch settles for
  a coarser diff after `DIFF_TIMEOUT_S`, so growth is at most linear past that point."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from lcdtrack.diff import compare
from lcdtrack.extractors import extract
from lcdtrack.fetch.bulk import LcdDownload
from lcdtrack.pipeline import import_download, ingest
from lcdtrack.snapshots import SnapshotStore
from tests.robustness_helpers import (
    large_download,
    large_indication_document,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
)

FIELD_BYTES = 256 * 1024
HEAP_PER_FIELD_BYTE = 100  # measured ~55-63 for two versions extracted, stored and compared
SECONDS_PER_FIELD_MIB = 40.0  # measured ~8 under tracemalloc


def _traced(action: Callable[[], object]) -> tuple[float, int]:
    """Seconds and peak traced heap (bytes) of `action()`."""
    tracemalloc.start()
    try:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return elapsed, peak


@pytest.mark.parametrize("shape", ["list", "paragraph"])
def test_a_large_indications_section_costs_memory_and_time_in_proportion(
    tmp_path: Path, shape: str
) -> None:
    """Two versions of an LCD whose indications section is 256 KB of HTML (over 900
    indications, or one unbroken paragraph), fetched one after the other: extracted, stored
    and compared within a heap of 100 bytes per byte of section, at most 40 s per MiB."""
    versions = [large_indication_document(FIELD_BYTES, shape, version) for version in (1, 2)]
    with SnapshotStore(tmp_path / "large.db") as store:
        elapsed, peak = _traced(lambda: [ingest(store, raw) for raw in versions])
        latest = store.latest("L39314")
        changes = store.db.execute("select count(*) from changes").fetchone()[0]
    items = versions[1].content.count(b"&lt;li&gt;Condition number")
    assert len(latest.record.indications) == (1 if shape == "paragraph" else items)
    assert changes >= 1  # the revision was compared with its predecessor
    assert peak < HEAP_PER_FIELD_BYTE * FIELD_BYTES, f"peak heap {peak:,} bytes"
    assert elapsed < SECONDS_PER_FIELD_MIB * FIELD_BYTES / 2**20, f"{elapsed:.1f} s"


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_csv(tmp_path: Path) -> None:
    """`lcd.csv` of 2 MB and of 6 MB (LCD rows of real size, two versions each): importing the
    larger needs no more heap than the smaller, and well under the file's size."""
    peaks = []
    for size in (2 * 2**20, 6 * 2**20):
        folder = tmp_path / str(size)
        folder.mkdir()
        path, csv_size, rows = large_download(folder, size)
        with SnapshotStore(folder / "import.db") as store, LcdDownload(path) as download:
            elapsed, peak = _traced(lambda: [None for _ in import_download(store, download)])
            assert store.counts()["snapshots"] == rows
        assert elapsed < rows * 0.5, f"{elapsed:.1f} s for {rows} rows"
        peaks.append((peak, csv_size))
    (small, _), (large, large_size) = peaks
    assert large < small * 1.25 + 256 * 1024, f"heap grew from {small:,} to {large:,} bytes"
    assert large < large_size / 2


@pytest.mark.slow
def test_the_word_diff_of_a_section_rewritten_throughout_grows_linearly() -> None:
    def seconds(size: int) -> float:
        old, new = (
            extract(large_indication_document(size, "paragraph", v, edits="throughout"))[1]
            for v in (1, 2)
        )
        started = time.perf_counter()
        compare(old, new)
        return time.perf_counter() - started

    small, large = seconds(32 * 1024), seconds(128 * 1024)
    assert large < 8 * small, f"4x the text took {large / small:.1f}x the time"
