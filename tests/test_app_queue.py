"""The review queue page (AppTest): renders on a small store, filters change it, counts, paging, opening
a conversation, and what it says when nothing is scored or nothing is waiting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from store_builder import app_store
from streamlit.testing.v1 import AppTest

from qa_toolkit.db import results

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def queue_ids(at: AppTest) -> list[int]:
    return [int(v) for v in at.dataframe[0].value["id"]]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_queue_renders_most_severe_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = run_app()
    assert at.title[0].value == "Review queue"
    assert (metric(at, "Waiting"), metric(at, "In review"), metric(at, "Reviewed")) == ("8", "0", "0")
    assert queue_ids(at) == [ids[c] for c in ("c-11", "c-10", "c-8", "c-4", "c-2", "c-7", "c-5", "c-1")]
    frame = at.dataframe[0].value
    assert frame.loc[0, "flags"] == "slow_first_response 0.57"
    assert frame.loc[0, "agent"] == "Noor de Vries" and frame.loc[0, "team"] == "Orders"
    assert any("templated&#95;apology&#46;v1 4" in c.value for c in at.caption)  # escaped, shows as text


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("f_teams", ["Billing"], ["c-10", "c-4", "c-7", "c-1"]),
        ("f_channels", ["chat"], ["c-11", "c-8", "c-2", "c-5"]),
        ("f_rules", ["templated_apology.v1"], ["c-10", "c-8", "c-4", "c-2"]),
        ("f_agents", ["ag_2"], ["c-11", "c-8", "c-2", "c-5"]),
        ("f_languages", ["nl"], ["c-8", "c-4"]),
    ],
)
def test_sidebar_filters_change_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: list[str], expected: list[str]
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = run_app()
    at.sidebar.multiselect(key=key).set_value(value).run()
    assert not at.exception
    assert queue_ids(at) == [ids[c] for c in expected]
    assert metric(at, "Waiting") == str(len(expected))


def test_date_score_and_severity_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = run_app()
    at.sidebar.date_input(key="f_dates").set_value((date(2025, 3, 4), date(2025, 3, 7))).run()
    assert queue_ids(at) == [ids[c] for c in ("c-4", "c-2", "c-5")]
    at.sidebar.date_input(key="f_dates").set_value(()).run()
    at.sidebar.slider(key="f_score").set_range(50.0, 100.0).run()
    assert queue_ids(at) == [ids[c] for c in ("c-10", "c-4", "c-7", "c-1")]
    at.sidebar.slider(key="f_severity").set_value(0.5).run()
    assert queue_ids(at) == [ids["c-10"], ids["c-4"]]
    at.sidebar.slider(key="f_score").set_range(0.0, 20.0).run()
    at.sidebar.slider(key="f_severity").set_value(0.9).run()
    assert not at.dataframe and metric(at, "Waiting") == "0"
    assert any("Nothing waiting" in s.value for s in at.success)


def test_reviewed_conversations_leave_the_queue_and_drafts_show_who(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    results.save_review(engine, conversation_id=ids["c-11"], reviewer="ann", expected_version=None, done=True)
    results.save_review(engine, conversation_id=ids["c-10"], reviewer="bob", expected_version=None)
    at = run_app()
    assert ids["c-11"] not in queue_ids(at) and queue_ids(at)[0] == ids["c-10"]
    assert at.dataframe[0].value.loc[0, "in review by"] == "bob"
    assert (metric(at, "Waiting"), metric(at, "In review"), metric(at, "Reviewed")) == ("7", "1", "1")


def test_paging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_toolkit.app import queue_view

    _, ids = app_store(tmp_path, monkeypatch)
    monkeypatch.setattr(queue_view, "PAGE_SIZE", 3)
    at = run_app()
    assert queue_ids(at) == [ids[c] for c in ("c-11", "c-10", "c-8")]
    at.number_input(key="queue_page").set_value(3).run()
    assert queue_ids(at) == [ids[c] for c in ("c-5", "c-1")]


def test_opening_a_conversation_from_the_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = run_app()
    at.selectbox(key="queue_pick").set_value(ids["c-4"])
    at.button(key="queue_open").click().run()
    assert not at.exception
    assert at.title[0].value == f"Conversation #{ids['c-4']}"


def test_an_unscored_store_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch, n=3, scored=False)
    at = run_app()
    assert metric(at, "Not scored yet") == "3" and metric(at, "Waiting") == "0"
    assert any("no automatic results yet" in i.value for i in at.info)


def test_the_reviewer_name_and_filters_survive_opening_a_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = run_app()
    at.sidebar.text_input(key="reviewer").input("ann").run()
    at.sidebar.multiselect(key="f_teams").set_value(["Billing"]).run()
    at.button(key="queue_open").click().run()
    assert at.title[0].value == f"Conversation #{ids['c-10']}"
    assert at.sidebar.text_input(key="reviewer").value == "ann"
    assert not at.warning and not any(b.disabled for b in at.button if b.label.startswith("Save"))
    next(b for b in at.button if b.label == "Back to queue").click().run()
    assert at.sidebar.multiselect(key="f_teams").value == ["Billing"]
    assert queue_ids(at) == [ids[c] for c in ("c-10", "c-4", "c-7", "c-1")]
