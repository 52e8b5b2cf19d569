"""Diff engine: `compare(old, new) -> list[Change]`, plus the word-level text diff it uses."""

from lcdtrack.diff.compare import compare
from lcdtrack.diff.words import word_diff

__all__ = ["compare", "word_diff"]
