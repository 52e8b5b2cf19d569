"""What every renderer shares: the summary, the change groups, labels, word-diff snippets and
the cleaning of fetched text. Nothing here knows a format's syntax.

`describe(change)` turns a `Change` into an `Entry`: the pieces a reader sees (mark, label,
subject, values, word edits, excerpt, tags), already cleaned to one line each. The text,
terminal, Markdown and HTML renderers only decide how those pieces look.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lcdtrack.models import Change, TextEdit

CONTEXT_WORDS = 8
MAX_EDIT_CHARS = 400
MAX_INLINE_CHARS = 300
MAX_BODY_CHARS = 300
MAX_STATEMENT_CHARS = 1500

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # other escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

GROUPS = (
    ("Indications", ("indication_",)),
    ("Codes", ("code_",)),
    ("Dates and status", ("metadata_",)),
    ("Sections", ("section_",)),
)
OTHER_GROUP = "Other changes"
FIELD_LABELS = {
    "title": "title",
    "status": "status",
    "original_effective": "original effective date",
    "revision_effective": "revision effective date",
    "revision_ending": "revision ending date",
    "retirement": "retirement date",
    "notice_start": "notice period start",
    "notice_end": "notice period end",
    "comment_start": "comment period start",
    "comment_end": "comment period end",
    "last_updated": "last updated",
    "published": "MCD publish date",
    "source_proposed_id": "source proposed LCD",
    "source_lcd_id": "source LCD",
}
ASPECT_LABELS = {
    "renamed": "renamed",
    "stance_changed": "coverage stance changed",
    "criterion_added": "criterion added",
    "criterion_removed": "criterion removed",
    "criterion_changed": "criterion changed",
    "dose_changed": "dose changed",
    "dose_added": "dose added",
    "dose_removed": "dose removed",
    "threshold_changed": "threshold changed",
    "age_changed": "age limit changed",
    "time_changed": "time limit changed",
    "text_changed": "text changed",
    "paragraph": "paragraph reworded",
}
_ONE_SIDED = {
    "indication_added",
    "indication_removed",
    "code_added",
    "code_removed",
    "section_added",
    "section_removed",
}
_CHANGED_VERBS = {
    "code_moved": "moved",
    "code_changed": "descriptor changed",
    "section_changed": "reworded",
}


def clean(text: str) -> str:
    """Fetched text made inert for a terminal: no ANSI escapes, control or bidi characters."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def one_line(text: str | None) -> str:
    """Cleaned, with every run of whitespace (line breaks included) one space."""
    return " ".join(clean(text or "").split())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def value(text: str | None) -> str:
    return one_line(text) or "(none)"


