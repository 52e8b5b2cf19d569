"""Diff engine: `compare(old, new) -> list[Change]` in a reader's terms, CMS's own account of
the change beside it (`cms_statements`, `disagreements`), severity rules and the word diff."""

from lcdtrack.diff.cms import cms_statements, disagreements
from lcdtrack.diff.compare import compare
from lcdtrack.diff.severity import LEVELS, at_least, severity_of
from lcdtrack.diff.words import word_diff

__all__ = [
    "LEVELS",
    "at_least",
    "cms_statements",
    "compare",
    "disagreements",
    "severity_of",
    "word_diff",
]
