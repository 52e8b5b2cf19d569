"""The `lcdtrack` command line: each command parses options, makes one library call, renders
the result and picks the exit status. Library errors become one `Error: …` line, exit 2.

Commands live in modules by what they do; importing them registers them on `app`.
"""

# isort: skip_file
# Commands are listed in `lcdtrack --help` in the order these modules are imported.
from lcdtrack.cli.app import app
from lcdtrack.cli import fetching, reading, diffing, alerting, maintenance

COMMAND_MODULES = (fetching, reading, diffing, alerting, maintenance)

__all__ = ["COMMAND_MODULES", "app"]