def clip(text: str, limit: int = MAX_EDIT_CHARS) -> str:
    """At most about `limit` characters, cut on words, keeping the start and the end."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half].rsplit(' ', 1)[0]} … {text[-half:].split(' ', 1)[-1]}"


# -- changes as entries -------------------------------------------------------------------


def group_changes(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    """Changes under their headings, in the order compare() gave them; none is ever dropped."""
    grouped: dict[str, list[Change]] = {title: [] for title, _ in GROUPS}
    grouped[OTHER_GROUP] = []
    for change in changes:
        title = next((t for t, prefixes in GROUPS if change.kind.startswith(prefixes)), None)
        grouped[title or OTHER_GROUP].append(change)
    return [(title, group) for title, group in grouped.items() if group]


@dataclass(frozen=True)
class Entry:
    """One change as the human-readable formats show it. Every string is cleaned, one line.

    Reads as "<label>: <subject> (<where>): <values>" or, when `subject_first`,
    "<subject> (<where>): <label>: <values>"; `values` is () , (value,) or (before, after).
    A word diff is either `inline` (short: shown whole) or `runs` (each run of edits with a
    few words of context). `tags` are "high" and a direction ("tightened", "loosened").
    """

    mark: str
    label: str
    verb: str
    subject: str
    where: str
    subject_first: bool = False
    values: tuple[str, ...] = ()
    inline: tuple[TextEdit, ...] = ()
    runs: tuple[tuple[TextEdit, ...], ...] = ()
    body: str = ""
    tags: tuple[str, ...] = ()


def describe(change: Change) -> Entry:
    subject, kind = one_line(change.subject), change.kind
    where = one_line(change.context) if change.context and change.context != change.subject else ""
    tags = tuple(
        tag
        for tag in ("high" if change.severity == "high" else "", one_line(change.direction))
        if tag
    )
    inline, runs = word_edits(change.edits)
    values: tuple[str, ...]
    if kind in _ONE_SIDED:
        noun, verb = kind.split("_")
        text = change.after if verb == "added" else change.before
        mark = "+" if verb == "added" else "-"
        if noun == "code":
            values = (one_line(text),) if one_line(text) else ()
            return Entry(mark, f"code {verb}", verb, subject, where, values=values, tags=tags)
        body = excerpt(text, change.subject)
        return Entry(mark, f"{noun} {verb}", verb, subject, where, body=body, tags=tags)
    if kind == "metadata_changed":
        field = FIELD_LABELS.get(change.subject, subject)
        values = (value(change.before), value(change.after))
        return Entry("~", "", "", field, where, True, values, tags=tags)
    if kind == "indication_renamed":
        values = (value(change.before), value(change.after))
        return Entry("~", "indication renamed", "renamed", "", where, values=values, tags=tags)
    if kind in ("indication_changed", "code_group_changed"):
        label = ASPECT_LABELS.get(change.aspect or "", one_line(change.aspect) or "changed")
        values = () if change.edits else _aspect_values(change)
        return Entry("~", label, label, subject, where, True, values, inline, runs, tags=tags)
    verb = _CHANGED_VERBS.get(kind, one_line(kind).replace("_", " "))
    noun = kind.split("_")[0] + " " if kind in _CHANGED_VERBS else ""
    values = () if change.edits else (value(change.before), value(change.after))
    return Entry("~", noun + verb, verb, subject, where, False, values, inline, runs, tags=tags)


def _aspect_values(change: Change) -> tuple[str, ...]:
    if (change.aspect or "").endswith("_added"):
        return (value(change.after),)
    if (change.aspect or "").endswith("_removed"):
        return (value(change.before),)
    return (value(change.before), value(change.after))


def excerpt(text: str | None, name: str = "") -> str:
    """The start of an added or removed text, without its leading name."""
    body = one_line(text)
    name = one_line(name)
    if name and body.startswith(name):
        body = body[len(name) :].strip()
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS].rsplit(" ", 1)[0] + " …"
    return body


def word_edits(
    edits: tuple[TextEdit, ...],
) -> tuple[tuple[TextEdit, ...], tuple[tuple[TextEdit, ...], ...]]:
    """(inline, runs): a short diff whole, a long one as runs of edits with context."""
    if not any(edit.op != "=" for edit in edits):
        return (), ()
    if sum(len(edit.text) for edit in edits) <= MAX_INLINE_CHARS:
        whole = tuple(TextEdit(e.op, one_line(e.text)) for e in edits)
        return tuple(e for e in whole if e.text), ()
    return (), snippet_runs(edits)


def snippet_runs(edits: tuple[TextEdit, ...]) -> tuple[tuple[TextEdit, ...], ...]:
    """One run per stretch of edits, with up to CONTEXT_WORDS words of context each side
    ("…" where the context was cut). Each deleted or inserted text is clipped."""
    runs: list[tuple[TextEdit, ...]] = []
    index = 0
    while index < len(edits):
        if edits[index].op == "=":
            index += 1
            continue
        run: list[TextEdit] = []
        if index:
            words = one_line(edits[index - 1].text).split()
            cut = "… " if len(words) > CONTEXT_WORDS else ""
            run.append(TextEdit("=", cut + " ".join(words[-CONTEXT_WORDS:])))
        while index < len(edits) and edits[index].op != "=":
            run.append(TextEdit(edits[index].op, clip(one_line(edits[index].text))))
            index += 1
        if index < len(edits):
            words = one_line(edits[index].text).split()
            cut = " …" if len(words) > CONTEXT_WORDS else ""
            run.append(TextEdit("=", " ".join(words[:CONTEXT_WORDS]) + cut))
        runs.append(tuple(edit for edit in run if edit.text))
    return tuple(runs)


def statement_paragraphs(text: str) -> list[str]:
    """A CMS statement as cleaned paragraphs, clipped to MAX_STATEMENT_CHARS in all."""
    paragraphs = [one_line(p) for p in clean(text).splitlines()]
    kept: list[str] = []
    budget = MAX_STATEMENT_CHARS
    for paragraph in (p for p in paragraphs if p):
        if kept and budget < 40:
            kept[-1] += " …"
            break
        kept.append(paragraph if len(paragraph) <= budget else clip(paragraph, budget))
        budget -= len(paragraph)
    return kept
