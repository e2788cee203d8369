"""Agreement (pure): model vs reviewer per label and category (accuracy, kappa, confusion), by agent and
over time with the reviews behind each figure, reviewer vs reviewer; and the verdict rows from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import review_builder as rb
from sklearn.metrics import cohen_kappa_score

from qa_toolkit import agreement
from qa_toolkit.db import results

D1 = datetime(2025, 3, 3, 10, tzinfo=UTC)  # a Monday
D2 = datetime(2025, 3, 12, 10, tzinfo=UTC)  # the next week, same month
D3 = datetime(2025, 4, 2, 10, tzinfo=UTC)  # the next month


def label_row(review: int, reviewer: str, conv: int, msg: str, name: str, model: str | None, human: str,
              *, agent: str = "Sam", when: datetime = D1, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "review_id": review, "reviewer": reviewer, "conversation_id": conv, "message_external_id": msg,
        "label_name": name, "model_label": model, "reviewer_label": human, "agent": agent,
        "agent_id": extra.get("agent_id", agent.lower()), "team": extra.get("team", "Orders"),
        "channel": extra.get("channel", "email"), "language": "en", "finished_at": when,
        "created_at": extra.get("created_at", when),
    }  # fmt: skip


def category_row(review: int, reviewer: str, conv: int, name: str, model: float | None, human: float | None,
                 *, agent: str = "Sam", when: datetime = D1) -> dict[str, Any]:  # fmt: skip
    return {
        "review_id": review, "reviewer": reviewer, "conversation_id": conv, "category": name,
        "model_value": model, "reviewer_value": human, "overridden": model != human, "agent": agent,
        "agent_id": agent.lower(), "team": "Orders", "channel": "email", "language": "en",
        "finished_at": when, "created_at": when,
    }  # fmt: skip


# tone: ann reviewed four replies (two corrected), bob two (none corrected); both reviewed conversation 1
LABELS = [
    label_row(1, "ann", 1, "m1", "tone", "friendly", "friendly"),
    label_row(1, "ann", 1, "m2", "tone", "neutral", "unfriendly"),
    label_row(2, "ann", 2, "m1", "tone", "neutral", "neutral", agent="Noor", when=D2),
    label_row(2, "ann", 2, "m2", "tone", "friendly", "neutral", agent="Noor", when=D2),
    label_row(3, "bob", 1, "m1", "tone", "friendly", "friendly", when=D3),
    label_row(3, "bob", 1, "m2", "tone", "neutral", "neutral", when=D3),
    label_row(1, "ann", 1, "m1", "apology", "templated", "specific"),
    label_row(1, "ann", 1, "m3", "apology", None, "none"),  # no model label: not comparable, left out
]
CATEGORIES = [
    category_row(1, "ann", 1, "tone", 90.0, 40.0),
    category_row(2, "ann", 2, "tone", 80.0, 80.0, agent="Noor", when=D2),
    category_row(3, "bob", 1, "tone", 90.0, 90.0, when=D3),
    category_row(1, "ann", 1, "apology", None, 50.0),
    category_row(3, "bob", 1, "apology", None, None, when=D3),
]


@pytest.fixture
def frame() -> pd.DataFrame:
    return agreement.verdict_frame(LABELS, CATEGORIES)


@pytest.mark.parametrize(
    ("value", "band"),
    [(None, "N/A"), (float("nan"), "N/A"), (0.0, "0-24"), (24.99, "0-24"), (25.0, "25-49"), (50.0, "50-74"),
     (74.9, "50-74"), (75.0, "75-100"), (100.0, "75-100")],
)  # fmt: skip
def test_category_bands(value: float | None, band: str) -> None:
    assert agreement.category_band(value) == band


def test_the_frame_has_one_row_per_comparable_verdict(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(agreement.COLUMNS)
    assert len(frame) == 7 + 5  # the apology verdict without a model label is left out
    tone_category = frame[(frame["kind"] == "category") & (frame["target"] == "tone")]
    assert tone_category["model"].tolist() == ["75-100", "75-100", "75-100"]
    assert tone_category["human"].tolist() == ["25-49", "75-100", "75-100"]


def test_model_agreement_overall(frame: pd.DataFrame) -> None:
    table = agreement.model_agreement(frame).set_index(["kind", "target"])
    tone = table.loc[("label", "tone")]
    assert (tone["n"], tone["reviews"], tone["conversations"], tone["agreed"]) == (6, 3, 2, 4)
    assert tone["accuracy"] == pytest.approx(2 / 3) and tone["changed"] == pytest.approx(1 / 3)
    human = ["friendly", "unfriendly", "neutral", "neutral", "friendly", "neutral"]
    model = ["friendly", "neutral", "neutral", "friendly", "friendly", "neutral"]
    assert tone["kappa"] == pytest.approx(cohen_kappa_score(human, model, labels=["friendly", "neutral", "unfriendly"]))
    assert pd.isna(tone["mean_abs_diff"])
    apology = table.loc[("label", "apology")]
    assert (apology["n"], apology["agreed"]) == (1, 0)
    category = table.loc[("category", "tone")]
    assert (category["n"], category["agreed"]) == (3, 2)
    assert category["changed"] == pytest.approx(1 / 3) and category["mean_abs_diff"] == pytest.approx(50 / 3)
    na = table.loc[("category", "apology")]  # N/A vs 50: changed; N/A vs N/A: agreed
    assert (na["agreed"], na["changed"]) == (1, 0.5) and pd.isna(na["mean_abs_diff"])
    # labels first, then categories; the four labels' names in their usual order, then the others by name
    assert list(table.index) == [("label", "tone"), ("label", "apology"), ("category", "tone"), ("category", "apology")]


def test_kappa_is_empty_when_undefined() -> None:
    assert agreement.kappa([], []) is None
    assert agreement.kappa(["generic", "generic"], ["generic", "generic"], labels=["personalised", "generic"]) is None
    assert agreement.kappa(["a", "b", "a"], ["a", "b", "a"]) == pytest.approx(1.0)


def test_by_agent_and_over_time_with_the_reviews_behind_each_figure(frame: pd.DataFrame) -> None:
    tone = frame[(frame["kind"] == "label") & (frame["target"] == "tone")]
    by_agent = agreement.model_agreement(tone, by="agent").set_index("agent")
    assert by_agent.loc["Sam", ["n", "reviews", "agreed"]].tolist() == [4, 2, 3]
    assert by_agent.loc["Noor", ["n", "reviews", "agreed"]].tolist() == [2, 1, 1]
    weekly = agreement.model_agreement(tone, period="week")
    assert weekly["period"].tolist() == [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 31)]
    assert weekly[["n", "reviews", "agreed"]].values.tolist() == [[2, 1, 1], [2, 1, 1], [2, 1, 2]]
    monthly = agreement.model_agreement(tone, period="month")
    assert monthly["period"].tolist() == [date(2025, 3, 1), date(2025, 4, 1)]
    assert monthly["n"].tolist() == [4, 2]
    with pytest.raises(ValueError, match="unknown period 'day'"):
        agreement.model_agreement(tone, period="day")


def test_the_confusion_matrix(frame: pd.DataFrame) -> None:
    table = agreement.confusion(frame, kind="label", target="tone")
    assert list(table.index) == list(table.columns) == ["friendly", "neutral", "unfriendly"]
    assert table.loc["friendly", "friendly"] == 2 and table.loc["neutral", "friendly"] == 1
    assert table.loc["unfriendly", "neutral"] == 1 and table.loc["neutral", "neutral"] == 2
    assert int(table.values.sum()) == 6
    bands = agreement.confusion(frame, kind="category", target="tone")
    assert list(bands.index) == list(agreement.CATEGORY_BANDS) and bands.loc["25-49", "75-100"] == 1


def test_reviewer_vs_reviewer_where_two_reviewed_the_same_conversation(frame: pd.DataFrame) -> None:
    pairs = agreement.reviewer_pairs(frame)
    tone = pairs[(pairs["kind"] == "label") & (pairs["target"] == "tone")]
    assert tone[["item", "first", "second", "first_value", "second_value"]].values.tolist() == [
        ["m1", "ann", "bob", "friendly", "friendly"],
        ["m2", "ann", "bob", "unfriendly", "neutral"],
    ]
    table = agreement.reviewer_agreement(frame).set_index(["kind", "target"])
    assert table.loc[("label", "tone"), ["pairs", "conversations", "agreed"]].tolist() == [2, 1, 1]
    assert table.loc[("label", "tone"), "accuracy"] == pytest.approx(0.5)
    assert table.loc[("category", "apology"), "agreed"] == 0  # 50 vs N/A
    assert ("label", "apology") not in table.index  # bob did not judge it
    by_pair = agreement.reviewer_agreement(frame, by_pair=True)
    assert set(zip(by_pair["first"], by_pair["second"], strict=True)) == {("ann", "bob")}


def test_nothing_reviewed_gives_empty_tables() -> None:
    empty = agreement.verdict_frame()
    assert agreement.model_agreement(empty).empty and agreement.reviewer_agreement(empty).empty
    assert agreement.model_agreement(empty, period="week").empty
    assert int(agreement.confusion(empty, kind="label", target="apology").values.sum()) == 0


def test_filters(frame: pd.DataFrame) -> None:
    assert set(agreement.filter_verdicts(frame, agents=["noor"])["agent"]) == {"Noor"}
    assert agreement.filter_verdicts(frame, teams=["Billing"]).empty
    march = agreement.filter_verdicts(frame, date_from=date(2025, 3, 1), date_to=date(2025, 3, 31))
    assert set(march["review_id"]) == {1, 2}
    assert len(agreement.filter_verdicts(frame)) == len(frame)


# --------------------------------------------------------------------------- from the store


def test_verdict_rows_from_the_store(tmp_path: Path) -> None:
    engine, ids = rb.build(f"sqlite:///{tmp_path / 'agree.db'}", tmp_path, n=6)
    rb.review(engine, ids["r-2"], 2, reviewer="ann", categories={"tone": (80.0, 0.0)})
    rb.review(engine, ids["r-2"], 2, reviewer="bob", labels={"tone": "neutral"})
    rb.review(engine, ids["r-4"], 4, reviewer="ann", done=False)  # a draft
    rows = results.label_verdict_rows(engine)
    assert len(rows) == 8 and {r["reviewer"] for r in rows} == {"ann", "bob"}
    tone = next(r for r in rows if r["reviewer"] == "ann" and r["label_name"] == "tone")
    assert (tone["model_label"], tone["reviewer_label"]) == ("neutral", "unfriendly")
    assert (tone["agent_id"], tone["agent"], tone["team"]) == ("ag_1", "Sam Keller", "Orders")
    assert tone["message_external_id"] == "2-2" and tone["finished_at"].tzinfo is not None
    assert len(results.label_verdict_rows(engine, done_only=False)) == 12
    [category] = results.category_verdict_rows(engine)
    assert (category["category"], category["model_value"], category["reviewer_value"]) == ("tone", 80.0, 0.0)
    assert category["overridden"] is True and category["agent"] == "Sam Keller"
    frame = agreement.verdict_frame(rows, [category])
    table = agreement.model_agreement(frame).set_index(["kind", "target"])
    assert table.loc[("label", "tone"), ["n", "agreed"]].tolist() == [2, 1]
    assert agreement.reviewer_agreement(frame).set_index("target").loc["tone", "agreed"] == 0
