"""Local files as sources: a saved Coverage API response or MCD page, read as bytes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lcdtrack.errors import FetchError
from lcdtrack.models import RawDocument

MAX_FILE_BYTES = 64 * 1024 * 1024
_MEDIA_TYPES = {".json": "application/json", ".txt": "text/plain", ".html": "text/html",
                ".htm": "text/html"}  # fmt: skip


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def fetch_source(source: str) -> RawDocument:
    """Read one source. Network sources are not supported yet and say so."""
    if is_url(source):
        raise FetchError(
            f"{source}: not a Medicare Coverage Database page URL; pass an LCD id (L39314), "
            "an MCD page URL or a saved file"
        )
    return read_file(Path(source))


def read_file(path: Path) -> RawDocument:
    try:
        if path.is_dir():
            raise FetchError(f"{path}: is a directory, not a document")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FetchError(f"{path}: {size:,} bytes is more than the {MAX_FILE_BYTES:,} allowed")
        content = path.read_bytes()
    except FileNotFoundError:
        raise FetchError(f"{path}: no such file") from None
    except PermissionError:
        raise FetchError(f"{path}: permission denied") from None
    except OSError as error:
        raise FetchError(f"{path}: cannot read ({error.strerror})") from None
    return RawDocument(
        content=content,
        source=str(path),
        media_type=_MEDIA_TYPES.get(path.suffix.lower(), ""),
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
