"""Shared test fixtures: paths to our own fixture files and to ../shared/data when it is present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    """../shared/data; tests that use it are skipped cleanly when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'qa.db'}"


@pytest.fixture(autouse=True)
def _no_default_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes ./qa_toolkit.db: the default database points into a temporary folder unless a test
    sets QA_TOOLKIT_DB itself."""
    if "QA_TOOLKIT_DB" not in os.environ:
        path = tmp_path_factory.getbasetemp() / "default-qa_toolkit.db"
        monkeypatch.setenv("QA_TOOLKIT_DB", f"sqlite:///{path}")
