"""lcdtrack: track how Medicare Local Coverage Determinations change.

The pipeline: fetch → extract → snapshot store → diff → report. This module re-exports the
library API; `lcdtrack.cli` is a thin command line over it.
"""

from lcdtrack.diff import compare, word_diff
from lcdtrack.errors import (
    ExtractError,
    FetchError,
    LayoutChanged,
    LcdtrackError,
    NotAnLcd,
    NotAvailable,
    NotFound,
    StoreError,
)
from lcdtrack.extractors import EXTRACTORS, extract, extractor_for
from lcdtrack.fetch import fetch_source
from lcdtrack.models import (
    Change,
    Comparison,
    Indication,
    LcdDocument,
    RawDocument,
    Section,
    Snapshot,
)
from lcdtrack.pipeline import diff, diff_proposed, ingest, resolve
from lcdtrack.report import render, render_record
from lcdtrack.snapshots import SnapshotStore

__version__ = "0.1.0"

__all__ = [
    "EXTRACTORS",
    "Change",
    "Comparison",
    "ExtractError",
    "FetchError",
    "Indication",
    "LayoutChanged",
    "LcdDocument",
    "LcdtrackError",
    "NotAnLcd",
    "NotAvailable",
    "NotFound",
    "RawDocument",
    "Section",
    "Snapshot",
    "SnapshotStore",
    "StoreError",
    "compare",
    "diff",
    "diff_proposed",
    "extract",
    "extractor_for",
    "fetch_source",
    "ingest",
    "render",
    "render_record",
    "resolve",
    "word_diff",
]
