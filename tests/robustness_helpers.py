"""Shared pieces of the robustness suite (`tests/test_robustness_*.py`).

* the real command line as a subprocess (`python -m lcdtrack`), with `LCDTRACK_DB` set;
* synthetic MCD bulk downloads of many LCDs, each in two versions, rows in shuffled order;
* `problems(db)`: every invariant a snapshot database must keep after any crash, and
  `contents(db)`: what a run stored, to compare an interrupted-then-resumed run with a clean one;
* a replay server with the faults `tests/replay_server.py` lacks (huge bodies, stalls);
* `TALLY`, the count of faults served, crashes injected and fuzz examples run, reported at the
  end of the session and kept in pytest's cache for `benchmarks/robustness.py`;
* large inputs: a bulk download of real-sized rows, an LCD with a huge indications section;
* the crash-point driver, run as `python -m tests.robustness_helpers crash-points …`: it forks
  one child per SQL statement of an ingest that can write, and SIGKILLs the child just before
  that statement.

Nothing in lcdtrack is mocked: the subprocesses run the installed command line, the faults
travel over loopback HTTP, and the crash points kill a real process.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lcdtrack.fetch.local import read_file
from lcdtrack.models import RawDocument
from lcdtrack.pipeline import ingest
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.canonical import content_hash, record_hash
from tests import bulk_fixtures as fx
from tests.mutate import escape_like_cms
from tests.replay_server import Fault, ReplayServer

ROOT = Path(__file__).resolve().parents[1]
LCD = "/v1/data/lcd/"
CLI_TIMEOUT_S = 120.0
TALLY_KEY = "lcdtrack/robustness-tally"
TALLY: Counter[str] = Counter()
"""faults (answers that were a fault), crashes (processes SIGKILLed), fuzz (examples run)."""


# -- the command line as a subprocess ---------------------------------------------------------


def cli_env(db: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: the database named, back-off short, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCDTRACK_")}
    env.update(
        LCDTRACK_DB=str(db),
        LCDTRACK_BACKOFF="0.01",
        NO_COLOR="1",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def start_cli(db: Path, *args: str, cwd: Path | None = None, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lcdtrack", *args],
        env=cli_env(db, **env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(
    db: Path, *args: str, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lcdtrack", *args],
        env=cli_env(db, **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def kill(process: subprocess.Popen[str]) -> bool:
    """SIGKILL a CLI subprocess that is still running; True if it was."""
    if process.poll() is not None:
        process.communicate()
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    TALLY["crashes"] += 1
    return True


# -- synthetic bulk downloads ---------------------------------------------------------------

REVISED_DOSE = ("0.4 to 1.5 g&sol;kg", "0.5 to 1.5 g&sol;kg")


def many_lcds_download(folder: Path, count: int, first_id: int = 60000, seed: int = 7) -> Path:
    """`current_lcd.zip` with `count` LCDs made from L39314 v7, each as version 1 and a revised
    version 2 (a dose changed), rows shuffled so a version 2 often comes before its version 1."""
    tables = fx.default_tables()
    base = fx.lcd_row(fx.api_record(fx.FINAL_FILE))
    assert REVISED_DOSE[0] in base["indication"]
    rows = []
    for lcd_id in range(first_id, first_id + count):
        first = dict(base, lcd_id=str(lcd_id), lcd_version="1", title=f"Synthetic LCD {lcd_id}")
        second = dict(first, lcd_version="2", indication=base["indication"].replace(*REVISED_DOSE))
        rows += [first, second]
    random.Random(seed).shuffle(rows)
    tables.lcd = rows
    folder.mkdir(parents=True, exist_ok=True)
    return fx.write_download(folder, tables.files())


def large_download(folder: Path, size: int, first_id: int = 80000) -> tuple[Path, int, int]:
    """`all_lcd.zip` whose `lcd.csv` holds about `size` bytes: L39314 v7 rows (~45 KB each, as
    large as a real LCD row) under new ids, each LCD as version 1 and a revised version 2,
    written as a stream. Returns the path, the CSV's size in bytes and its number of rows."""
    base = fx.lcd_row(fx.api_record(fx.FINAL_FILE))
    inner = folder / "all_lcd_csv.zip"
    rows = 0
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("lcd.csv", "w") as member:
            text = io.TextIOWrapper(member, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(fx.LCD_COLUMNS)
            written = 0
            while written < size:
                lcd_id = first_id + rows // 2
                row = dict(base, lcd_id=str(lcd_id), title=f"Synthetic LCD {lcd_id}")
                if rows % 2:
                    row.update(
                        lcd_version="2", indication=base["indication"].replace(*REVISED_DOSE)
                    )
                else:
                    row.update(lcd_version="1")
                writer.writerow([row[c] for c in fx.LCD_COLUMNS])
                written += sum(len(v) for v in row.values())
                rows += 1
            text.flush()
            text.detach()
        csv_size = archive.getinfo("lcd.csv").file_size
    outer = folder / "all_lcd.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as archive:
        archive.write(inner, inner.name)
    inner.unlink()
    return outer, csv_size, rows


def large_indication_document(
    size: int, shape: str = "list", version: int = 1, edits: str = "one"
) -> RawDocument:
    """L39314 v7 as the Coverage API serves it, its indications section grown to about `size`
    bytes of HTML: `list`, one indication after another (each with a criterion and a dose), or
    `paragraph`, one indication of a single unbroken paragraph.

    Version 2 is a revision: with `edits="one"` it renames one indication (list) or adds a
    sentence (paragraph); with `edits="throughout"` a phrase of every repeated sentence of the
    paragraph changes."""
    envelope = json.loads(fx.FINAL_FILE.read_text(encoding="utf-8"))
    record = envelope["data"][0]
    lead = "<p>NGS has approved IVIG for the following off label uses:</p><ul>"
    revised = version == 2
    if shape == "list":
        items, number, length = [], 0, len(lead)
        while length < size:
            name = f"Condition number {'five' if revised and number == 5 else number}"
            item = (
                f"<li>{name} (CN{number}) - IVIG is considered reasonable and necessary when the "
                "diagnosis is confirmed and standard therapy failed.<ul><li>Documented failure "
                f"of {number % 7 + 1} prior therapies</li><li>Maintenance Dose - 0.4 to 1.5 g/kg "
                "in single or divided doses monthly.</li></ul></li>"
            )
            items.append(item)
            length += len(item)
            number += 1
        markup = lead + "".join(items) + "</ul>"
    else:
        words = "immune globulin is reasonable when the criteria are met and 0.4 g/kg monthly "
        words += "is given " if revised and edits == "throughout" else "applies "
        text = words * (size // len(words))
        if revised and edits == "one":
            text += "A sentence added in the revision."
        markup = f"{lead}<li>One long indication - {text}</li></ul>"
    record.update(indication=escape_like_cms(markup), lcd_version=6 + version)
    content = json.dumps(envelope).encode("utf-8")
    return RawDocument(content=content, source=f"large-{shape}-v{version}.json")


# -- database invariants ----------------------------------------------------------------------

COUNTED_TABLES = (
    "documents",
    "snapshots",
    "raw_sources",
    "sections",
    "section_texts",
    "indications",
    "codes",
    "changes",
    "change_notes",
    "report_state",
)


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def problems(db: Path) -> list[str]:
    """Every way the database breaks a promise of the store; [] when it keeps them all.

    The file is sound (integrity and foreign keys); each snapshot's record and raw bytes are
    there and hash to what the row says; the parts of a snapshot (sections and their texts,
    indications, codes) are all there or the snapshot is not; no version is stored twice; and
    no report row is marked seen for a version that is not stored (a sync would skip it
    forever).
    """
    found: list[str] = []
    conn = _connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            found.append(f"integrity_check: {integrity[:5]}")
        for row in conn.execute("PRAGMA foreign_key_check").fetchall()[:5]:
            found.append(f"foreign key broken: {row}")
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "snapshots" not in tables or not conn.execute("select 1 from snapshots").fetchone():
            return found  # killed while creating the schema: nothing stored yet
        found += _snapshot_problems(conn)
        for key in conn.execute(
            "select document_id, version, record_hash from snapshots "
            "group by document_id, version, record_hash having count(*) > 1"
        ).fetchall():
            found.append(f"duplicate snapshot {key}")
        for key in conn.execute(
            "select r.document_id, r.version from report_state r where not exists (select 1 "
            "from snapshots s where s.document_id = r.document_id and s.version = r.version)"
        ).fetchall():
            found.append(f"report row marked seen but no snapshot stored: {key}")
    finally:
        conn.close()
    return found


def _snapshot_problems(conn: sqlite3.Connection) -> list[str]:
    found = []
    part_counts = {
        table: dict(
            conn.execute(f"select snapshot_id, count(*) from {table} group by 1").fetchall()
        )
        for table in ("sections", "indications", "codes")
    }
    texts_missing = dict(
        conn.execute(
            "select s.snapshot_id, count(*) from sections s left join section_texts t "
            "on t.hash = s.text_hash where t.hash is null group by 1"
        ).fetchall()
    )
    rows = conn.execute(
        "select s.id, s.document_id, s.record_hash, s.record_zlib, s.raw_hash, r.content, "
        "(select 1 from documents d where d.id = s.document_id) "
        "from snapshots s left join raw_sources r on r.hash = s.raw_hash"
    ).fetchall()
    for snapshot_id, document_id, rhash, record_zlib, raw_hash, raw, has_document in rows:
        label = f"snapshot {snapshot_id} ({document_id})"
        record = json.loads(zlib.decompress(record_zlib))
        if record_hash(record) != rhash:
            found.append(f"{label}: record does not hash to its record_hash")
        if raw is None or content_hash(zlib.decompress(raw)) != raw_hash:
            found.append(f"{label}: raw source missing or not matching its hash")
        if not has_document:
            found.append(f"{label}: no documents row")
        expected = {
            "sections": len(record["sections"]),
            "indications": len(record["indications"]),
            "codes": sum(len(group["codes"]) for group in record["code_groups"]),
        }
        for table, count in expected.items():
            stored = part_counts[table].get(snapshot_id, 0)
            if stored != count:
                found.append(f"{label}: {stored} {table} rows, its record has {count}")
        if texts_missing.get(snapshot_id):
            found.append(f"{label}: sections without their text")
    return found


def contents(db: Path) -> dict[str, Any]:
    """What a run stored, without timestamps or row ids: equal for a clean run and an
    interrupted run that was run again."""
    conn = _connect(db)
    try:
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in COUNTED_TABLES
        }
        snapshots = sorted(
            conn.execute("select document_id, version, record_hash from snapshots").fetchall()
        )
        changes = sorted(
            conn.execute(
                "select c.document_id, f.version, t.version, c.kind, c.subject, "
                "coalesce(c.aspect, ''), coalesce(c.before, ''), coalesce(c.after, '') "
                "from changes c join snapshots f on f.id = c.from_snapshot "
                "join snapshots t on t.id = c.to_snapshot"
            ).fetchall()
        )
        report_state = sorted(
            conn.execute("select document_id, version, updated_on from report_state").fetchall()
        )
    finally:
        conn.close()
    return {
        "counts": counts,
        "snapshots": snapshots,
        "changes": changes,
        "report_state": report_state,
    }


def snapshot_count(db: Path) -> int:
    """Snapshots stored so far (0 if the database or its schema is not there yet)."""
    if not db.exists():
        return 0
    conn = _connect(db)
    try:
        return int(conn.execute("select count(*) from snapshots").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


# -- extra network faults ---------------------------------------------------------------------


class FaultyReplayServer(ReplayServer):
    """The corpus replay with more faults, each a `Fault(kind=…)`:

    * `huge`: a 200 without a Content-Length whose body streams `int(body)` bytes;
    * `huge-declared`: a 200 announcing a Content-Length of 10**12 bytes;
    * `stall`: a 200 whose headers come at once and whose body never does (`seconds` of silence).

    Every fault served is counted in `TALLY["faults"]`.
    """

    def __init__(self) -> None:
        super().__init__()
        base: Any = self.httpd.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def _fault(self, fault: Fault) -> None:
                TALLY["faults"] += 1
                if fault.kind == "huge":
                    self._stream(int(fault.body))
                elif fault.kind == "huge-declared":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(10**12))
                    self.end_headers()
                    self.wfile.write(b'{"data": [')
                    self.close_connection = True
                elif fault.kind == "stall":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.flush()
                    time.sleep(fault.seconds)
                    self.close_connection = True
                else:
                    super()._fault(fault)

            def _stream(self, size: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                block = b'{"data": [' + b" " * (1024 * 1024 - 10)
                sent = 0
                try:
                    while sent < size:
                        self.wfile.write(block)
                        sent += len(block)
                except OSError:  # the client hung up at its size cap, as it should
                    pass
                self.close_connection = True

        self.httpd.RequestHandlerClass = Handler

    def fail_always(self, path: str, fault: Fault, times: int = 200) -> None:
        """Every request to `path` (up to `times`) gets `fault`."""
        self.fail(path, *[fault] * times)


# -- the tally ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def robustness_tally(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    """Report, once per session, how many faults, crashes and fuzz examples the suite tried.

    Each robustness module imports this fixture (so each has its own definition); the first
    teardown at the end of the session reports the session's totals."""
    yield TALLY
    if getattr(request.config, "_lcdtrack_tally_reported", False):
        return
    request.config._lcdtrack_tally_reported = True  # type: ignore[attr-defined]
    figures = {name: TALLY[name] for name in ("faults", "crashes", "fuzz")}
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        cache.set(TALLY_KEY, {**figures, "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nrobustness: {figures['faults']} faults served, {figures['crashes']} crashes "
                f"injected, {figures['fuzz']} fuzz examples run"
            )


# -- crash points: SIGKILL before each SQL statement of an ingest --------------------------------


WRITE_STATEMENTS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "PRAGMA", "BEGIN",
     "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
)  # fmt: skip
"""Statements before which a crash can leave the file in a new state. A read (`select`,
`PRAGMA table_info`) changes nothing, and a statement a trigger runs ("-- TRIGGER …") belongs
to the write that fired it, so killing before each of these reaches every state a crash can
leave."""


def crash_points(
    base: Path | None, sources: list[Path], work: Path, limit: int, every: int = 1
) -> list[Path]:
    """For n = 1, 1 + every, 1 + 2 × every, …: copy `base` (or start with no database), fork a
    child that ingests `sources` and SIGKILLs itself just before its n-th SQL statement that
    can write (`WRITE_STATEMENTS`); stop at the first n the child never reaches. Returns the
    databases left behind, one per crash, in order.

    Run in a fresh single-threaded process (see `main`), as fork needs.
    """
    raws = [read_file(path) for path in sources]
    left: list[Path] = []
    for point in range(1, limit + 1, every):
        db = work / f"crash-{point:04d}.db"
        if base is not None:
            shutil.copyfile(base, db)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _ingest_until(db, raws, point)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            break  # ran to the end without reaching this statement: every point is done
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            sys.exit(f"crash point {point}: the ingest failed without being killed ({status})")
        left.append(db)
    return left


def _ingest_until(db: Path, raws: list[RawDocument], point: int) -> None:
    statements = 0

    def count(sql: str) -> None:
        nonlocal statements
        words = sql.split(None, 2)
        if words[0].upper() not in WRITE_STATEMENTS or words[:2] == ["PRAGMA", "table_info"]:
            return
        statements += 1
        if statements == point:
            os.kill(os.getpid(), signal.SIGKILL)

    code = 0
    try:
        with _traced_store(db, count) as store:
            for raw in raws:
                ingest(store, raw)
    except BaseException:  # any failure of the child fails the test
        traceback.print_exc()
        code = 4
    os._exit(code)


def _traced_store(db: Path, trace: Callable[[str], None]) -> SnapshotStore:
    """`SnapshotStore(db)` whose connection calls `trace` before every SQL statement, those of
    opening (pragmas, migrations) included. Only the connection gains a trace callback; the
    store's own code runs unchanged."""
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = original(*args, **kwargs)
        conn.set_trace_callback(trace)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        return SnapshotStore(db)
    finally:
        sqlite3.connect = original


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.robustness_helpers")
    sub = parser.add_subparsers(dest="command", required=True)
    points = sub.add_parser("crash-points", help="SIGKILL an ingest before each SQL statement")
    points.add_argument("--base", type=Path, help="database to start from (default: none)")
    points.add_argument("--work", type=Path, required=True)
    points.add_argument("--limit", type=int, default=2000)
    points.add_argument("--every", type=int, default=1, help="try every n-th statement only")
    points.add_argument("sources", type=Path, nargs="+")
    args = parser.parse_args(argv)
    left = crash_points(args.base, args.sources, args.work, args.limit, args.every)
    print(json.dumps([str(path) for path in left]))


if __name__ == "__main__":
    main()
