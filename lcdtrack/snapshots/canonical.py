"""Canonical JSON and tagged content hashes: the identity of raw bytes and of records."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> str:
    """Sorted keys, compact separators, UTF-8 kept: equal data gives equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def record_hash(data: Any) -> str:
    return content_hash(canonical_json(data).encode("utf-8"))
