"""Create engines and tables: SQLite (tuned for bulk import) or PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlmodel import SQLModel, create_engine

from qa_toolkit.db import models  # noqa: F401  (registers the tables)
from qa_toolkit.errors import StoreError
from qa_toolkit.settings import database_url


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-16384")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see settings.database_url) with every table created."""
    url = database_url(url)
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            engine = create_engine(url, pool_pre_ping=True)
        SQLModel.metadata.create_all(engine)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"database URL {url!r} is not usable: {exc}") from None
    except (OperationalError, DatabaseError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open database {url!r}: {reason}") from None
    except OSError as exc:
        raise StoreError(f"cannot open database {url!r}: {exc.strerror or exc}") from None
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"database URL {url!r} needs the driver {exc.name!r}: pip install 'qa-toolkit[postgres]'"
        ) from None
    return engine
