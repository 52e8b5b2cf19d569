"""Shared fixtures: the corpus cases, a fresh store, the CLI runner, golden-file updating."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lcdtrack.extractors import extract
from lcdtrack.models import LcdDocument, RawDocument
from lcdtrack.snapshots import SnapshotStore

CASES = Path(__file__).parent / "cases"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "mcd"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite golden files from current output."
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path

    @property
    def input(self) -> Path:
        return next(self.folder.glob("input.*"))

    @property
    def source(self) -> str:
        source = self.folder / "source.txt"
        return source.read_text().strip() if source.exists() else str(self.input)

    def raw(self) -> RawDocument:
        return RawDocument(content=self.input.read_bytes(), source=self.source)

    def record(self) -> LcdDocument:
        return extract(self.raw())[1]


def case(name: str) -> Case:
    return Case(name, CASES / name)


ALL_CASES = sorted(p.name for p in CASES.iterdir() if p.is_dir() and any(p.glob("input.*")))


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    with SnapshotStore(tmp_path / "test.db") as opened:
        yield opened


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lcdtrack.db"
