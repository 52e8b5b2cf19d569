"""Resource bounds at full scale, and what the robustness suite tried (no network).

Run as `python benchmarks/robustness.py [--field-mib 5] [--csv-mib 50]`. Each scenario runs in a
fresh subprocess, so the peak resident set size it reports (`VmHWM`) is that scenario's own;
the inputs are written to a temporary folder first, and read back as lcdtrack reads them.

* baseline: a process that imports lcdtrack and opens a store (what every run starts from);
* indications section, list: L39314 whose indications section is N MiB of HTML (~18,000
  indications at 5 MiB), fetched as two versions (one indication renamed in the second): each
  extracted, stored, and the second compared with the first (`lcdtrack fetch v7.json v8.json`);
* indications section, paragraph: the same with one unbroken N MiB paragraph, the revision
  adding a sentence;
* bulk CSV, streamed: `lcd.csv` of M MiB (LCD rows of real size, two versions per LCD) read
  through `LcdDownload` without storing;
* bulk CSV, imported: the same through `lcdtrack import` into a fresh store.

Targets (stated in the README's Guarantees): an N MiB section within 100 MiB of RSS per MiB plus
the baseline and 30 s per MiB; a bulk import within 256 MiB of RSS whatever the CSV's size (it
is streamed) and 1 s per MiB. The counts of faults served, crashes injected and fuzz examples
run come from the last `pytest` run of `tests/test_robustness_*.py` (pytest's cache).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.*, when run as a script

FIELD_RSS_PER_MIB = 100.0
FIELD_SECONDS_PER_MIB = 30.0
IMPORT_RSS_MIB = 256.0
IMPORT_SECONDS_PER_MIB = 1.0
TALLY_FILE = ROOT / ".pytest_cache" / "v" / "lcdtrack" / "robustness-tally"
HEADERS = ("scenario", "input", "seconds", "peak RSS MiB", "target", "status")


def peak_rss_mib() -> float:
    """This process's peak RSS. On Linux `VmHWM`, which starts afresh at exec: `ru_maxrss`
    would count the pages of the parent this process was forked from."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


# -- the scenarios, each run in its own process -----------------------------------------------


def _scenario(name: str, folder: Path) -> dict[str, float]:
    from lcdtrack.fetch import fetch_source
    from lcdtrack.fetch.bulk import LcdDownload
    from lcdtrack.pipeline import import_download, ingest
    from lcdtrack.snapshots import SnapshotStore

    started = time.perf_counter()
    with SnapshotStore(folder / f"{name}.db") as store:
        if name.startswith("field-"):
            for version in (1, 2):
                ingest(store, fetch_source(str(folder / f"{name}-v{version}.json")))
        elif name == "csv-read":
            with LcdDownload(folder / "all_lcd.zip") as download:
                for _ in download.documents():
                    pass
        elif name == "csv-import":
            with LcdDownload(folder / "all_lcd.zip") as download:
                for outcome in import_download(store, download):
                    if outcome.error is not None:
                        raise RuntimeError(str(outcome.error))
    return {"seconds": time.perf_counter() - started, "rss_mib": peak_rss_mib()}


def _measure(name: str, folder: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--scenario", name, "--folder", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scenario {name} failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def _write_inputs(folder: Path, field_mib: float, csv_mib: float) -> dict[str, float]:
    """The scenario inputs as files; returns the real input sizes in MiB."""
    from tests.robustness_helpers import large_download, large_indication_document

    sizes = {}
    for shape in ("list", "paragraph"):
        for version in (1, 2):
            raw = large_indication_document(int(field_mib * 2**20), shape, version)
            (folder / f"field-{shape}-v{version}.json").write_bytes(raw.content)
        sizes[f"field-{shape}"] = field_mib
    _, csv_size, rows = large_download(folder, int(csv_mib * 2**20))
    sizes["csv"] = csv_size / 2**20
    sizes["csv-rows"] = rows
    return sizes


# -- the report ---------------------------------------------------------------------------------


def bench_robustness(field_mib: float = 5.0, csv_mib: float = 50.0) -> list[list[str]]:
    """Rows (HEADERS) for the resource scenarios and the suite's counts."""
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="lcdtrack-robustness-") as tmp:
        folder = Path(tmp)
        sizes = _write_inputs(folder, field_mib, csv_mib)
        base = _measure("baseline", folder)
        rows.append(["baseline (import lcdtrack, open a store)", "", "", f"{base['rss_mib']:.0f}",
                     "", ""])  # fmt: skip
        for shape in ("list", "paragraph"):
            got = _measure(f"field-{shape}", folder)
            rss_limit = base["rss_mib"] + FIELD_RSS_PER_MIB * field_mib
            time_limit = FIELD_SECONDS_PER_MIB * field_mib
            rows.append(
                [
                    f"indications section, {shape}: 2 versions fetched",
                    f"{field_mib:g} MiB",
                    f"{got['seconds']:.1f}",
                    f"{got['rss_mib']:.0f}",
                    f"<= {rss_limit:.0f} MiB, {time_limit:.0f} s",
                    _verdict(got["rss_mib"] <= rss_limit and got["seconds"] <= time_limit),
                ]
            )
        for name, label in (("csv-read", "streamed"), ("csv-import", "imported")):
            got = _measure(name, folder)
            time_limit = IMPORT_SECONDS_PER_MIB * sizes["csv"]
            rows.append(
                [
                    f"bulk lcd.csv, {label} ({int(sizes['csv-rows'])} rows)",
                    f"{sizes['csv']:.0f} MiB",
                    f"{got['seconds']:.1f}",
                    f"{got['rss_mib']:.0f}",
                    f"<= {IMPORT_RSS_MIB:.0f} MiB, {time_limit:.0f} s",
                    _verdict(got["rss_mib"] <= IMPORT_RSS_MIB and got["seconds"] <= time_limit),
                ]
            )
    return rows + tally_rows()


def tally_rows() -> list[list[str]]:
    """The last robustness test run's counts, as rows (or a row saying how to get them)."""
    try:
        tally = json.loads(TALLY_FILE.read_text())
    except (OSError, ValueError):
        return [["suite counts: run `pytest tests/test_robustness_*.py` first", "", "", "", "",
                 ""]]  # fmt: skip
    when = f"pytest run of {tally.get('at', '?')}"
    return [
        [f"faults served over loopback ({when})", str(tally["faults"]), "", "", "", ""],
        [f"crashes injected (SIGKILL) ({when})", str(tally["crashes"]), "", "", "", ""],
        [f"fuzz examples run ({when})", str(tally["fuzz"]), "", "", "", ""],
    ]


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def print_rows(rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    for cells in (list(HEADERS), ["-" * w for w in widths], *rows):
        first, *rest = zip(cells, widths, strict=True)
        print("  " + "  ".join([first[0].ljust(first[1]), *(c.rjust(w) for c, w in rest)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--field-mib", type=float, default=5.0, help="indications section size")
    parser.add_argument("--csv-mib", type=float, default=50.0, help="bulk lcd.csv size")
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scenario:
        print(json.dumps(_scenario(args.scenario, args.folder)))
        return 0
    print(
        f"lcdtrack robustness — {args.field_mib:g} MiB indications section, "
        f"{args.csv_mib:g} MiB bulk lcd.csv (each scenario in its own process)\n"
    )
    print_rows(bench_robustness(args.field_mib, args.csv_mib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
