"""History queries on a synthetic store of 10,000 snapshots (1,000 documents x 10 versions),
built from the reconstructed L39314 v7 record: the version timeline of one document, the life
of one indication, and the version in force on a date, each timed (target: under 20 ms), plus
the database size next to the compressed raw bytes it keeps.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lcdtrack.extractors import extract
from lcdtrack.models import Change, LcdDates, LcdDocument, RawDocument
from lcdtrack.snapshots import ChangeLog, SnapshotStore, queries

TARGET_MS = 20.0


def _version(base: LcdDocument, document: int, version: int) -> LcdDocument:
    year = 2015 + version
    dates = LcdDates(
        original_effective="2015-10-01",
        revision_effective=f"{year}-01-01",
        revision_ending=f"{year}-12-31" if version < 10 else None,
    )
    first = base.indications[1]
    dosing = tuple(replace(s, text=f"{s.text} (v{version})") for s in first.dosing)
    indications = (base.indications[0], replace(first, dosing=dosing), *base.indications[2:])
    return replace(
        base,
        public_id=f"L{document}",
        lcd_id=document,
        version=version,
        dates=dates,
        indications=indications,
    )


def build(
    store: SnapshotStore, base: LcdDocument, raw: bytes, documents: int, versions: int
) -> None:
    for document in range(50000, 50000 + documents):
        previous = None
        for version in range(1, versions + 1):
            record = _version(base, document, version)
            content = raw + f"\n{document}.{version}".encode()
            log = None
            if previous is not None:
                change = Change(
                    "indication_changed", "Autoimmune retinopathy (AIR)", "dose_changed",
                    f"v{version - 1}", f"v{version}", severity="medium",
                )  # fmt: skip
                log = ChangeLog(previous, (change,))
            result = store.save(
                RawDocument(content, f"synthetic {document}"), record, "bench", "1", log
            )
            previous = result.snapshot


def _median_ms(action: Callable[[], object], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_history(corpus: Path, documents: int = 1000, versions: int = 10) -> list[list[str]]:
    path = corpus / "reconstructed" / "api" / "lcd_39314_ver_7.json"
    raw = path.read_bytes()
    base = extract(RawDocument(raw, str(path)))[1]
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "history.db"
        with SnapshotStore(db) as store:
            started = time.perf_counter()
            build(store, base, raw, documents, versions)
            build_s = time.perf_counter() - started
            target = f"L{50000 + documents // 2}"
            checks = {
                "version timeline (10 versions)": lambda: queries.version_timeline(store, target),
                "indication timeline (AIR)": lambda: queries.indication_timeline(
                    store, target, "AIR"
                ),
                "in force on 2019-06-01": lambda: queries.in_force(store, target, "2019-06-01"),
            }
            for name, action in checks.items():
                ms = _median_ms(action)
                rows.append([name, f"{ms:.1f}", "MET" if ms < TARGET_MS else "NOT MET"])
            raw_bytes = store.db.execute("select sum(length(content)) from raw_sources").fetchone()[
                0
            ]
            snapshots = store.counts()["snapshots"]
        db_size = db.stat().st_size + sum(p.stat().st_size for p in db.parent.glob("history.db-*"))
    rows.append([f"built {snapshots:,} snapshots", f"{build_s:.0f} s", ""])
    rows.append(["database size", f"{db_size / 2**20:.0f} MiB", ""])
    rows.append(["of which compressed raw bytes", f"{raw_bytes / 2**20:.0f} MiB", ""])
    return rows
