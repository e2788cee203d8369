"""Trends in a time zone: days, weeks, months, hours and weekdays of Europe/Amsterdam and America/New_York
around the 2025 changes to and from summer time and across midnight, checked against figures worked out by
hand; every count's drill-down lists exactly the conversations counted (SQLite, and PostgreSQL when
QA_TEST_POSTGRES_URL is set); the SQLite ``qa_local`` function against zoneinfo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from store_builder import seed_results

from qa_toolkit.db import trend_queries as tq
from qa_toolkit.db.engine import get_engine, sqlite_local_time
from qa_toolkit.db.results import CONV, QueueFilters
from qa_toolkit.db.trend_queries import TrendDrill
from qa_toolkit.errors import QAError
from qa_toolkit.pipeline import import_files

AMS, NY = "Europe/Amsterdam", "America/New_York"

# c-i created then (UTC); one human agent reply 45 minutes later. Amsterdam: CET (+1) until 2025-03-30
# 01:00 UTC, CEST (+2) until 2025-10-26 01:00 UTC; New York: EST (-5) in January, EDT (-4) otherwise.
CREATED = {
    1: datetime(2025, 1, 31, 23, 30),  # AMS Sat 02-01 00:30 (next month); NY Fri 01-31 18:30
    2: datetime(2025, 3, 29, 23, 30),  # AMS Sun 03-30 00:30 CET; NY Sat 03-29 19:30
    3: datetime(2025, 3, 30, 0, 30),  # AMS Sun 01:30 CET (reply 03:15 CEST)
    4: datetime(2025, 3, 30, 1, 30),  # AMS Sun 03:30 CEST
    5: datetime(2025, 3, 30, 21, 30),  # AMS Sun 23:30 (reply Mon 00:15); NY Sun 17:30
    6: datetime(2025, 3, 30, 22, 30),  # AMS Mon 03-31 00:30
    7: datetime(2025, 6, 10, 23, 30),  # a 23:30 UTC message: AMS Wed 06-11 01:30, NY Tue 06-10 19:30
    8: datetime(2025, 6, 11, 3, 30),  # AMS Wed 05:30; NY Tue 06-10 23:30 (reply Wed 00:15)
    9: datetime(2025, 10, 25, 22, 30),  # AMS Sun 10-26 00:30 CEST; NY Sat 18:30
    10: datetime(2025, 10, 26, 0, 30),  # AMS Sun 02:30 CEST (the first 02:30)
    11: datetime(2025, 10, 26, 1, 30),  # AMS Sun 02:30 CET (the second)
    12: datetime(2025, 10, 26, 22, 59),  # AMS Sun 23:59 CET (reply Mon 00:44)
    13: datetime(2025, 10, 26, 23, 30),  # AMS Mon 10-27 00:30
}
REPLY_AFTER = timedelta(minutes=45)

# trend_traffic(period="day"): local day -> (conversations created, agent replies sent)
DAYS = {
    "UTC": {
        "2025-01-31": (1, 0), "2025-02-01": (0, 1), "2025-03-29": (1, 0), "2025-03-30": (4, 5),
        "2025-06-10": (1, 0), "2025-06-11": (1, 2), "2025-10-25": (1, 1), "2025-10-26": (4, 3),
        "2025-10-27": (0, 1),
    },
    AMS: {
        "2025-02-01": (1, 1), "2025-03-30": (4, 3), "2025-03-31": (1, 2), "2025-06-11": (2, 2),
        "2025-10-26": (4, 3), "2025-10-27": (1, 2),
    },
    NY: {
        "2025-01-31": (1, 1), "2025-03-29": (3, 3), "2025-03-30": (2, 2), "2025-06-10": (2, 1),
        "2025-06-11": (0, 1), "2025-10-25": (3, 3), "2025-10-26": (2, 2),
    },
}  # fmt: skip
# conversations per week (the Monday) and per month
WEEKS = {
    "UTC": {"2025-01-27": 1, "2025-03-24": 5, "2025-06-09": 2, "2025-10-20": 5},
    AMS: {"2025-01-27": 1, "2025-03-24": 4, "2025-03-31": 1, "2025-06-09": 2, "2025-10-20": 4, "2025-10-27": 1},
    NY: {"2025-01-27": 1, "2025-03-24": 5, "2025-06-09": 2, "2025-10-20": 5},
}
MONTHS = {
    "UTC": {"2025-01-01": 1, "2025-03-01": 5, "2025-06-01": 2, "2025-10-01": 5},
    AMS: {"2025-02-01": 1, "2025-03-01": 5, "2025-06-01": 2, "2025-10-01": 5},
    NY: {"2025-01-01": 1, "2025-03-01": 5, "2025-06-01": 2, "2025-10-01": 5},
}
# arrivals_by_hour: (weekday Monday 0, hour) -> conversations
CELLS = {
    "UTC": {(4, 23): 1, (5, 23): 1, (6, 0): 2, (6, 1): 2, (6, 21): 1, (6, 22): 2, (1, 23): 1, (2, 3): 1,
            (5, 22): 1, (6, 23): 1},
    AMS: {(5, 0): 1, (6, 0): 2, (6, 1): 1, (6, 3): 1, (6, 23): 2, (0, 0): 2, (2, 1): 1, (2, 5): 1, (6, 2): 2},
    NY: {(4, 18): 1, (5, 19): 1, (5, 20): 2, (5, 21): 2, (6, 17): 1, (6, 18): 2, (1, 19): 1, (1, 23): 1,
         (5, 18): 1, (6, 19): 1},
}  # fmt: skip
# Amsterdam's reply cells: no 02:xx on 03-30 (skipped), c-10's reply in the second 02:xx of 10-26
AMS_REPLY_CELLS = {(5, 1): 1, (6, 1): 2, (6, 3): 2, (6, 4): 1, (0, 0): 2, (0, 1): 2, (2, 2): 1, (2, 6): 1, (6, 2): 1}


def records() -> list[dict]:
    out = []
    for i, created in CREATED.items():
        start = created.replace(tzinfo=UTC)
        agent = ("ag_1", "ag_2")[i % 2]
        out.append(
            {
                "id": f"c-{i}",
                "source": "test",
                "channel": ("email", "chat")[i % 2],
                "subject": f"Order {i}",
                "created_at": start,
                "assignee": {"id": agent, "name": agent.upper()},
                "team": ("Billing", "Orders")[i % 2],
                "language": "en",
                "messages": [
                    {"id": f"{i}-1", "role": "customer", "author": f"cus_{i}", "sent_at": start,
                     "text": f"Where is order {1000 + i}?"},
                    {"id": f"{i}-2", "role": "agent", "author": agent, "author_name": agent.upper(),
                     "sent_at": start + REPLY_AFTER, "text": f"Your order {1000 + i} arrives tomorrow."},
                ],
            }
        )  # fmt: skip
    return out


@pytest.fixture
def zstore(store_url: str, tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    path = tmp_path / "tz.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records()))
    import_files([path], db=store_url, parallel=False)
    engine = get_engine(store_url)
    return engine, seed_results(engine)


def names(rows: list[dict], ids: dict[str, int]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[r["id"]] for r in rows}


def drilled(engine: Engine, ids: dict[str, int], **kw: object) -> set[str]:
    rows, total = tq.trend_conversations(engine, drill=TrendDrill(**kw), limit=1000)
    assert total == len(rows)
    return names(rows, ids)


# --------------------------------------------------------------------------- hand-computed figures


@pytest.mark.parametrize("tz", ["UTC", AMS, NY])
def test_days_weeks_and_months_in_a_zone(zstore: tuple[Engine, dict[str, int]], tz: str) -> None:
    engine, _ = zstore
    days = {r["period"]: (r["conversations"], r["replies"]) for r in tq.trend_traffic(engine, period="day", tz=tz)}
    assert days == DAYS[tz]
    weeks = {r["period"]: r["conversations"] for r in tq.trend_traffic(engine, period="week", tz=tz)}
    assert {p: n for p, n in weeks.items() if n} == WEEKS[tz]
    months = {r["period"]: r["conversations"] for r in tq.trend_traffic(engine, period="month", tz=tz)}
    assert {p: n for p, n in months.items() if n} == MONTHS[tz]
    scores = {r["period"]: r["n"] for r in tq.trend_scores(engine, period="day", tz=tz) if r["kind"] == "automatic"}
    assert scores == {p: c for p, (c, _) in DAYS[tz].items() if c}
    responses = tq.first_response_values(engine, period="week", tz=tz)
    assert {p: sum(1 for q, _, _ in responses if q == p) for p, _, _ in responses} == WEEKS[tz]
    assert {s for _, _, s in responses} == {REPLY_AFTER.total_seconds()}


@pytest.mark.parametrize("tz", ["UTC", AMS, NY])
def test_arrivals_by_local_weekday_and_hour(zstore: tuple[Engine, dict[str, int]], tz: str) -> None:
    engine, _ = zstore
    rows = tq.arrivals_by_hour(engine, tz=tz)
    assert {(r["weekday"], r["hour"]): r["conversations"] for r in rows if r["conversations"]} == CELLS[tz]
    assert sum(r["replies"] for r in rows) == len(CREATED)
    if tz == AMS:
        assert {(r["weekday"], r["hour"]): r["replies"] for r in rows if r["replies"]} == AMS_REPLY_CELLS


def test_a_late_evening_message_counts_on_the_local_day(zstore: tuple[Engine, dict[str, int]]) -> None:
    """c-7 at 23:30 UTC on Tuesday 10 June: Wednesday in Amsterdam, Tuesday in New York."""
    engine, ids = zstore
    assert drilled(engine, ids, period="day", start=date(2025, 6, 10)) == {"c-7"}
    assert drilled(engine, ids, period="day", start=date(2025, 6, 11), tz=AMS) == {"c-7", "c-8"}
    assert drilled(engine, ids, period="day", start=date(2025, 6, 10), tz=NY) == {"c-7", "c-8"}
    assert drilled(engine, ids, period="day", start=date(2025, 6, 10), tz=AMS) == set()
    assert drilled(engine, ids, weekday=2, hour=1, tz=AMS) == {"c-7"}
    assert drilled(engine, ids, weekday=1, hour=19, tz=NY) == {"c-7"}
    # c-8's reply (04:15 UTC) is sent on Wednesday in New York, the day after its conversation started
    assert drilled(engine, ids, period="day", start=date(2025, 6, 11), tz=NY, replies=True) == {"c-8"}


def test_days_of_23_and_25_hours(zstore: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = zstore
    spring = drilled(engine, ids, period="day", start=date(2025, 3, 30), tz=AMS)
    assert spring == {"c-2", "c-3", "c-4", "c-5"}  # 23:00 UTC on the 29th to 22:00 UTC on the 30th
    assert drilled(engine, ids, period="day", start=date(2025, 3, 30), tz=AMS, replies=True) == {"c-2", "c-3", "c-4"}
    autumn = drilled(engine, ids, period="day", start=date(2025, 10, 26), tz=AMS)
    assert autumn == {"c-9", "c-10", "c-11", "c-12"}  # 22:00 UTC on the 25th to 23:00 UTC on the 26th
    assert drilled(engine, ids, weekday=6, hour=2, tz=AMS) == {"c-10", "c-11"}  # 02:30 twice
    assert drilled(engine, ids, weekday=6, hour=2, tz=AMS, replies=True) == {"c-10"}
    assert drilled(engine, ids, weekday=6, tz=AMS) == {f"c-{i}" for i in (2, 3, 4, 5, 9, 10, 11, 12)}
    assert drilled(engine, ids, hour=0, tz=AMS) == {"c-1", "c-2", "c-6", "c-9", "c-13"}
    assert drilled(engine, ids, period="week", start=date(2025, 3, 31), tz=AMS) == {"c-6"}
    assert drilled(engine, ids, period="month", start=date(2025, 2, 1), tz=AMS) == {"c-1"}
    assert drilled(engine, ids, period="month", start=date(2025, 1, 1), tz=AMS) == set()


def test_the_date_filter_takes_local_days(zstore: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = zstore
    f = QueueFilters(date_from=date(2025, 3, 30), date_to=date(2025, 3, 30))
    assert sum(r["conversations"] for r in tq.trend_traffic(engine, filters=f, tz=AMS)) == 4  # c-2 ... c-5
    assert sum(r["conversations"] for r in tq.trend_traffic(engine, filters=f)) == 4  # c-3 ... c-6 (UTC)
    days = tq.trend_traffic(engine, filters=f, period="day", tz=AMS)  # c-5's reply: Monday 00:15, outside
    assert [(r["period"], r["conversations"], r["replies"]) for r in days] == [("2025-03-30", 4, 3)]
    rows, _ = tq.trend_conversations(engine, filters=f, drill=TrendDrill(tz=AMS))
    assert names(rows, ids) == {"c-2", "c-3", "c-4", "c-5"}
    rows, _ = tq.trend_conversations(engine, filters=f)
    assert names(rows, ids) == {"c-3", "c-4", "c-5", "c-6"}
    assert sum(r["conversations"] for r in tq.exchanges_counts(engine, filters=f, tz=NY)) == 2  # c-5, c-6


# --------------------------------------------------------------------------- drill-down = what was counted


@pytest.mark.parametrize("tz", ["UTC", AMS, NY, "Asia/Kolkata"])
@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_every_count_drills_down_to_exactly_its_conversations(
    zstore: tuple[Engine, dict[str, int]], tz: str, period: str
) -> None:
    engine, ids = zstore
    seen: set[str] = set()
    for r in tq.trend_traffic(engine, period=period, by="team", tz=tz):
        start = date.fromisoformat(r["period"])
        convs = drilled(engine, ids, by="team", group=r["group"], period=period, start=start, tz=tz)
        assert len(convs) == r["conversations"] and not convs & seen
        seen |= convs
        replied = drilled(engine, ids, by="team", group=r["group"], period=period, start=start, tz=tz, replies=True)
        assert len(replied) == r["replies"]
    assert len(seen) == len(CREATED)
    for r in tq.trend_scores(engine, period=period, tz=tz):
        kw = {"period": period, "start": date.fromisoformat(r["period"]), "scored": r["kind"], "tz": tz}
        assert len(drilled(engine, ids, **kw)) == r["n"]
    for r in tq.trend_flags(engine, period=period, tz=tz):
        if r["rule"] is not None:
            kw = {"period": period, "start": date.fromisoformat(r["period"]), "rule": r["rule"], "tz": tz}
            assert len(drilled(engine, ids, **kw)) == r["flagged"]
    if period == "day":
        for r in tq.arrivals_by_hour(engine, tz=tz):
            cell = {"weekday": r["weekday"], "hour": r["hour"], "tz": tz}
            assert len(drilled(engine, ids, **cell)) == r["conversations"]
            assert len(drilled(engine, ids, **cell, replies=True)) == r["replies"]


# --------------------------------------------------------------------------- zones, bounds, SQL


def test_an_unknown_zone_is_named(zstore: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = zstore
    calls = [
        lambda: tq.trend_scores(engine, tz="Europe/Amsterdan"),
        lambda: tq.trend_traffic(engine, tz="Europe/Amsterdan"),
        lambda: tq.arrivals_by_hour(engine, tz="Europe/Amsterdan"),
        lambda: tq.trend_flags(engine, tz="Europe/Amsterdan"),
        lambda: tq.first_response_values(engine, tz="Europe/Amsterdan"),
        lambda: tq.exchanges_counts(engine, tz="Europe/Amsterdan"),
        lambda: tq.template_uses(engine, tz="Europe/Amsterdan"),
        lambda: tq.trend_conversations(engine, drill=TrendDrill(tz="Europe/Amsterdan")),
        lambda: tq.period_bounds("day", date(2025, 1, 1), "Europe/Amsterdan"),
    ]
    for call in calls:
        with pytest.raises(QAError, match="unknown time zone 'Europe/Amsterdan'"):
            call()
    for bad in ("", "../etc/passwd", "UTC+5"):
        with pytest.raises(QAError, match="unknown time zone"):
            tq.check_timezone(bad)


def test_period_bounds_are_local_midnights() -> None:
    def utc(*a: int) -> datetime:
        return datetime(*a, tzinfo=UTC)

    assert tq.period_bounds("day", date(2025, 3, 30), AMS) == (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))
    assert tq.period_bounds("day", date(2025, 10, 26), AMS) == (utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert tq.period_bounds("week", date(2025, 3, 24), AMS) == (utc(2025, 3, 23, 23), utc(2025, 3, 30, 22))
    assert tq.period_bounds("month", date(2025, 12, 1), NY) == (utc(2025, 12, 1, 5), utc(2026, 1, 1, 5))
    assert tq.period_bounds("day", date(2025, 6, 10)) == (utc(2025, 6, 10), utc(2025, 6, 11))
    # Santiago moves its clocks from 00:00 to 01:00: 7 September starts at 01:00 local, 04:00 UTC
    assert tq.period_bounds("day", date(2025, 9, 6), "America/Santiago")[1] == utc(2025, 9, 7, 4)
    assert sqlite_local_time("2025-09-07 04:00:00.000000", "America/Santiago") == "2025-09-07 01:00:00"


def test_utc_keeps_the_plain_sql() -> None:
    def sql(tz: str, dialect: object) -> str:
        expr = tq._period_expr(CONV.c.created_at, "day", "sqlite" if dialect is sqlite else "postgresql", tz)
        return str(select(expr).compile(dialect=dialect.dialect()))  # type: ignore[attr-defined]

    assert "qa_local" not in sql("UTC", sqlite) and "qa_local" in sql(AMS, sqlite)
    assert "timezone" in sql(AMS, postgresql)


@pytest.mark.parametrize(
    ("ts", "tz", "local"),
    [
        ("2025-03-30 00:59:59.999999", AMS, "2025-03-30 01:59:59"),
        ("2025-03-30 01:00:00.000000", AMS, "2025-03-30 03:00:00"),
        ("2025-10-26 00:30:00.000000", AMS, "2025-10-26 02:30:00"),
        ("2025-10-26 01:30:00.000000", AMS, "2025-10-26 02:30:00"),
        ("2025-06-10 23:30:00", NY, "2025-06-10 19:30:00"),
        ("2025-06-10 23:30:00.000000", "Asia/Kolkata", "2025-06-11 05:00:00"),  # +05:30
        ("2025-04-05 15:30:00.000000", "Australia/Lord_Howe", "2025-04-06 02:00:00"),  # a 30-minute change
        ("2025-06-10T23:30:00+00:00", AMS, "2025-06-11 01:30:00"),
        ("not a time", AMS, None),
        (None, AMS, None),
    ],
)
def test_sqlite_local_time(ts: str | None, tz: str, local: str | None) -> None:
    assert sqlite_local_time(ts, tz) == local


@settings(max_examples=300, deadline=None)
@given(
    when=hst.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)),
    tz=hst.sampled_from([AMS, NY, "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham"]),
)
def test_sqlite_local_time_agrees_with_zoneinfo(when: datetime, tz: str) -> None:
    text = when.isoformat(" ", "microseconds")
    expected = when.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    assert sqlite_local_time(text, tz) == expected
