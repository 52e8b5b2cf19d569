"""JSON inputs, parsed once: sniffers and extractors of the same bytes share one parse.

The cache is keyed by the content bytes (Python caches a bytes object's hash, so a lookup after
the first costs nothing); parsed values are shared, so callers must not mutate them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from lcdtrack.errors import ExtractError, NotAnLcd

_OPENERS = (b"{", b"\xef\xbb\xbf{")


def looks_like_json_object(content: bytes) -> bool:
    return content[:4096].lstrip().startswith(_OPENERS)


@lru_cache(maxsize=8)
def _parse(content: bytes) -> Any:
    return json.loads(content.decode("utf-8-sig"))


def try_json(content: bytes) -> Any | None:
    """The parsed value, or None if the bytes are not valid UTF-8 JSON (for sniffing)."""
    if not looks_like_json_object(content):
        return None
    try:
        return _parse(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def load_json(content: bytes | str, source: str) -> Any:
    """The parsed value, or a named error saying what is wrong with the bytes."""
    try:
        if isinstance(content, str):
            return json.loads(content)
        return _parse(content)
    except UnicodeDecodeError as error:
        raise NotAnLcd(f"{source}: not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise ExtractError(
            f"{source}: invalid or truncated JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
