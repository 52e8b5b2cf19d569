"""The `lcdtrack` command line: each command parses options, makes one library call, renders
the result and picks the exit status. Library errors become one `Error: …` line, exit 2.

Commands live in modules by what they do; importing them registers them on `app`.
"""

from lcdtrack.cli import diffing, fetching, maintenance, reading
from lcdtrack.cli.app import app

COMMAND_MODULES = (fetching, reading, diffing, maintenance)

__all__ = ["COMMAND_MODULES", "app"]
