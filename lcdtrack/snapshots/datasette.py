"""Datasette metadata for an lcdtrack database: titles, descriptions, column notes and canned
queries (`lcdtrack datasette-metadata > metadata.json; datasette lcdtrack.db -m metadata.json`).
"""

from __future__ import annotations

from typing import Any

DATABASE = "lcdtrack"

TABLES: dict[str, dict[str, Any]] = {
    "documents": {
        "description": "One row per LCD, proposed LCD or article lcdtrack has seen.",
        "columns": {
            "id": "Public id as readers write it: L39314, DL39314, A59105",
            "lcd_id": "CMS's internal id (39313 for DL39314)",
            "kind": "final, proposed or article",
        },
    },
    "snapshots": {
        "description": "Every stored version of every document (append-only, deduplicated).",
        "columns": {
            "version": "CMS version number (lcd_version / article_version)",
            "record_hash": "sha256 of the canonical record JSON",
            "raw_hash": "sha256 of the raw bytes, key of raw_sources",
            "extractor": "Which extractor read the raw source",
            "record_zlib": "The whole record, canonical JSON, zlib-compressed",
        },
    },
    "sections": {
        "description": "Named sections of each snapshot; the text is in section_texts "
        "(shared by versions whose section did not change). The view section_text joins them.",
    },
    "section_texts": {"description": "Section texts, stored once each, keyed by their sha256."},
    "indications": {
        "description": "Indications of each snapshot with criteria, doses and stance.",
        "columns": {
            "match_key": "Normalised name used to follow an indication across versions",
            "aliases": "Abbreviations in the name (JSON list)",
            "doses": "Parsed doses (JSON list), e.g. 0.4 to 1.5 g/kg per month",
        },
    },
    "codes": {"description": "ICD-10 / CPT/HCPCS codes each snapshot carries (from its articles)."},
    "changes": {
        "description": "Every change between consecutive snapshots of a document.",
        "columns": {
            "kind": "indication_added, indication_removed, indication_changed, code_removed, …",
            "severity": "high, medium or low (README: Severity)",
            "direction": "tightened or loosened, where defined",
            "reviewed_at": "When someone acknowledged it (lcdtrack ack)",
        },
    },
    "change_notes": {"description": "What CMS said about each change, and disagreements found."},
    "raw_sources": {"description": "Raw bytes as fetched, zlib-compressed, keyed by hash."},
}

QUERIES: dict[str, dict[str, str]] = {
    "indication_history": {
        "title": "When did an indication appear, change or leave?",
        "sql": """select c.document_id, c.from_version, c.to_version, c.kind, c.aspect,
  c.before, c.after, c.severity, s.revision_effective, s.original_effective
from changes c join snapshots s on s.id = c.to_snapshot
where c.kind like 'indication_%' and c.subject like '%' || :indication || '%'
order by c.document_id, c.to_version""",
    },
    "in_force_on": {
        "title": "Which version was in force on a date?",
        "sql": """select document_id, version, original_effective, revision_effective,
  revision_ending, retirement
from snapshots
where document_id = :document
  and coalesce(revision_effective, original_effective) <= :date
  and (coalesce(revision_ending, retirement) is null
       or coalesce(revision_ending, retirement) >= :date)
order by version desc limit 1""",
    },
    "lcds_with_code": {
        "title": "Which LCDs carry a code (latest versions)?",
        "sql": """select s.document_id, s.version, s.title, c.system, c.code_group, c.coverage
from codes c join latest_snapshots s on s.id = c.snapshot_id
where c.code = :code order by s.document_id""",
    },
    "unreviewed_changes": {
        "title": "Changes nobody has acknowledged yet",
        "sql": """select id, document_id, to_version, severity, kind, subject, aspect, before, after
from changes where reviewed_at is null
order by case severity when 'high' then 0 when 'medium' then 1 else 2 end, id""",
    },
}

METADATA: dict[str, Any] = {
    "title": "lcdtrack: Medicare LCD history",
    "description": "Local Coverage Determinations captured by lcdtrack: every version, its "
    "indications, codes and the changes between versions.",
    "databases": {DATABASE: {"tables": TABLES, "queries": QUERIES}},
}
