"""A format-neutral view of narrative content: an ordered list of paragraphs and list items.

Both the Coverage API's HTML and the MCD page text are reduced to `Block`s, so the section text
and the indication grammar (`indications.py`) are shared and the two formats give the same
record for the same document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["p", "li"]


@dataclass(frozen=True)
class Block:
    """One paragraph (`p`) or list item (`li`); `depth` 0 is a top-level list item."""

    kind: BlockKind
    text: str
    depth: int = 0
    number: int | None = None

    @property
    def is_item(self) -> bool:
        return self.kind == "li"


def render(blocks: Iterable[Block]) -> str:
    """The display text of a section: one line per block, list items indented and marked."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "p":
            lines.append(block.text)
            continue
        marker = f"{block.number}." if block.number is not None else "•"
        lines.append(f"{'  ' * (block.depth + 1)}{marker} {block.text}")
    return "\n".join(lines)


def split_paragraphs(blocks: list[Block]) -> Iterator[list[Block]]:
    """Yield runs of blocks: each top-level list item with what follows it until the next one."""
    run: list[Block] = []
    for block in blocks:
        if block.is_item and block.depth == 0 and run:
            yield run
            run = []
        run.append(block)
    if run:
        yield run
