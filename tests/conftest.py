"""Shared test fixtures: paths to our own fixture files and to ../shared/data when it is present, and
fresh databases (SQLite, and PostgreSQL when QA_TEST_POSTGRES_URL names a server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from qa_toolkit.db.engine import get_engine

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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, db_url: str) -> Iterator[str]:
    """A fresh database: a SQLite file, or a schema of its own in the PostgreSQL test server."""
    if request.param == "sqlite":
        yield db_url
        return
    url = os.environ.get("QA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("QA_TEST_POSTGRES_URL not set (.ci/run starts a server)")
    schema = f"t_{uuid.uuid4().hex[:8]}"
    admin = get_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        yield scoped
    finally:
        get_engine(scoped).dispose()
        with admin.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))


@pytest.fixture(autouse=True)
def _no_default_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes ./qa_toolkit.db: the default database points into a temporary folder unless a test
    sets QA_TOOLKIT_DB itself."""
    if "QA_TOOLKIT_DB" not in os.environ:
        path = tmp_path_factory.getbasetemp() / "default-qa_toolkit.db"
        monkeypatch.setenv("QA_TOOLKIT_DB", f"sqlite:///{path}")
