"""Agent and team scores: means with the number of conversations behind them; automatic and reviewed
scores never mixed; combining category scores (a reviewer's verdicts) uses the same formula."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import QAError
from qa_toolkit.scorecard import ScoreResult, aggregate_scores, combine_categories, parse_scorecard


def result(value, passed=None, categories=None, *, failed=(), scorecard="t.v1", reviewed=False) -> ScoreResult:
    if passed is None and value is not None:
        passed = value >= 70
    return ScoreResult(
        value=value,
        passed=passed,
        categories=categories or {},
        failed_critical=list(failed),
        scorecard=scorecard,
        reviewed=reviewed,
    )


def test_summary_of_a_group() -> None:
    results = [
        result(90.0, categories={"tone": 100.0, "apology": None}),
        result(60.0, categories={"tone": 50.0, "apology": 40.0}),
        result(0.0, False, categories={"tone": 0.0, "apology": 100.0}, failed=["tone"]),
        result(None, categories={"tone": None, "apology": None}),  # nothing applied: not in the mean
    ]
    summary = aggregate_scores(results)
    assert summary.scorecard == "t.v1" and summary.reviewed is False
    assert (summary.conversations, summary.n) == (4, 3)
    assert summary.mean == 50.0
    assert (summary.passed, summary.pass_rate) == (1, pytest.approx(1 / 3, abs=1e-4))
    assert summary.failed_critical == 1
    assert summary.categories["tone"].model_dump() == {"mean": 50.0, "n": 3}
    assert summary.categories["apology"].model_dump() == {"mean": 70.0, "n": 2}  # N/A is not a 0


def test_empty_group() -> None:
    summary = aggregate_scores([])
    assert (summary.conversations, summary.n, summary.mean, summary.pass_rate) == (0, 0, None, None)
    assert summary.scorecard is None and summary.categories == {}


def test_category_never_applied() -> None:
    summary = aggregate_scores([result(80.0, categories={"apology": None, "tone": 80.0})])
    assert summary.categories["apology"].model_dump() == {"mean": None, "n": 0}


def test_automatic_and_reviewed_scores_are_never_mixed() -> None:
    automatic, reviewed = result(40.0), result(80.0, reviewed=True)
    assert aggregate_scores([automatic]).reviewed is False
    assert aggregate_scores([reviewed]).reviewed is True
    with pytest.raises(QAError, match="automatic and reviewed scores mixed"):
        aggregate_scores([automatic, reviewed])


def test_scores_of_different_scorecards_are_never_mixed() -> None:
    with pytest.raises(QAError, match=r"different scorecards \(default.v2, strict.v2\)"):
        aggregate_scores([result(40.0, scorecard="default.v2"), result(80.0, scorecard="strict.v2")])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), max_size=20))
def test_mean_and_pass_rate_are_in_range(values) -> None:
    summary = aggregate_scores([result(v) for v in values])
    assert summary.n == sum(v is not None for v in values)
    if summary.n:
        assert 0.0 <= summary.mean <= 100.0
        assert 0.0 <= summary.pass_rate <= 1.0
    else:
        assert summary.mean is None and summary.pass_rate is None


CARD = parse_scorecard(
    {
        "name": "t",
        "version": 2,
        "pass_mark": 60,
        "categories": {
            "tone": {"weight": 2, "critical": True, "labels": {"tone": {"friendly": 100, "unfriendly": 0}}},
            "resolution": {"weight": 1, "labels": {"resolution": {"solution": 100, "step": 50}}},
        },
    }
)


@pytest.mark.parametrize(
    ("scores", "value", "passed", "failed"),
    [
        ({"tone": 100.0, "resolution": 40.0}, 80.0, True, []),
        ({"tone": None, "resolution": 40.0}, 40.0, False, []),
        ({"resolution": 40.0}, 40.0, False, []),  # a missing category is N/A
        ({"tone": 49.0, "resolution": 100.0}, 0.0, False, ["tone"]),
        ({"tone": None, "resolution": None}, None, None, []),
    ],
)
def test_combine_categories(scores, value, passed, failed) -> None:
    out = combine_categories(CARD, scores, reviewed=True)
    assert (out.value, out.passed, out.failed_critical, out.reviewed) == (value, passed, failed, True)
    assert out.scorecard == "t.v2" and list(out.categories) == ["tone", "resolution"]


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"empathy": 50.0}, "unknown category 'empathy' for t.v2; valid: tone, resolution"),
        ({"tone": 120.0}, "category 'tone': 120.0 is not allowed; allowed: 0-100 or None"),
    ],
)
def test_combine_categories_rejects_bad_input(scores, message) -> None:
    with pytest.raises(QAError, match=message.replace("(", r"\(")):
        combine_categories(CARD, scores)
