"""Create engines and tables: SQLite (tuned for bulk import, with a local-time SQL function) or PostgreSQL."""

from __future__ import annotations

import atexit
import weakref
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.schema import CreateIndex
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
    dbapi_conn.create_function(LOCAL_TIME_SQL, 2, sqlite_local_time, deterministic=True)


# SQLite stores times as naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'); trends group them by the day, week,
# hour and weekday of a time zone through this function (PostgreSQL has timezone(tz, col) built in).
LOCAL_TIME_SQL = "qa_local"
_HOUR = timedelta(hours=1)
_LOCAL_HOURS: dict[tuple[str, str], str | None] = {}  # (zone, UTC 'YYYY-MM-DD HH') -> local one, or None


def sqlite_local_time(ts: str | None, tz: str | None) -> str | None:
    """``qa_local(ts, tz)``: the UTC text time ``ts`` as the local 'YYYY-MM-DD HH:MM:SS' of the IANA zone
    ``tz`` (None for None or text that is not a time). Deterministic; the local hour of each UTC hour is
    remembered, so a scan of many rows costs a dictionary look-up per row."""
    if ts is None or tz is None:
        return None
    key = (tz, ts[:13])
    try:
        hour = _LOCAL_HOURS[key]
    except KeyError:
        if len(_LOCAL_HOURS) > 200_000:
            _LOCAL_HOURS.clear()
        hour = _LOCAL_HOURS[key] = _local_hour(ts[:13], tz)
    if hour is not None and (len(ts) == 19 or (len(ts) > 19 and ts[19] == ".")):  # as SQLAlchemy writes it
        return hour + ts[13:19]
    try:  # an offset that is not whole hours, a change of offset within the hour, or other text
        t = datetime.fromisoformat(ts)
    except ValueError:
        return None
    local = (t.replace(tzinfo=UTC) if t.tzinfo is None else t).astimezone(ZoneInfo(tz))
    return f"{_fmt(local)}:{local.minute:02d}:{local.second:02d}"


def _local_hour(utc_hour: str, tz: str) -> str | None:
    """The local 'YYYY-MM-DD HH' of a UTC hour when the whole hour maps to it (a whole-hour offset that does
    not change within the hour), else None."""
    try:
        start = datetime.strptime(utc_hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
    except ValueError:
        return None
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone), (start + _HOUR - timedelta(microseconds=1)).astimezone(zone)
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset() or offset % _HOUR:
        return None
    return _fmt(first)


def _fmt(t: datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}"


def _add_missing_indexes(engine: Engine) -> None:
    """Indexes added to a table after a store was created (create_all makes only missing tables): created
    once, on the first open of an older store (``IF NOT EXISTS``: two processes opening it at once do not
    trip over each other; on PostgreSQL the build holds writes to that table until it ends); a no-op after."""
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            have = {ix["name"] for ix in existing.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in have:
                    conn.execute(CreateIndex(index, if_not_exists=True))


_SQLITE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@atexit.register
def _close_sqlite_engines() -> None:
    """Close the SQLite engines' pooled connections when the process ends: the last connection to close
    writes the write-ahead log into the database file and removes it, so the ``.db`` file alone is the
    whole store after a command (a copy or backup of it misses nothing)."""
    for engine in list(_SQLITE_ENGINES):
        engine.dispose()


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
            _SQLITE_ENGINES.add(engine)
        else:
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            engine = create_engine(url, pool_pre_ping=True)
        SQLModel.metadata.create_all(engine)
        _add_missing_indexes(engine)
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
