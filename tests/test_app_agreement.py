"""The agreement page (AppTest): figures on a store with finished reviews (overall, confusion matrix, by
agent, over time, reviewer vs reviewer), the sidebar's filters, and an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
import review_builder as rb
from sklearn.metrics import cohen_kappa_score
from store_builder import write_scorecards
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/agreement.py"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """ann reviewed r-0 ... r-11 (the true labels); bob r-0 ... r-5, agreeing with the model on r-2 and r-5
    (neutral, where ann and the truth say unfriendly); a draft by cy does not count."""
    url = f"sqlite:///{tmp_path / 'agreement.db'}"
    monkeypatch.setenv("QA_TOOLKIT_DB", url)
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(write_scorecards(tmp_path / "scorecards")))
    engine, ids = rb.build(url, tmp_path, n=14)
    for i in range(12):
        rb.review(engine, ids[f"r-{i}"], i, reviewer="ann", categories={"tone": (80.0, 0.0 if i % 3 == 2 else 80.0)})
    for i in range(6):
        rb.review(engine, ids[f"r-{i}"], i, reviewer="bob", labels={"tone": "neutral"} if i % 3 == 2 else None)
    rb.review(engine, ids["r-12"], 12, reviewer="cy", done=False)
    return ids


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["reviewer"] = "ann"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


# the page's tables, in the order they are drawn (the tabs' contents are all drawn)
TABLES = ("agreement_overall", "agreement_confusion", "agreement_agents", "agreement_time", "agreement_between")


def table(at: AppTest, name: str):  # type: ignore[no-untyped-def]
    return at.dataframe[TABLES.index(name)].value


def test_the_figures_on_a_store_with_reviews(store: dict[str, int]) -> None:
    at = open_page()
    assert at.title[0].value == "Agreement"
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Finished reviews": "18", "Reviewers": "2", "Conversations": "12", "Reviewed replies": "12"}
    overall = table(at, "agreement_overall").set_index(["kind", "target"])
    tone = overall.loc[("label", "tone")]
    # ann corrected the model on r-2, r-5, r-8, r-11; bob on none of his six
    assert (tone["verdicts"], tone["reviews"], tone["conversations"], tone["agreed"]) == (18, 18, 12, 14)
    assert tone["accuracy"] == pytest.approx(round(100 * 14 / 18, 1))
    human = [rb.true_labels(i)["tone"] for i in range(12)] + [rb.model_labels(i)["tone"] for i in range(6)]
    model = [rb.model_labels(i)["tone"] for i in range(12)] + [rb.model_labels(i)["tone"] for i in range(6)]
    expected = cohen_kappa_score(human, model, labels=["friendly", "neutral", "unfriendly"])
    assert tone["kappa"] == pytest.approx(round(expected, 2))
    assert overall.loc[("label", "personalisation"), "accuracy"] == 100.0
    assert overall.loc[("category", "tone"), "verdicts"] == 12

    confusion = table(at, "agreement_confusion")
    assert confusion.loc["unfriendly", "neutral"] == 4 and confusion.loc["neutral", "neutral"] == 8

    agents = table(at, "agreement_agents").set_index("agent")
    assert set(agents.index) == {"Sam Keller", "Noor de Vries"}
    assert agents["verdicts"].sum() == 18 and agents["reviews"].sum() == 18

    at.radio(key="agreement_period").set_value("month").run()
    by_month = table(at, "agreement_time")
    assert by_month["period"].tolist() == ["2025-05-01"] and by_month["verdicts"].tolist() == [18]
    at.radio(key="agreement_basis").set_value("created_at").run()
    by_start = table(at, "agreement_time")
    assert by_start["period"].tolist() == ["2025-03-01"] and by_start["verdicts"].sum() == 18

    between = table(at, "agreement_between").set_index(["kind", "target"])
    assert between.loc[("label", "tone"), ["pairs", "conversations", "agreed"]].tolist() == [6, 6, 4]
    assert between.loc[("label", "apology"), "accuracy"] == 100.0


def test_choosing_a_category_and_filtering_by_agent(store: dict[str, int]) -> None:
    at = open_page()
    at.selectbox(key="agreement_target").set_value(("category", "tone")).run()
    confusion = table(at, "agreement_confusion")
    assert list(confusion.index) == ["N/A", "0-24", "25-49", "50-74", "75-100"]
    assert confusion.loc["0-24", "75-100"] == 4 and confusion.loc["75-100", "75-100"] == 8
    at.sidebar.multiselect(key="f_agents").set_value(["ag_2"]).run()
    assert not at.exception
    overall = table(at, "agreement_overall").set_index(["kind", "target"])
    assert overall.loc[("label", "tone"), "verdicts"] == 9  # r-1, r-3, ... by ann and r-1, r-3, r-5 by bob


def test_an_empty_store_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("QA_TOOLKIT_DB", url)
    rb.build(url, tmp_path, n=2)
    at = open_page()
    assert at.info[0].value.startswith("No finished reviews yet")
    assert not at.dataframe
