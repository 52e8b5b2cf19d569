"""Benchmarks for lcdtrack on the shared MCD corpus (no network; finishes in seconds).

Run as `python benchmarks/run.py [--corpus DIR] [--repeat N]`. Every time is the median of N
runs measured with `time.perf_counter`; peak memory per extraction comes from `tracemalloc`
(measured in a separate pass so tracing never slows the timed runs). Figures:

1. Extraction time per document: L39314 and DL39314 as Coverage API JSON and as MCD page text.
2. For the two API documents, a "bare parse" baseline (json.loads, then one `html.unescape` and
   one `lxml.html.fragment_fromstring` per non-empty narrative field) and the ratio
   extraction / bare parse. Target: ratio <= 2.0x.
3. The DL39314 -> L39314 diff (`lcdtrack.diff.compare`) on the extracted API records.
   Target: < 50 ms.
4. `SnapshotStore.save` on a temporary SQLite file: first save into a fresh store (new
   snapshot) and a repeated identical save (the dedup path), in ms per save.
5. `fetch --all` of 1,000 LCDs from a loopback Coverage API replay, then again with nothing
   changed: time, documents/s, requests, and per-document data requests (must be 0 the second
   time). See `benchmarks/fetch_all.py`.
6. The diff of a ~363,000-character LCD against a copy with a handful of edits, at 1x, 2x, 4x
   and 8x that size (target: under 1 s at 1x, near-linear growth). See `benchmarks/big_diff.py`.
7. History queries on a synthetic store of 10,000 snapshots (1,000 documents x 10 versions):
   version timeline, indication timeline, version in force on a date (target: each < 20 ms),
   and the database size next to the compressed raw bytes. See `benchmarks/history.py`.
8. `lcdtrack check` of 1,000 watched LCDs with nothing changed, beside urlwatch checking the
   same documents on the same loopback server (urlwatch only if installed; it is not a project
   dependency). See `benchmarks/check.py`.
9. Resource bounds: a 5 MB indications section and a 50 MB bulk CSV, each in its own process
   (time and peak RSS against stated targets). See `benchmarks/robustness.py`.
10. Peak RSS of the process at the end (`resource.getrusage`).

Targets are reported as MET / NOT MET; the script never fails because one is missed.
"""

from __future__ import annotations

import argparse
import html
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for benchmarks.*, tests.*

from benchmarks.big_diff import bench_big_diff
from benchmarks.check import bench_check
from benchmarks.fetch_all import bench_fetch_all
from benchmarks.history import bench_history
from benchmarks.robustness import HEADERS as ROBUSTNESS_HEADERS
from benchmarks.robustness import bench_robustness
from lcdtrack.diff import compare
from lcdtrack.extractors import Extractor, extract
from lcdtrack.extractors.grammar import SECTIONS
from lcdtrack.models import LcdDocument, RawDocument
from lcdtrack.snapshots import SnapshotStore

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "mcd"
FINAL_API = "reconstructed/api/lcd_39314_ver_7.json"
PROPOSED_API = "reconstructed/api/lcd_39313_ver_19.json"
FINAL_TEXT = "text/L39314.txt"
PROPOSED_TEXT = "reconstructed/text/DL39314.txt"
DOCUMENTS = (
    ("L39314 (Coverage API)", FINAL_API),
    ("DL39314 (Coverage API)", PROPOSED_API),
    ("L39314 (MCD page text)", FINAL_TEXT),
    ("DL39314 (MCD page text)", PROPOSED_TEXT),
)
API_DOCUMENTS = DOCUMENTS[:2]
NARRATIVE_FIELDS = tuple(field for _, field in SECTIONS)
RATIO_TARGET = 2.0
DIFF_TARGET_MS = 50.0


