"""Fetch: the only stage that reads the outside world, turning a source into a `RawDocument`.

Today a source is a local file (a saved Coverage API response or MCD page text). URLs are
recognised so that the network client can slot in here without touching later stages.
"""

from lcdtrack.fetch.local import MAX_FILE_BYTES, fetch_source, is_url

__all__ = ["MAX_FILE_BYTES", "fetch_source", "is_url"]
