"""`python -m lcdtrack` runs the command line."""

from lcdtrack.cli import app

app(prog_name="lcdtrack")
