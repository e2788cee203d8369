"""Business hours: waits count working time only, in the scorecard's time zone, across weekends and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qa_toolkit.rules import BusinessHours

H = 3600.0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def brute_force(bh: BusinessHours, start: datetime, end: datetime) -> float:
    """Working seconds counted minute by minute (the reference for the fast version)."""
    total, t = 0.0, start
    zone = bh._zone
    while t < end:
        step = min(end, t + timedelta(minutes=1))
        local = t.astimezone(zone)
        for day in (local.date(), local.date() - timedelta(days=1)):
            interval = bh._open_interval(day)
            if interval and interval[0] <= t < interval[1]:
                total += (step - t).total_seconds()
                break
        t = step
    return total


def test_friday_evening_to_monday_morning_is_two_working_hours() -> None:
    bh = BusinessHours()  # Mon-Fri 09-17 UTC
    # 2024-01-05 is a Friday
    assert bh.working_seconds(utc(2024, 1, 5, 16), utc(2024, 1, 8, 10)) == 2 * H


def test_a_wait_over_the_weekend_only_counts_weekdays() -> None:
    bh = BusinessHours()
    assert bh.working_seconds(utc(2024, 1, 6, 10), utc(2024, 1, 7, 18)) == 0.0  # Saturday -> Sunday
    assert bh.working_seconds(utc(2024, 1, 5, 9), utc(2024, 1, 12, 9)) == 5 * 8 * H  # one full week


def test_time_zone_shifts_the_working_day() -> None:
    ams = BusinessHours(timezone="Europe/Amsterdam")  # UTC+1 in January: 09-17 local is 08-16 UTC
    assert ams.working_seconds(utc(2024, 1, 8, 7), utc(2024, 1, 8, 9)) == 1 * H
    ny = BusinessHours(timezone="America/New_York")  # UTC-5: 09-17 local is 14-22 UTC
    assert ny.working_seconds(utc(2024, 1, 8, 9), utc(2024, 1, 8, 15)) == 1 * H
    # Friday 21:00 UTC is 16:00 in New York: one hour left, then Monday 14:00 UTC opens
    assert ny.working_seconds(utc(2024, 1, 5, 21), utc(2024, 1, 8, 15)) == 2 * H


def test_always_open_counts_the_clock_and_unknown_times_stay_unknown() -> None:
    bh = BusinessHours(always_open=True)
    assert bh.working_seconds(utc(2024, 1, 6, 10), utc(2024, 1, 7, 10)) == 24 * H
    assert bh.working_seconds(None, utc(2024, 1, 7)) is None
    assert BusinessHours().working_seconds(utc(2024, 1, 8), None) is None
    assert BusinessHours().working_seconds(utc(2024, 1, 8, 12), utc(2024, 1, 8, 11)) is None


def test_holidays_and_night_shifts() -> None:
    bh = BusinessHours(holidays=[date(2024, 1, 8)])
    assert bh.working_seconds(utc(2024, 1, 8, 9), utc(2024, 1, 9, 10)) == 1 * H
    night = BusinessHours(start=time(22, 0), end=time(6, 0), days=["mon"])
    assert night.working_seconds(utc(2024, 1, 8, 21), utc(2024, 1, 9, 12)) == 8 * H


def test_bad_time_zone_and_day_are_errors_that_say_what_is_valid() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        BusinessHours(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="valid: mon"):
        BusinessHours(days=["funday"])


def test_long_waits_match_day_by_day_counting() -> None:
    bh = BusinessHours(timezone="Europe/Amsterdam", holidays=[date(2024, 3, 1)])
    start, end = utc(2024, 1, 3, 13, 30), utc(2024, 4, 20, 8)
    weeks = bh.working_seconds(start, end)
    days = sum(
        bh.working_seconds(
            max(start, utc(2024, 1, 3) + timedelta(days=i)), min(end, utc(2024, 1, 4) + timedelta(days=i))
        )
        or 0.0
        for i in range(120)
        if utc(2024, 1, 3) + timedelta(days=i) < end
    )
    assert weeks == pytest.approx(days)


times = st.datetimes(min_value=datetime(2024, 3, 20), max_value=datetime(2024, 4, 10), timezones=st.just(UTC))


@settings(max_examples=40, deadline=None)
@given(a=times, b=times, c=times)
def test_working_time_is_additive_and_never_more_than_the_clock(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    bh = BusinessHours(timezone="Europe/Amsterdam")  # the range crosses the DST change of 31 March
    ab, bc, ac = bh.working_seconds(a, b), bh.working_seconds(b, c), bh.working_seconds(a, c)
    assert ab is not None and bc is not None and ac is not None
    assert ac == pytest.approx(ab + bc)
    assert 0 <= ac <= (c - a).total_seconds()


@settings(max_examples=15, deadline=None)
@given(a=times, hours=st.integers(min_value=0, max_value=80))
def test_matches_minute_by_minute_counting(a: datetime, hours: int) -> None:
    a = a.replace(second=0, microsecond=0)
    bh = BusinessHours(timezone="America/New_York", days=["mon", "tue", "wed", "thu", "fri", "sat"])
    b = a + timedelta(hours=hours)
    assert bh.working_seconds(a, b) == pytest.approx(brute_force(bh, a, b))
