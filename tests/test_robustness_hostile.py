"""Hostile content, end to end: an LCD version whose title, indications, criteria and a section
carry `<script>`, `javascript:` links, ANSI escape sequences (colours, screen clearing, OSC
titles and hyperlinks, 8-bit CSI), bidi controls and a forged line break, fetched from a file
whose very name holds an escape sequence. It is extracted, stored and diffed through the real
command line in every format (and shown, listed, searched); each output is inert for its
medium. `tests/test_report.py` holds the renderers to the same promises on hand-built input."""

from __future__ import annotations

import html
import json
import os
import pty
import re
import subprocess
import sys
import termios
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import case
from tests.mutate import edit_api_record, escape_like_cms
from tests.robustness_helpers import (
    CLI_TIMEOUT_S,
    cli_env,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
    run_cli,
)

SCRIPT = "<script>alert('x')</script>"
JS_URL = "javascript:alert(document.cookie)"
ANSI = (
    "\x1b[2J\x1b[5;31;47mBLINK\x1b[0m"  # clear the screen, blink
    "\x1b]8;;javascript:alert(1)\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 hyperlink
    "\x1b]0;pwned\x07\x9b2J"  # OSC window title, 8-bit CSI
)
BIDI = "\u202eevil\u202c \u2066iso\u2069\u200f\u061c"
HOSTILE = f"{html.escape(SCRIPT)} {ANSI} {BIDI} [click]({JS_URL}) \r\n+ forged line"
"""As it stands inside the narrative HTML: the script is text there (escaped once)."""
NEW_INDICATION = (
    f"<li>Hostile syndrome (HSX) - {HOSTILE} <script>alert(2)</script>"
    f'<a href="{JS_URL}">link</a><img src="x" onerror="alert(3)">'
    f'<iframe src="{JS_URL}"></iframe><ol><li>{HOSTILE} criterion</li></ol></li>'
)
UNSAFE_CHARS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
OWN_STYLES = re.compile(r"\x1b\[[0-9;]*m")
SAFE_TAGS = {
    "html", "head", "meta", "title", "body", "h1", "h2", "h3", "h4", "p", "div", "span", "ul",
    "ol", "li", "strong", "em", "b", "i", "del", "ins", "a", "blockquote", "br", "code", "small",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
FORMATS = ("text", "markdown", "html", "json", "jsonl")


def hostile_version() -> bytes:
    """L39314 v8: v7 from the corpus with a hostile indication, title, section text and
    synopsis of changes (what CMS says changed)."""
    raw = case("L39314_v7.coverage-api").raw()
    edited = edit_api_record(
        raw,
        {
            "indication": lambda h: h.replace(
                "<ul>\n<li>Stiff", f"<ul>\n{NEW_INDICATION}<li>Stiff"
            ),
            "summary_of_evidence": lambda h: h + f"<p>Evidence: {HOSTILE}</p>",
        },
        lcd_version=8,
        title=f"Off-Label Use of IVIG {SCRIPT} {ANSI} {BIDI}",
        synopsis_changes=escape_like_cms(f"<p>Hostile revision: {HOSTILE}</p>"),
    )
    return edited.content


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    v7 = folder / "L39314_v7.json"
    v7.write_bytes(case("L39314_v7.coverage-api").input.read_bytes())
    v8 = folder / "v8-\x1b[2J\u202e<script>.json"  # the source path is shown in reports
    v8.write_bytes(hostile_version())
    path = folder / "hostile.db"
    result = run_cli(path, "fetch", str(v7), str(v8))
    assert result.returncode == 0, result.stderr
    return path


def _diff(db: Path, fmt: str, reverse: bool = False) -> str:
    sides = ["L39314@8", "L39314@7"] if reverse else ["L39314@7", "L39314@8"]
    result = run_cli(db, "diff", *sides, "--format", fmt)
    assert result.returncode == 1, result.stderr  # there are changes
    return result.stdout


def assert_terminal_safe(output: str) -> None:
    """Nothing that moves, styles, retitles or reorders a terminal; no forged line."""
    found = UNSAFE_CHARS.search(output)
    assert found is None, f"{found[0]!r} at {found.start()}: {output[found.start() - 60 :][:120]!r}"
    forged = [line for line in output.splitlines() if line.lstrip(" >-*|").startswith("+ forged")]
    assert not forged


def assert_reached(output: str) -> None:
    """The hostile text did get here (else the test proves nothing)."""
    assert "Hostile syndrome" in output and "alert" in output and "evil" in output


@pytest.mark.parametrize("reverse", [False, True], ids=["added", "removed"])
def test_text_diff_is_inert(db: Path, reverse: bool) -> None:
    output = _diff(db, "text", reverse)
    assert_reached(output)
    assert_terminal_safe(output)
    assert "]0;pwned" not in output and "]8;;javascript" not in output


@pytest.mark.parametrize("reverse", [False, True], ids=["added", "removed"])
def test_markdown_diff_is_inert(db: Path, reverse: bool) -> None:
    output = _diff(db, "markdown", reverse)
    assert_reached(output)
    assert_terminal_safe(output)
    assert not re.search(r"(?<!\\)[<\[]", output.replace("[!WARNING]", "")), "unescaped < or ["
    assert "](javascript:" not in output.replace("\\](javascript:", "")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("reverse", [False, True], ids=["added", "removed"])
def test_html_diff_is_inert(db: Path, reverse: bool) -> None:
    output = _diff(db, "html", reverse)
    assert_reached(output)
    assert_terminal_safe(output)
    parser = _Tags()
    parser.feed(output)
    assert {tag for tag, _ in parser.tags} <= SAFE_TAGS
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
            assert "url(" not in (value or "").lower(), (tag, name, value)
            if name in ("href", "src"):
                assert (value or "").startswith(("http://", "https://")), (tag, name, value)
    assert html.escape(SCRIPT, quote=False) in output or "&lt;script&gt;" in output


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("reverse", [False, True], ids=["added", "removed"])
def test_json_diff_is_exact_data_and_escaped(db: Path, fmt: str, reverse: bool) -> None:
    """JSON is data: the strings come through whole (a consumer decides how to show them),
    but every control and bidi character is a \\u escape, never a raw byte on the wire."""
    output = _diff(db, fmt, reverse)
    assert_terminal_safe(output)
    documents = [json.loads(line) for line in output.splitlines()] if fmt == "jsonl" else [
        json.loads(output)
    ]  # fmt: skip
    strings = [s for document in documents for s in _strings(document)]
    assert any("Hostile syndrome (HSX)" in s for s in strings)
    assert any(SCRIPT in s for s in strings) and any("\x1b[2J" in s for s in strings)


def _run_in_terminal(db: Path, *args: str) -> str:
    """The command on a real pseudo-terminal (so it draws in colour), output as written."""
    controller, terminal = pty.openpty()
    attributes = termios.tcgetattr(terminal)
    attributes[1] &= ~termios.OPOST  # keep "\n" as written: no "\r\n" translation
    termios.tcsetattr(terminal, termios.TCSANOW, attributes)
    env = cli_env(db, COLUMNS="100", TERM="xterm-256color")
    env.pop("NO_COLOR")
    process = subprocess.Popen(
        [sys.executable, "-m", "lcdtrack", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    process.wait(timeout=CLI_TIMEOUT_S)
    assert process.returncode == 1, process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    return b"".join(chunks).decode("utf-8")


@pytest.mark.parametrize("reverse", [False, True], ids=["added", "removed"])
def test_terminal_diff_draws_only_its_own_styles(db: Path, reverse: bool) -> None:
    sides = ["L39314@8", "L39314@7"] if reverse else ["L39314@7", "L39314@8"]
    output = _run_in_terminal(db, "diff", *sides)
    assert OWN_STYLES.search(output), "on a terminal the diff is drawn in colour"
    assert "5;31;47" not in output
    plain = OWN_STYLES.sub("", output)
    assert_reached(plain)
    assert_terminal_safe(plain)


@pytest.mark.parametrize(
    "command",
    [
        ("show", "L39314@8"),
        ("show", "L39314@8", "--format", "json"),
        ("history", "L39314"),
        ("history", "L39314", "--indication", "HSX"),
        ("changes", "L39314"),
        ("search", "hostile"),
    ],
    ids=lambda c: " ".join(c),
)
def test_reading_commands_are_inert(db: Path, command: tuple[str, ...]) -> None:
    result = run_cli(db, *command)
    assert result.returncode == 0, result.stderr
    assert "ostile" in result.stdout or "HSX" in result.stdout
    assert_terminal_safe(result.stdout)
