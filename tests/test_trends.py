"""Trends: the pure frame builders (intervals, rates, heatmap cells, percentiles, distributions, CSV) and the
store's aggregates and drill-down (SQLite, and PostgreSQL when QA_TEST_POSTGRES_URL is set), checked
against the same figures computed by hand from the conversations."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from store_builder import build_store, seed_results

from qa_toolkit import trends
from qa_toolkit.db import results as res
from qa_toolkit.db import trend_queries as tq
from qa_toolkit.db.results import CONV, FLAG, RESULT, QueueFilters
from qa_toolkit.db.trend_queries import TrendDrill
from qa_toolkit.errors import QAError

# --------------------------------------------------------------------------- pure builders


def test_t_interval_matches_the_textbook() -> None:
    low, high = trends.t_interval(4, 10.0, 2.0)
    assert (low, high) == pytest.approx((10 - 3.182446 * 1.0, 10 + 3.182446 * 1.0), abs=1e-5)
    assert all(math.isnan(v) for v in trends.t_interval(1, 5.0, math.nan))


def test_score_frame_mean_sd_interval_and_clipping() -> None:
    values = [60.0, 70.0, 80.0, 100.0]
    rows = [
        {"period": "2025-03-03", "group": "ag_1", "kind": "automatic", "n": 4, "total": sum(values),
         "total_sq": sum(v * v for v in values)},
        {"period": "2025-03-10", "group": "ag_1", "kind": "reviewed", "n": 1, "total": 90.0, "total_sq": 8100.0},
        {"period": "2025-03-10", "group": "ag_2", "kind": "automatic", "n": 2, "total": 198.0,
         "total_sq": 2 * 99.0**2},
        {"period": "2025-03-17", "group": "ag_2", "kind": "automatic", "n": 0, "total": None, "total_sq": None},
    ]  # fmt: skip
    frame = trends.score_frame(rows, names={"ag_1": "Sam"})
    assert list(frame.columns) == trends.SCORE_COLUMNS and len(frame) == 3  # n = 0 dropped
    first = frame[(frame["group"] == "ag_1") & (frame["kind"] == "automatic")].iloc[0]
    series = pd.Series(values)
    assert first["label"] == "Sam" and first["n"] == 4
    assert first["mean"] == pytest.approx(series.mean()) and first["sd"] == pytest.approx(series.std())
    low, high = trends.t_interval(4, series.mean(), series.std())
    assert (first["low"], first["high"]) == pytest.approx((low, min(high, 100.0)))  # clipped to the scale
    assert high > 100.0
    assert first["period"] == pd.Timestamp("2025-03-03")
    single = frame[frame["kind"] == "reviewed"].iloc[0]
    assert single["mean"] == 90.0 and math.isnan(single["low"])  # one conversation: no interval
    same = frame[frame["group"] == "ag_2"].iloc[0]
    assert same["sd"] == 0.0 and same["low"] == same["high"] == 99.0
    assert trends.score_frame([]).empty


def test_wilson_interval() -> None:
    low, high = trends.wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert trends.wilson_interval(0, 10)[0] == 0.0 and trends.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in trends.wilson_interval(0, 0))


def test_flag_rate_frame_fills_rules_that_did_not_fire() -> None:
    rows = [
        {"period": "2025-03-03", "group": "all", "scored": 10, "rule": "slow.v1", "flagged": 5},
        {"period": "2025-03-03", "group": "all", "scored": 10, "rule": "rude.v1", "flagged": 1},
        {"period": "2025-03-10", "group": "all", "scored": 4, "rule": None, "flagged": 0},
    ]
    frame = trends.flag_rate_frame(rows)
    assert len(frame) == 4
    later = frame[(frame["period"] == pd.Timestamp("2025-03-10")) & (frame["rule"] == "slow.v1")].iloc[0]
    assert later["scored"] == 4 and later["flagged"] == 0 and later["rate"] == 0.0
    slow = frame[(frame["period"] == pd.Timestamp("2025-03-03")) & (frame["rule"] == "slow.v1")].iloc[0]
    assert slow["rate"] == 0.5 and slow["low"] < 0.5 < slow["high"]


def test_traffic_frame_and_per_day() -> None:
    rows = [
        {"period": "2025-03-03", "group": "ag_1", "conversations": 4, "replies": 6},
        {"period": "2025-03-04", "group": "ag_1", "conversations": 2, "replies": 0},
        {"period": "2025-03-04", "group": "ag_2", "conversations": 0, "replies": 3},
    ]
    frame = trends.traffic_frame(rows, names={"ag_1": "Sam"})
    assert frame["replies_per_conversation"].tolist()[:2] == [1.5, 0.0]
    assert math.isnan(frame["replies_per_conversation"].iloc[2])
    per_day = trends.traffic_per_day(frame)
    sam = per_day[per_day["group"] == "ag_1"].iloc[0]
    assert (sam["days"], sam["conversations"], sam["replies"], sam["conversations_per_day"]) == (2, 6, 6, 3.0)
    assert trends.traffic_per_day(frame.iloc[0:0]).empty


def test_heatmap_has_every_cell() -> None:
    frame = trends.heatmap_frame(
        [
            {"weekday": 0, "hour": 9, "conversations": 4, "replies": 2, "first_response_total": 1200.0,
             "first_response_n": 2},
            {"weekday": 6, "hour": 23, "conversations": 3, "replies": 0, "first_response_total": None,
             "first_response_n": 0},
        ]
    )  # fmt: skip
    assert len(frame) == 7 * 24 and frame["conversations"].sum() == 7
    monday = frame[(frame["weekday"] == 0) & (frame["hour"] == 9)].iloc[0]
    assert (monday["day"], monday["conversations_per_reply"], monday["mean_first_response_minutes"]) == (
        "Mon",
        2.0,
        10.0,
    )
    sunday = frame[(frame["weekday"] == 6) & (frame["hour"] == 23)].iloc[0]
    assert sunday["conversations_per_reply"] == math.inf  # arrivals nobody answered in that hour: a gap
    quiet = frame[(frame["weekday"] == 2) & (frame["hour"] == 3)].iloc[0]
    assert quiet["conversations"] == 0 and math.isnan(quiet["conversations_per_reply"])


def test_response_frame_median_and_p90() -> None:
    values = [("2025-03-03", "all", float(m * 60)) for m in range(1, 11)] + [("2025-03-10", "all", 120.0)]
    frame = trends.response_frame(values)
    first = frame.iloc[0]
    assert (first["n"], first["median_minutes"], first["p90_minutes"]) == (10, 5.5, 9.1)
    assert frame.iloc[1]["median_minutes"] == frame.iloc[1]["p90_minutes"] == 2.0


def test_exchanges_frame_caps_and_shares() -> None:
    rows = [
        {"group": "chat", "exchanges": 1, "conversations": 6},
        {"group": "chat", "exchanges": 12, "conversations": 1},
        {"group": "chat", "exchanges": 10, "conversations": 1},
        {"group": "email", "exchanges": 0, "conversations": 2},
    ]
    frame = trends.exchanges_frame(rows)
    chat = frame[frame["group"] == "chat"]
    assert chat["bucket"].tolist() == ["1", "10+"] and chat["conversations"].tolist() == [6, 2]
    assert chat["share"].sum() == pytest.approx(1.0) and frame[frame["group"] == "email"]["share"].iloc[0] == 1.0


def test_templates_frame_and_top_groups() -> None:
    rows = [
        {"template": "b", "uses": 3, "conversations": 2, "agents": 1, "ids": [1, 2]},
        {"template": "a", "uses": 3, "conversations": 3, "agents": 2, "ids": [3]},
        {"template": "c", "uses": 9, "conversations": 1, "agents": 1, "ids": [4]},
    ]
    assert trends.templates_frame(rows)["template"].tolist() == ["c", "a", "b"]
    assert trends.templates_frame(rows, top=1)["template"].tolist() == ["c"]
    frame = pd.DataFrame({"group": ["x", "y", "y", "z"], "n": [5, 2, 2, 4]})
    assert trends.top_groups(frame, weight="n", n=2) == ["x", "y"]


def test_csv_bytes_guards_formulas() -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(1)", "+1", "plain", "@x"], "n": [1, -2, 3, 4]})
    out = trends.csv_bytes(frame).decode()
    assert out.splitlines() == ["name,n", "'=HYPERLINK(1),1", "'+1,-2", "plain,3", "'@x,4"]


# --------------------------------------------------------------------------- the store's aggregates


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    """12 conversations c-1 ... c-12, one a day from Monday 2025-03-03 09:00 UTC (weeks of 3 and 10 March),
    agents ag_1 (Billing), ag_2 and ag_3 (Orders) in turn, scored; c-1 reviewed twice (80 and 60, done),
    c-2 reviewed in progress (50, not counted); canned replies in c-1, c-2 and c-4."""
    engine = build_store(store_url, tmp_path)
    ids = seed_results(engine)
    for who, value in (("ann", 80.0), ("bob", 60.0)):
        score = SimpleNamespace(scorecard="test.v1", value=value, passed=True, categories={})
        res.save_review(engine, conversation_id=ids["c-1"], reviewer=who, expected_version=None, score=score, done=True)
    draft = SimpleNamespace(scorecard="test.v1", value=50.0, passed=False, categories={})
    res.save_review(engine, conversation_id=ids["c-2"], reviewer="ann", expected_version=None, score=draft)
    with engine.begin() as conn:
        conn.execute(
            insert(FLAG),
            [
                {"conversation_id": ids["c-1"], "rule": "template_reuse.v1", "score": 0.4, "reason": "",
                 "evidence": ["1-4", '"sorry for any inconvenience"']},
                {"conversation_id": ids["c-2"], "rule": "template_reuse.v1", "score": 0.4, "reason": "",
                 "evidence": ["2-4", '"sorry for any inconvenience"']},
                {"conversation_id": ids["c-4"], "rule": "template_reuse.v1", "score": 0.4, "reason": "",
                 "evidence": ["4-4", "4-6", '"happy to help"']},
            ],
        )  # fmt: skip
    return engine, ids


def automatic_scores(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(CONV.c.external_id, CONV.c.team, CONV.c.assignee_id, CONV.c.channel, RESULT.c.score).select_from(
                CONV.join(RESULT, RESULT.c.conversation_id == CONV.c.id)
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["ext", "team", "agent", "channel", "score"])
    frame["i"] = frame["ext"].str[2:].astype(int)
    frame["week"] = ["2025-03-03" if i <= 7 else "2025-03-10" for i in frame["i"]]
    return frame


@pytest.mark.parametrize("by", ["all", "agent", "team", "channel"])
def test_trend_scores_match_the_conversations(store: tuple[Engine, dict[str, int]], by: str) -> None:
    engine, _ = store
    rows = tq.trend_scores(engine, period="week", by=by)
    frame = trends.score_frame(rows)
    auto = frame[frame["kind"] == "automatic"]
    truth = automatic_scores(engine)
    truth["group"] = "all" if by == "all" else truth[by]
    expected = truth.groupby(["week", "group"])["score"].agg(["count", "mean", "std"]).reset_index()
    assert len(auto) == len(expected)
    for _, e in expected.iterrows():
        got = auto[(auto["period"] == pd.Timestamp(e["week"])) & (auto["group"] == e["group"])].iloc[0]
        assert got["n"] == e["count"] and got["mean"] == pytest.approx(e["mean"])
        if e["count"] > 1:
            assert got["sd"] == pytest.approx(e["std"], abs=1e-6)
    reviewed = frame[frame["kind"] == "reviewed"]
    assert len(reviewed) == 1  # c-1 once (two finished reviews, mean 70); c-2's draft not counted
    assert (reviewed.iloc[0]["n"], reviewed.iloc[0]["mean"]) == (1, 70.0)
    assert reviewed.iloc[0]["period"] == pd.Timestamp("2025-03-03")


def test_trend_scores_by_month_and_filters(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    rows = tq.trend_scores(engine, period="month", by="team")
    auto = {(r["period"], r["group"]): r["n"] for r in rows if r["kind"] == "automatic"}
    assert auto == {("2025-03-01", "Billing"): 4, ("2025-03-01", "Orders"): 8}
    f = QueueFilters(channels=("email",), date_from=date(2025, 3, 4), date_to=date(2025, 3, 10))
    rows = tq.trend_scores(engine, period="day", by="channel", filters=f)
    assert sorted(r["period"] for r in rows if r["kind"] == "automatic") == ["2025-03-06", "2025-03-09"]
    with pytest.raises(QAError, match="valid: day, week, month"):
        tq.trend_scores(engine, period="year")
    with pytest.raises(QAError, match="valid: all, agent, team, channel"):
        tq.trend_scores(engine, by="language")


def test_trend_traffic_counts_conversations_and_human_replies(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    rows = tq.trend_traffic(engine, period="week", by="agent")
    got = {(r["period"], r["group"]): (r["conversations"], r["replies"]) for r in rows}
    # week 1: c-1..c-7 -> ag_1: 1,4,7; ag_2: 2,5; ag_3: 3,6 ; one human reply each (no auto-reply, no note)
    assert got[("2025-03-03", "ag_1")] == (3, 3) and got[("2025-03-03", "ag_2")] == (2, 2)
    assert got[("2025-03-10", "ag_3")] == (2, 2)
    assert sum(c for c, _ in got.values()) == 12 and sum(r for _, r in got.values()) == 12
    days = tq.trend_traffic(engine, period="day", by="all")
    assert len(days) == 12 and all((r["conversations"], r["replies"]) == (1, 1) for r in days)
    only = tq.trend_traffic(engine, period="week", by="agent", filters=QueueFilters(agents=("ag_2",)))
    assert {r["group"] for r in only} == {"ag_2"}


def test_arrivals_by_weekday_and_hour(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    frame = trends.heatmap_frame(tq.arrivals_by_hour(engine))
    arrivals = frame[frame["conversations"] > 0]
    # created at 09:00 on every day of the week; c-1 and c-8 on Mondays, c-6 and c-12 on Saturdays
    assert set(arrivals["hour"]) == {9} and len(arrivals) == 7
    assert arrivals.set_index("day")["conversations"].to_dict() == {
        "Mon": 2, "Tue": 2, "Wed": 2, "Thu": 2, "Fri": 2, "Sat": 1, "Sun": 1,
    }  # fmt: skip
    replies = frame[frame["replies"] > 0]
    assert set(replies["hour"]) == {11} and replies["replies"].sum() == 12
    monday = frame[(frame["weekday"] == 0) & (frame["hour"] == 9)].iloc[0]
    assert monday["mean_first_response_minutes"] == 120.0


def test_trend_flags(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    frame = trends.flag_rate_frame(tq.trend_flags(engine, period="week"))
    slow = frame[frame["rule"] == "slow_first_response.v1"].set_index("period")
    assert slow.loc[pd.Timestamp("2025-03-03"), "flagged"] == 5 and slow.loc[pd.Timestamp("2025-03-03"), "scored"] == 7
    assert slow.loc[pd.Timestamp("2025-03-10"), "flagged"] == 3 and slow.loc[pd.Timestamp("2025-03-10"), "scored"] == 5
    templated = frame[frame["rule"] == "templated_apology.v1"].set_index("period")
    assert templated["flagged"].tolist() == [2, 2]


def test_first_responses_exchanges_and_templates(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    values = tq.first_response_values(engine, period="week", by="team")
    assert len(values) == 12 and {v for _, _, v in values} == {7200.0}
    frame = trends.response_frame(values)
    assert frame["median_minutes"].unique().tolist() == [120.0] and frame["n"].sum() == 12
    counts = tq.exchanges_counts(engine, by="channel")
    assert {(r["group"], r["exchanges"]): r["conversations"] for r in counts} == {
        ("chat", 1): 4, ("email", 1): 4, ("social", 1): 4,
    }  # fmt: skip
    uses = tq.template_uses(engine)
    assert [(u["template"], u["uses"], u["conversations"], u["agents"]) for u in uses] == [
        ("sorry for any inconvenience", 2, 2, 2),
        ("happy to help", 2, 1, 1),
    ]
    ids = {u["template"]: u["ids"] for u in uses}
    _, store_ids = store
    assert ids["sorry for any inconvenience"] == [store_ids["c-2"], store_ids["c-1"]]  # newest first
    assert tq.template_uses(engine, filters=QueueFilters(teams=("Billing",)))[0]["template"] == "happy to help"


def ext_ids(rows: list[dict], ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r["id"]] for r in rows]


def test_drill_down_lists_the_conversations_behind_a_point(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    week1 = date(2025, 3, 3)

    def drill(**kw: object) -> list[str]:
        rows, total = tq.trend_conversations(engine, drill=TrendDrill(**kw))
        assert total == len(rows)
        return ext_ids(rows, ids)

    assert drill(by="team", group="Billing", period="week", start=week1) == ["c-7", "c-4", "c-1"]
    assert drill(by="agent", group="ag_2", period="week", start=date(2025, 3, 10)) == ["c-11", "c-8"]
    assert drill(by="channel", group="chat", period="month", start=date(2025, 3, 1)) == ["c-11", "c-8", "c-5", "c-2"]
    assert drill(period="day", start=date(2025, 3, 5)) == ["c-3"]
    assert drill(scored="reviewed") == ["c-1"]
    assert drill(rule="templated_apology.v1", period="week", start=week1) == ["c-4", "c-2"]
    assert drill(weekday=0, hour=9) == ["c-8", "c-1"]
    assert drill(weekday=0, hour=11, replies=True) == ["c-8", "c-1"]
    assert drill(weekday=0, hour=9, replies=True) == []
    assert drill(by="agent", group="ag_1", period="day", start=date(2025, 3, 6), replies=True) == ["c-4"]
    assert drill(exchanges=1, by="team", group="Billing") == ["c-10", "c-7", "c-4", "c-1"]
    assert drill(exchanges=2, exchanges_or_more=True) == []
    assert drill(ids=(ids["c-3"], ids["c-9"])) == ["c-9", "c-3"]
    assert drill(by="team", group=tq.NO_GROUP) == []
    rows, total = tq.trend_conversations(
        engine, drill=TrendDrill(by="team", group="Orders"), filters=QueueFilters(languages=("nl",)), limit=1
    )
    assert total == 2 and ext_ids(rows, ids) == ["c-12"]  # nl: c-4 (Billing), c-8 and c-12 (Orders); newest
    row = rows[0]
    assert (row["agent"], row["channel"], row["exchanges"], row["first_response_seconds"]) == (
        "Lee Park", "social", 1, 7200.0,
    )  # fmt: skip
    reviewed, _ = tq.trend_conversations(engine, drill=TrendDrill(scored="reviewed"))
    assert reviewed[0]["reviewed_score"] == 70.0


def test_period_bounds() -> None:
    start, end = tq.period_bounds("month", date(2025, 12, 1))
    assert (start.date(), end.date()) == (date(2025, 12, 1), date(2026, 1, 1))
    assert tq.period_bounds("week", date(2025, 3, 3))[1].date() == date(2025, 3, 10)
    with pytest.raises(QAError):
        tq.period_bounds("year", date(2025, 1, 1))
