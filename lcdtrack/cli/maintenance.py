"""Housekeeping commands: the extractor registry."""

from __future__ import annotations

import typer

from lcdtrack.cli.app import (
    app,
)
from lcdtrack.extractors import EXTRACTORS


@app.command("extractors")
def list_extractors() -> None:
    """List the registered extractors (source formats lcdtrack reads)."""
    for extractor in EXTRACTORS.values():
        typer.echo(f"{extractor.name:<16} v{extractor.version}  {extractor.description}")
