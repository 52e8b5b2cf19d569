"""The diff as data: `json` (one document) and `jsonl` (one object per line, for streams).

JSON is the stable schema documented in the README: both sides, the summary counts, every
change as `Change.to_dict()`, CMS's statements and the disagreements. Fetched strings are data
here: `json.dumps` escapes what JSON needs, and characters that could reorder or drive a
terminal (C1 controls, bidi marks, line separators) are written as \\u escapes as well.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lcdtrack.models import Comparison, Snapshot, SnapshotRef
from lcdtrack.report.summary import summary_counts

_INVISIBLE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def render_json(comparison: Comparison) -> str:
    return dumps(comparison_data(comparison), indent=2)


def render_jsonl(comparison: Comparison) -> str:
    """A `comparison` header line, a `change` line per change, then `cms_statement` and
    `disagreement` lines. ASCII only, so no line can be split by a Unicode line break."""
    header = {
        "type": "comparison",
        "old": ref_data(comparison.old),
        "new": ref_data(comparison.new),
        "summary": summary_counts(comparison.changes),
    }
    records = [header]
    records += [{"type": "change", **change.to_dict()} for change in comparison.changes]
    records += [
        {"type": "cms_statement", "source": s.source, "text": s.text}
        for s in comparison.cms_statements
    ]
    records += [{"type": "disagreement", "text": text} for text in comparison.disagreements]
    return "".join(json.dumps(record, ensure_ascii=True) + "\n" for record in records)


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    return {
        "old": ref_data(comparison.old),
        "new": ref_data(comparison.new),
        "summary": summary_counts(comparison.changes),
        "changes": [change.to_dict() for change in comparison.changes],
        "cms_statements": [
            {"source": statement.source, "text": statement.text}
            for statement in comparison.cms_statements
        ],
        "disagreements": list(comparison.disagreements),
    }


def ref_data(ref: SnapshotRef) -> dict[str, Any]:
    return {
        "id": ref.document_id,
        "version": ref.version,
        "label": ref.label,
        "title": ref.title,
        "kind": ref.kind,
        "snapshot": ref.snapshot_id,
        "extractor": ref.extractor,
        "source": ref.source,
        "effective": ref.effective,
    }


def record_data(snapshot: Snapshot) -> dict[str, Any]:
    """A stored snapshot: its provenance and the whole record."""
    return {
        "snapshot": {
            "id": snapshot.id,
            "label": snapshot.label,
            "extractor": snapshot.extractor,
            "extractor_version": snapshot.extractor_version,
            "source": snapshot.source,
            "fetched_at": snapshot.fetched_at,
            "record_hash": snapshot.record_hash,
            "raw_hash": snapshot.raw_hash,
        },
        "record": snapshot.record.to_dict(),
    }


def dumps(data: Any, indent: int | None = None) -> str:
    """JSON, readable (non-ASCII kept) but with invisible and terminal-driving characters
    escaped; they can only occur inside strings, so the data is unchanged."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n"