def median_ms(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of `func()` over `repeat` runs, in milliseconds (after one warm-up)."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def peak_kib(func: Callable[[], object]) -> float:
    """Peak Python heap allocated while `func()` runs, in KiB (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024


def load(corpus: Path, relative: str) -> RawDocument:
    path = corpus / relative
    return RawDocument(content=path.read_bytes(), source=str(path))


def bare_parse(content: bytes) -> None:
    """The minimum any extractor must do: decode JSON, unescape and parse each narrative field."""
    record: dict[str, Any] = json.loads(content)["data"][0]
    for field in NARRATIVE_FIELDS:
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            lxml.html.fragment_fromstring(html.unescape(value), create_parent="div")


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def table_line(cells: Sequence[str], widths: list[int]) -> str:
    """First column left-aligned, the figures right-aligned."""
    first, *rest = zip(cells, widths, strict=True)
    return "  " + "  ".join([first[0].ljust(first[1]), *(c.rjust(w) for c, w in rest)])


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print(table_line(headers, widths))
    print(table_line(tuple("-" * w for w in widths), widths))
    for row in rows:
        print(table_line(row, widths))


def bench_extraction(corpus: Path, repeat: int) -> dict[str, float]:
    """Figure 1: extraction time and peak heap per document; returns the times by path."""
    times: dict[str, float] = {}
    rows = []
    for label, relative in DOCUMENTS:
        raw = load(corpus, relative)
        extractor, _ = extract(raw)
        times[relative] = median_ms(partial(extract, raw), repeat)
        peak = peak_kib(partial(extract, raw))
        rows.append(
            (
                label,
                extractor.name,
                f"{len(raw.content) / 1024:.1f}",
                f"{times[relative]:.2f}",
                f"{peak:.0f}",
            )
        )
    headers = ("document", "extractor", "size KiB", "median ms", "peak heap KiB")
    print_table("1. Extraction time per document", headers, rows)
    return times


def bench_bare_parse(corpus: Path, repeat: int, extraction: dict[str, float]) -> None:
    """Figure 2: extraction vs. the bare-parse baseline for the API documents."""
    rows = []
    for label, relative in API_DOCUMENTS:
        content = load(corpus, relative).content
        bare = median_ms(partial(bare_parse, content), repeat)
        ratio = extraction[relative] / bare
        rows.append(
            (
                label,
                f"{extraction[relative]:.2f}",
                f"{bare:.2f}",
                f"{ratio:.2f}x",
                verdict(ratio <= RATIO_TARGET),
            )
        )
    headers = ("document", "extract ms", "bare parse ms", "ratio", "status")
    print_table(f"2. Extraction vs. bare parse (target: <= {RATIO_TARGET:.1f}x)", headers, rows)


def extracted(corpus: Path, relative: str) -> tuple[RawDocument, Extractor, LcdDocument]:
    raw = load(corpus, relative)
    extractor, record = extract(raw)
    return raw, extractor, record


def bench_diff(corpus: Path, repeat: int) -> None:
    """Figure 3: compare(DL39314, L39314) on the extracted API records."""
    _, _, old = extracted(corpus, PROPOSED_API)
    _, _, new = extracted(corpus, FINAL_API)
    changes = len(compare(old, new))
    elapsed = median_ms(lambda: compare(old, new), repeat)
    peak = peak_kib(lambda: compare(old, new))
    rows = [
        (
            f"{old.public_id} -> {new.public_id}",
            str(changes),
            f"{elapsed:.2f}",
            f"{peak:.0f}",
            verdict(elapsed < DIFF_TARGET_MS),
        )
    ]
    headers = ("diff", "changes", "median ms", "peak heap KiB", "status")
    print_table(f"3. Diff time (target: < {DIFF_TARGET_MS:.0f} ms)", headers, rows)


def bench_store(corpus: Path, repeat: int) -> None:
    """Figure 4: SnapshotStore.save into a fresh store (new) and again (dedup)."""
    raw, extractor, record = extracted(corpus, FINAL_API)

    def save(store: SnapshotStore) -> bool:
        return store.save(raw, record, extractor.name, extractor.version).created

    with tempfile.TemporaryDirectory(prefix="lcdtrack-bench-") as tmp:
        first: list[float] = []
        for i in range(repeat):
            with SnapshotStore(Path(tmp) / f"fresh-{i}.db") as store:
                start = time.perf_counter()
                created = save(store)
                first.append(time.perf_counter() - start)
            if not created:
                raise RuntimeError("the first save into a fresh store created no snapshot")
        with SnapshotStore(Path(tmp) / "dedup.db") as store:
            save(store)
            if save(store):
                raise RuntimeError("an identical save was not deduplicated")
            dedup = median_ms(lambda: save(store), repeat)
    new = statistics.median(first) * 1000
    rows = [
        ("first save (new snapshot)", f"{new:.2f}", f"{1000 / new:.0f}"),
        ("identical save (dedup)", f"{dedup:.2f}", f"{1000 / dedup:.0f}"),
    ]
    headers = ("save of L39314 (Coverage API)", "median ms", "saves/s")
    print_table("4. Snapshot store save", headers, rows)


def peak_rss_mib() -> float:
    """Peak resident set size of this process; ru_maxrss is KiB on Linux, bytes on macOS."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"MCD corpus directory (default: {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=20,
        help="repetitions per measurement; the median is reported (default: 20)",
    )
    parser.add_argument(
        "--fetch-count",
        type=int,
        default=1000,
        help="LCDs served by the loopback replay for the fetch --all figure; 0 skips it",
    )
    parser.add_argument(
        "--history-documents",
        type=int,
        default=1000,
        help="documents (x 10 versions) in the synthetic history store; 0 skips it",
    )
    parser.add_argument(
        "--check-count",
        type=int,
        default=1000,
        help="watched LCDs for the check-vs-urlwatch figure; 0 skips it",
    )
    parser.add_argument(
        "--no-resources",
        dest="resources",
        action="store_false",
        help="skip the 5 MB field / 50 MB CSV resource figures (about a minute)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    missing = [r for _, r in DOCUMENTS if not (args.corpus / r).is_file()]
    if missing:
        parser.error(f"corpus {args.corpus} lacks: {', '.join(missing)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"lcdtrack benchmarks — corpus {args.corpus}, median of {args.repeat} runs")
    extraction = bench_extraction(args.corpus, args.repeat)
    bench_bare_parse(args.corpus, args.repeat, extraction)
    bench_diff(args.corpus, args.repeat)
    bench_store(args.corpus, args.repeat)
    if args.fetch_count:
        print_table(
            f"5. fetch --all of {args.fetch_count:,} LCDs from a loopback replay",
            ["run", "seconds", "docs/s", "requests", "data requests", "new/changed/same/failed"],
            bench_fetch_all(args.fetch_count),
        )
    print_table(
        "6. Diff of a ~363,000-character LCD with a handful of edits (target: 1x under 1 s)",
        ["size", "characters", "changes", "ms", "x of 1x"],
        bench_big_diff(args.corpus),
    )
    if args.history_documents:
        print_table(
            f"7. History queries on {args.history_documents * 10:,} snapshots (target: < 20 ms)",
            ["query", "median ms", "status"],
            bench_history(args.corpus, args.history_documents),
        )
    if args.check_count:
        print_table(
            f"8. check of {args.check_count:,} watched LCDs, nothing changed, vs urlwatch",
            ["run", "seconds", "requests", "docs/s"],
            bench_check(args.check_count),
        )
    if args.resources:
        print_table(
            "9. Resource bounds (each scenario in its own process)",
            list(ROBUSTNESS_HEADERS),
            bench_robustness(),
        )
    print(f"\n10. Peak RSS of the process: {peak_rss_mib():.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
