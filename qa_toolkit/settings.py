"""Settings from the environment: where the database, models and scorecards live."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "sqlite:///qa_toolkit.db"
ROOT = Path(__file__).resolve().parent.parent


def database_url(value: str | None = None) -> str:
    """The database URL: ``value`` (a URL or a file path), else $QA_TOOLKIT_DB, else ./qa_toolkit.db."""
    raw = value or os.environ.get("QA_TOOLKIT_DB") or DEFAULT_DB
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser()}"
    return raw
