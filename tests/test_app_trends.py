"""The trends page (AppTest): every section renders on a small store with a chart, a table and a CSV
download; the sidebar filters and the grouping change it; the drill-down lists the conversations behind a
point, a cell or a bar and opens one in the conversation view; the time zone (the browser's, else the
default scorecard's) moves hours, days and the drill-down with it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import insert
from store_builder import SCORECARD_TOML, app_store
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from qa_toolkit.db.results import FLAG

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/trends.py"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the page offers for download, by file name (recorded as Streamlit stores it)."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        if filename is not None and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    import streamlit as st

    st.cache_data.clear()


def open_trends(*, context: dict[str, Any] | None = None, **state: Any) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if context is not None:
        at.context = context
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def show(at: AppTest, **widgets: Any) -> AppTest:
    """Set selectboxes/radios by key and run."""
    for key, value in widgets.items():
        found = [w for w in (*at.selectbox, *at.radio) if w.key == key]
        assert found, key
        found[0].set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def drilled(at: AppTest, section: str) -> list[int]:
    table = next(d for d in at.dataframe if d.key == f"tr_{section}_drill_table")
    return [int(v) for v in table.value["id"]]


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table that has these columns."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_quality_renders_with_counts_band_and_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]
) -> None:
    app_store(tmp_path, monkeypatch)
    at = open_trends()
    assert at.title[0].value == "Trends" and at.subheader[0].value == "Quality score over time"
    spec = charts(at)[0]
    assert "layer" in spec and any(layer["mark"]["type"] == "area" for layer in spec["layer"])  # the band
    table = at.dataframe[0].value
    assert list(table.columns) == ["period", "label", "n", "mean", "sd", "low", "high"]
    assert table["n"].tolist() == [7, 5] and table["label"].unique().tolist() == ["all"]
    assert table["period"].tolist() == ["2025-03-03", "2025-03-10"]
    assert [b.label for b in at.download_button][:1] == ["Download CSV"]
    csv = pd.read_csv(io.BytesIO(downloads["trends-quality-automatic-week-all.csv"]))
    assert csv["n"].tolist() == [7, 5] and list(csv.columns) == list(table.columns)
    assert "trends-quality-conversations.csv" in downloads


def test_grouping_and_sidebar_filters_change_the_trend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    at = open_trends()
    show(at, tr_by="agent")
    table = at.dataframe[0].value
    assert set(table["label"]) == {"Sam Keller", "Noor de Vries", "Lee Park"}  # names, not ids
    assert table["n"].sum() == 12
    at.sidebar.multiselect(key="f_teams").set_value(["Billing"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["label"]) == {"Sam Keller"} and table["n"].tolist() == [3, 1]
    show(at, tr_period="month")
    assert at.dataframe[0].value["n"].tolist() == [4]


def test_quality_drill_down_lists_the_right_conversations_and_opens_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_trends()
    show(at, tr_by="team")
    show(at, tr_quality_pick_period="2025-03-03", tr_quality_pick_group="Billing")
    assert drilled(at, "quality") == [ids["c-7"], ids["c-4"], ids["c-1"]]
    assert any("3 conversations" in m.value for m in at.markdown)
    show(at, tr_quality_pick_group="Orders")
    assert drilled(at, "quality") == [ids[c] for c in ("c-6", "c-5", "c-3", "c-2")]
    show(at, tr_quality_conv=ids["c-5"])
    next(b for b in at.button if b.key == "tr_quality_open").click().run()
    assert not at.exception and at.title[0].value == f"Conversation #{ids['c-5']}"


def test_reviewed_scores_are_kept_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from qa_toolkit.db import results

    engine, ids = app_store(tmp_path, monkeypatch)
    score = SimpleNamespace(scorecard="test.v1", value=90.0, passed=True, categories={})
    results.save_review(
        engine, conversation_id=ids["c-9"], reviewer="ann", expected_version=None, score=score, done=True
    )
    at = open_trends()
    show(at, tr_kind="reviewed")
    table = at.dataframe[0].value
    assert table["n"].tolist() == [1] and table["mean"].tolist() == [90.0]
    assert drilled(at, "quality") == [ids["c-9"]]
    show(at, tr_kind="automatic")
    assert at.dataframe[0].value["n"].tolist() == [7, 5]


def test_traffic_arrivals_and_their_drill_downs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_trends()
    show(at, tr_section="Traffic", tr_by="agent", tr_period="day")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Conversations": "12", "Agent replies": "12", "Days with traffic": "12"}
    per_day = frame_with(at, "conversations_per_day")
    assert per_day.set_index("label")["conversations_per_day"].to_dict() == {
        "Sam Keller": 1.0, "Noor de Vries": 1.0, "Lee Park": 1.0,
    }  # fmt: skip
    assert "trends-traffic-per-day-agent.csv" in downloads and "trends-traffic-day-agent.csv" in downloads
    show(at, tr_traffic_metric="replies", tr_traffic_pick_period="2025-03-05", tr_traffic_pick_group="ag_3")
    assert drilled(at, "traffic") == [ids["c-3"]]

    show(at, tr_section="Arrivals")
    assert "trends-arrivals-weekday-hour.csv" in downloads
    heat = pd.read_csv(io.BytesIO(downloads["trends-arrivals-weekday-hour.csv"]))
    assert len(heat) == 168 and heat["conversations"].sum() == 12
    show(at, tr_arrivals_weekday=0, tr_arrivals_hour=9)
    assert drilled(at, "arrivals") == [ids["c-8"], ids["c-1"]]
    show(at, tr_heat_measure="replies", tr_arrivals_hour=11)
    assert drilled(at, "arrivals") == [ids["c-8"], ids["c-1"]]


def test_flags_response_times_exchanges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_trends()
    show(at, tr_section="Flags")
    show(at, tr_flag_rule="templated_apology.v1")
    table = frame_with(at, "rule", "flagged")
    assert table["flagged"].tolist() == [2, 2] and table["scored"].tolist() == [7, 5]
    show(at, tr_flags_pick_period="2025-03-03")
    assert drilled(at, "flags") == [ids["c-4"], ids["c-2"]]
    assert "trends-flags-week-all.csv" in downloads

    show(at, tr_section="Response times")
    table = frame_with(at, "median_minutes")
    assert table["median_minutes"].tolist() == [120.0, 120.0] and table["n"].tolist() == [7, 5]
    assert "trends-first-response-week-all.csv" in downloads

    show(at, tr_section="Back-and-forth", tr_by="channel")
    table = frame_with(at, "bucket", "share")
    assert table["conversations"].tolist() == [4, 4, 4] and table["share"].tolist() == [1.0, 1.0, 1.0]
    show(at, tr_exchanges_pick=1, tr_exchanges_pick_group="social")
    assert drilled(at, "exchanges") == [ids[c] for c in ("c-12", "c-9", "c-6", "c-3")]
    assert "trends-exchanges-channel.csv" in downloads


def test_templates_drill_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    at = open_trends()
    show(at, tr_section="Templates")
    assert any("No canned replies" in i.value for i in at.info)
    with engine.begin() as conn:
        conn.execute(
            insert(FLAG),
            [
                {"conversation_id": ids[c], "rule": "template_reuse.v1", "score": 0.4, "reason": "",
                 "evidence": [f"{c[2:]}-4", f'"{name}"']}
                for c, name in (("c-1", "sorry <b>for</b> that"), ("c-5", "sorry <b>for</b> that"), ("c-6", "hi"))
            ],
        )  # fmt: skip
    import streamlit as st

    st.cache_data.clear()
    at.run()
    table = frame_with(at, "template", "uses")
    assert table["template"].tolist() == ["sorry <b>for</b> that", "hi"] and table["uses"].tolist() == [2, 1]
    assert drilled(at, "templates") == [ids["c-5"], ids["c-1"]]
    assert "trends-templates.csv" in downloads
    assert not any("<b>for</b>" in m.value for m in at.markdown)  # shown as text


def test_nothing_to_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch, n=3, scored=False)
    at = open_trends()
    assert any("No automatic scores" in i.value for i in at.info)
    show(at, tr_section="Flags")
    assert any("No flags" in i.value for i in at.info)
    show(at, tr_section="Traffic")
    assert {m.label: m.value for m in at.metric}["Conversations"] == "3"


def test_time_zone_follows_the_browser_and_moves_hours_days_and_drill_downs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_trends(context={"timezone": "Europe/Berlin"})
    zone = next(s for s in at.selectbox if s.key == "tr_tz")
    assert zone.value == "Europe/Berlin" and len(zone.options) > 300 and zone.options == sorted(zone.options)
    assert any("Times are in Europe/Berlin" in c.value for c in at.caption)
    # created 09:00 UTC, replies 11:00 UTC, 3-14 March 2025: 10:00 and 12:00 in Berlin (CET)
    show(at, tr_section="Arrivals")
    assert at.subheader[0].value == "When conversations arrive (weekday x hour, Europe/Berlin)"
    heat = pd.read_csv(io.BytesIO(downloads["trends-arrivals-weekday-hour.csv"]))
    assert set(heat[heat["conversations"] > 0]["hour"]) == {10} and set(heat[heat["replies"] > 0]["hour"]) == {12}
    show(at, tr_arrivals_weekday=0, tr_arrivals_hour=10)
    assert drilled(at, "arrivals") == [ids["c-8"], ids["c-1"]]

    # New York moves to summer time on Sunday 9 March (07:00 UTC): 04:00 before, 05:00 from then on
    show(at, tr_tz="America/New_York")
    heat = pd.read_csv(io.BytesIO(downloads["trends-arrivals-weekday-hour.csv"]))
    hours = heat[heat["conversations"] > 0].groupby("hour")["conversations"].sum().to_dict()
    assert hours == {4: 6, 5: 6}
    show(at, tr_arrivals_weekday=0, tr_arrivals_hour=4)
    assert drilled(at, "arrivals") == [ids["c-1"]]
    table = next(d for d in at.dataframe if d.key == "tr_arrivals_drill_table").value
    assert str(table["created"].dt.tz) == "America/New_York" and table["created"].iloc[0].hour == 4
    exported = downloads["trends-arrivals-conversations.csv"].decode()
    assert "2025-03-03 04:00:00-05:00" in exported

    # Kiritimati (UTC+14): the 11:00 UTC replies are sent the next local day
    show(at, tr_tz="Pacific/Kiritimati", tr_section="Traffic", tr_period="day")
    table = frame_with(at, "replies_per_conversation")
    first, last = table.iloc[0], table.iloc[-1]
    assert (first["period"], first["conversations"], first["replies"]) == ("2025-03-03", 1, 0)
    assert (last["period"], last["conversations"], last["replies"]) == ("2025-03-15", 0, 1)
    show(at, tr_traffic_metric="replies", tr_traffic_pick_period="2025-03-04")
    assert drilled(at, "traffic") == [ids["c-1"]]  # its reply, 01:00 on the 4th in Kiritimati


def test_time_zone_defaults_to_the_scorecard_then_utc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    at = open_trends()
    assert next(s for s in at.selectbox if s.key == "tr_tz").value == "UTC"
    assert any("Times are in UTC" in c.value for c in at.caption)
    (tmp_path / "scorecards" / "default.toml").write_text(
        SCORECARD_TOML + '\n[business_hours]\ntimezone = "America/New_York"\n'
    )
    import streamlit as st

    st.cache_resource.clear()
    at = open_trends(context={"timezone": None})
    assert next(s for s in at.selectbox if s.key == "tr_tz").value == "America/New_York"
    assert at.title[0].value == "Trends" and at.dataframe[0].value["period"].tolist() == ["2025-03-03", "2025-03-10"]
