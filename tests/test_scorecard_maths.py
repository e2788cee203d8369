"""Scorecard maths: category scores, N/A, critical categories, the weighted mean; tables and properties."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from qa_toolkit.metrics import ThreadMetrics, compute_metrics
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult, register_rule, registered_rules
from qa_toolkit.scorecard import REPLY_LABELS, Scorecard, apply_scorecard, parse_scorecard

# ------------------------------------------------------------------------------ test rules and builders

RULE_A, RULE_B = "sc_maths_a.v1", "sc_maths_b.v1"


class _NoParams(BaseModel):
    pass


for _name in (RULE_A, RULE_B):
    if _name not in registered_rules():
        register_rule(_name, params=_NoParams, description="test rule for the scorecard maths")(lambda ctx, p: None)


def reply(
    tone: str = "friendly", personalisation: str = "personalised", apology: str = "none", resolution: str = "solution"
) -> ReplyResult:
    labels = {"tone": tone, "personalisation": personalisation, "apology": apology, "resolution": resolution}
    return ReplyResult(message_id="m", **{k: LabelResult(label=v, confidence=0.9) for k, v in labels.items()})


def metrics(*, customer_turns: int = 1, agent_messages: int = 1) -> ThreadMetrics:
    return replace(compute_metrics([]), customer_turns=customer_turns, agent_messages=agent_messages)


def flag(rule: str = RULE_A, score: float = 1.0) -> Flag:
    return Flag(rule=rule, score=score, reason="test")


def card(categories: dict[str, dict[str, Any]], *, pass_mark: float = 70) -> Scorecard:
    return parse_scorecard(
        {
            "name": "t",
            "version": 1,
            "pass_mark": pass_mark,
            "rules": {RULE_A: {}, RULE_B: {}},
            "categories": categories,
        }
    )


TONE = {"weight": 2, "labels": {"tone": {"friendly": 100, "neutral": 80, "unfriendly": 0}}}
APOLOGY = {"weight": 1, "labels": {"apology": {"specific": 100, "templated": 40}}, "flags": {RULE_A: 30}}
RESOLUTION = {"weight": 3, "labels": {"resolution": {"solution": 100, "step": 50}}}
RESPONSIVENESS = {"weight": 2, "applies": "customer_message", "flags": {RULE_B: 60}}
EFFICIENCY = {"weight": 1, "applies": "agent_reply", "flags": {RULE_B: 50}}


# ------------------------------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("category", "replies", "flags", "m", "expected"),
    [
        # label points, aggregated by mean or min over the replies that carry a mapped label
        (TONE, [reply("friendly")], [], metrics(), 100.0),
        (TONE, [reply("friendly"), reply("neutral")], [], metrics(), 90.0),
        (TONE, [reply("friendly"), reply("unfriendly")], [], metrics(), 50.0),
        ({**TONE, "aggregate": "min"}, [reply("friendly"), reply("unfriendly")], [], metrics(), 0.0),
        ({**TONE, "aggregate": "min"}, [reply("friendly"), reply("neutral")], [], metrics(), 80.0),
        # no reply: N/A
        (TONE, [], [], metrics(agent_messages=0), None),
        # apology: "none" is not mapped, so a thread without an apology and without a flag is N/A
        (APOLOGY, [reply(apology="none"), reply(apology="none")], [], metrics(), None),
        (APOLOGY, [reply(apology="none"), reply(apology="templated")], [], metrics(), 40.0),
        (APOLOGY, [reply(apology="specific"), reply(apology="templated")], [], metrics(), 70.0),
        # a flag alone makes it apply: base 100 minus penalty x flag score
        (APOLOGY, [reply(apology="none")], [flag(RULE_A, 0.5)], metrics(), 85.0),
        (APOLOGY, [reply(apology="templated")], [flag(RULE_A, 1.0)], metrics(), 10.0),
        (APOLOGY, [reply(apology="templated")], [flag(RULE_A, 1.0), flag(RULE_A, 1.0)], metrics(), 0.0),  # clamped
        (APOLOGY, [reply(apology="none")], [flag(RULE_B, 1.0)], metrics(), None),  # a flag it does not map
        # flag-only categories and their applicability
        (RESPONSIVENESS, [], [], metrics(customer_turns=1, agent_messages=0), 100.0),
        (RESPONSIVENESS, [], [flag(RULE_B, 1.0)], metrics(customer_turns=1, agent_messages=0), 40.0),
        (RESPONSIVENESS, [], [flag(RULE_B, 0.25)], metrics(), 85.0),
        (RESPONSIVENESS, [], [flag(RULE_B, 1.0)], metrics(customer_turns=0), None),
        (RESPONSIVENESS, [], [], None, None),
        (EFFICIENCY, [], [], metrics(agent_messages=0), None),
        (EFFICIENCY, [], [flag(RULE_B, 0.5)], metrics(agent_messages=2), 75.0),
        (EFFICIENCY, [reply()], [], None, 100.0),
        ({**EFFICIENCY, "base": 90}, [], [], metrics(), 90.0),
        ({**EFFICIENCY, "applies": "always"}, [], [], None, 100.0),
        # several labels in one category: the reply's points are the mean of its mapped labels
        (
            {"weight": 1, "labels": {"tone": {"friendly": 100}, "personalisation": {"generic": 40}}},
            [reply("friendly", "generic"), reply("friendly", "personalised"), reply("neutral", "personalised")],
            [],
            metrics(),
            85.0,
        ),
    ],
)
def test_category_score_table(category, replies, flags, m, expected) -> None:
    result = apply_scorecard(card({"c": category}), replies=replies, flags=flags, metrics=m)
    assert result.categories == {"c": expected}
    assert result.value == expected


def test_weighted_mean_over_applicable_categories() -> None:
    c = card({"tone": TONE, "apology": APOLOGY, "resolution": RESOLUTION, "responsiveness": RESPONSIVENESS})
    replies = [reply("friendly", resolution="solution"), reply("neutral", resolution="step")]
    result = apply_scorecard(c, replies=replies, flags=[flag(RULE_B, 0.5)], metrics=metrics())
    assert result.categories == {"tone": 90.0, "apology": None, "resolution": 75.0, "responsiveness": 70.0}
    # (2*90 + 3*75 + 2*70) / (2 + 3 + 2); apology is N/A and left out, not counted as 0
    assert result.value == pytest.approx(round((180 + 225 + 140) / 7, 2))
    assert result.passed is True
    assert result.failed_critical == []
    assert result.scorecard == "t.v1"


@pytest.mark.parametrize(("pass_mark", "passed"), [(90.0, True), (90.01, False), (0.0, True)])
def test_pass_mark_is_inclusive(pass_mark: float, passed: bool) -> None:
    c = card({"tone": TONE}, pass_mark=pass_mark)
    result = apply_scorecard(c, replies=[reply("friendly"), reply("neutral")], flags=[], metrics=metrics())
    assert result.value == 90.0
    assert result.passed is passed


@pytest.mark.parametrize(
    ("tones", "fail_below", "failed"),
    [
        (["friendly", "unfriendly"], None, True),  # min 0 < default fail mark 50
        (["friendly", "neutral"], None, False),
        (["neutral"], 80, False),  # exactly at the fail mark is not below it
        (["neutral"], 80.5, True),
    ],
)
def test_failed_critical_category_zeroes_the_conversation(tones, fail_below, failed) -> None:
    tone = {**TONE, "critical": True, "aggregate": "min"}
    if fail_below is not None:
        tone["fail_below"] = fail_below
    c = card({"tone": tone, "resolution": RESOLUTION}, pass_mark=50)
    result = apply_scorecard(c, replies=[reply(t) for t in tones], flags=[], metrics=metrics())
    assert result.categories["resolution"] == 100.0
    if failed:
        assert (result.value, result.passed, result.failed_critical) == (0.0, False, ["tone"])
    else:
        assert result.value is not None and result.value > 0 and result.passed is True
        assert result.failed_critical == []


def test_critical_category_that_is_na_does_not_fail() -> None:
    apology = {**APOLOGY, "critical": True}
    c = card({"apology": apology, "tone": TONE})
    result = apply_scorecard(c, replies=[reply("friendly")], flags=[], metrics=metrics())
    assert result.categories == {"apology": None, "tone": 100.0}
    assert (result.value, result.passed, result.failed_critical) == (100.0, True, [])


def test_nothing_applies_gives_no_score() -> None:
    c = card({"tone": TONE, "apology": APOLOGY, "efficiency": EFFICIENCY})
    result = apply_scorecard(c, replies=[], flags=[], metrics=metrics(customer_turns=1, agent_messages=0))
    assert result.value is None and result.passed is None
    assert result.categories == {"tone": None, "apology": None, "efficiency": None}


def test_unknown_label_values_and_unmapped_flags_are_ignored() -> None:
    c = card({"tone": TONE})
    result = apply_scorecard(c, replies=[reply("friendly"), reply("sarcastic")], flags=[flag(RULE_B)], metrics=None)
    assert result.value == 100.0


def test_reviewed_score_is_the_same_function_marked_reviewed() -> None:
    c = card({"tone": TONE})
    automatic = apply_scorecard(c, replies=[reply("unfriendly")], flags=[], metrics=metrics())
    reviewed = apply_scorecard(c, replies=[reply("neutral")], flags=[], metrics=metrics(), reviewed=True)
    assert (automatic.value, automatic.reviewed) == (0.0, False)
    assert (reviewed.value, reviewed.reviewed) == (80.0, True)


def test_score_result_matches_the_flag_output_contract() -> None:
    c = card({"tone": TONE, "apology": APOLOGY}, pass_mark=75)
    out = apply_scorecard(c, replies=[reply("friendly"), reply("neutral")], flags=[], metrics=metrics()).model_dump(
        mode="json"
    )
    assert out == {
        "value": 90.0,
        "passed": True,
        "categories": {"tone": 90.0, "apology": None},
        "failed_critical": [],
        "scorecard": "t.v1",
        "reviewed": False,
    }


# ---------------------------------------------------------------------------------------- properties

KINDS = tuple(REPLY_LABELS)


@st.composite
def cards(draw: st.DrawFn, *, full: bool = False) -> Scorecard:
    """Random valid scorecards. ``full``: every label value mapped, points ordered alike in every category
    (a per-card ranking of each label set, whose first label gets 100), so "a better label" is well defined."""
    ranking = {kind: draw(st.permutations(values)) for kind, values in REPLY_LABELS.items()}
    points = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 1))
    categories: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(1, 5))):
        labels: dict[str, dict[str, float]] = {}
        for kind in draw(st.lists(st.sampled_from(KINDS), unique=True, max_size=2)):
            if full:
                n = len(ranking[kind])
                values = sorted(draw(st.lists(points, min_size=n - 1, max_size=n - 1)), reverse=True)
                labels[kind] = dict(zip(ranking[kind], [100.0, *values], strict=True))
            else:
                mapped = draw(st.lists(st.sampled_from(REPLY_LABELS[kind]), unique=True, min_size=1))
                labels[kind] = {label: draw(points) for label in mapped}
        flags = draw(st.dictionaries(st.sampled_from([RULE_A, RULE_B]), points, min_size=0 if labels else 1))
        critical = draw(st.sampled_from([False, False, True]))
        cat: dict[str, Any] = {
            "weight": draw(st.floats(0.1, 10).map(lambda x: round(x, 2))),
            "critical": critical,
            "aggregate": draw(st.sampled_from(["mean", "min"])),
            "applies": draw(st.sampled_from(["signals", "signals", "agent_reply", "customer_message", "always"])),
            "base": draw(points),
            "labels": labels,
            "flags": flags,
        }
        if critical:
            cat["fail_below"] = draw(points)
        categories[f"c{i}"] = cat
    return card(categories, pass_mark=draw(points))


def mappings(c: Scorecard, kind: str) -> list[dict[str, float]]:
    return [cat.label_points[kind] for cat in c.categories.values() if kind in cat.label_points]


replies_st = st.lists(
    st.builds(
        reply,
        tone=st.sampled_from(REPLY_LABELS["tone"]),
        personalisation=st.sampled_from(REPLY_LABELS["personalisation"]),
        apology=st.sampled_from(REPLY_LABELS["apology"]),
        resolution=st.sampled_from(REPLY_LABELS["resolution"]),
    ),
    max_size=5,
)
flags_st = st.lists(st.builds(flag, st.sampled_from([RULE_A, RULE_B]), st.floats(0, 1)), max_size=3)
metrics_st = st.one_of(
    st.none(), st.builds(metrics, customer_turns=st.integers(0, 3), agent_messages=st.integers(0, 3))
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def weighted_mean(c: Scorecard, scores: dict[str, float | None]) -> float | None:
    applicable = [(c.categories[n].weight, s) for n, s in scores.items() if s is not None]
    if not applicable:
        return None
    return sum(w * s for w, s in applicable) / sum(w for w, _ in applicable)


@SETTINGS
@given(cards(), replies_st, flags_st, metrics_st)
def test_score_is_in_range_or_none_and_follows_the_formula(c, replies, flags, m) -> None:
    result = apply_scorecard(c, replies=replies, flags=flags, metrics=m)
    assert set(result.categories) == set(c.categories)
    for score in result.categories.values():
        assert score is None or 0.0 <= score <= 100.0
    if result.value is None:
        assert result.passed is None
        assert all(s is None for s in result.categories.values())
        return
    assert 0.0 <= result.value <= 100.0
    failed = [
        n
        for n, s in result.categories.items()
        if s is not None and c.categories[n].critical and s < c.categories[n].fail_mark
    ]
    assert result.failed_critical == failed
    if failed:  # a failed critical category gives 0 and fails
        assert result.value == 0.0 and result.passed is False
    else:
        assert result.value == pytest.approx(weighted_mean(c, result.categories), abs=0.006)
        assert result.passed is (result.value >= c.pass_mark)


@SETTINGS
@given(cards(), replies_st, flags_st, metrics_st)
def test_na_never_lowers_a_score(c, replies, flags, m) -> None:
    result = apply_scorecard(c, replies=replies, flags=flags, metrics=m)
    na = [n for n, s in result.categories.items() if s is None]
    if result.value is None or not na or result.failed_critical:
        return
    # the same score as a card without the N/A categories ...
    without = c.model_copy(update={"categories": {n: cat for n, cat in c.categories.items() if n not in na}})
    assert apply_scorecard(without, replies=replies, flags=flags, metrics=m).value == result.value
    # ... and never below the score that counted them as 0
    as_zero = weighted_mean(c, {n: (0.0 if s is None else s) for n, s in result.categories.items()})
    assert as_zero is not None and result.value >= as_zero - 0.006


@SETTINGS
@given(cards(full=True), replies_st.filter(bool), flags_st, metrics_st, st.data())
def test_a_better_label_never_lowers_the_score(c, replies, flags, m, data) -> None:
    i = data.draw(st.integers(0, len(replies) - 1))
    kind = data.draw(st.sampled_from(KINDS))
    old = getattr(replies[i], kind).label
    better = [v for v in REPLY_LABELS[kind] if all(mp[v] >= mp[old] for mp in mappings(c, kind))]
    new = data.draw(st.sampled_from(better))
    changed = list(replies)
    changed[i] = replies[i].model_copy(update={kind: LabelResult(label=new, confidence=0.9)})
    before = apply_scorecard(c, replies=replies, flags=flags, metrics=m)
    after = apply_scorecard(c, replies=changed, flags=flags, metrics=m)
    assert (after.value is None) == (before.value is None)
    if before.value is not None:
        assert after.value >= before.value
        assert not (before.passed and not after.passed)
    for name, score in before.categories.items():
        if score is not None:
            assert after.categories[name] >= score


@SETTINGS
@given(cards(full=True), replies_st.filter(bool), flags_st, metrics_st)
def test_adding_a_best_reply_never_lowers_the_score(c, replies, flags, m) -> None:
    best = reply(
        **{
            kind: next(v for v in REPLY_LABELS[kind] if all(mp[v] == 100.0 for mp in mappings(c, kind)))
            for kind in KINDS
        }
    )
    before = apply_scorecard(c, replies=replies, flags=flags, metrics=m)
    after = apply_scorecard(c, replies=[*replies, best], flags=flags, metrics=m)
    if before.value is not None:
        assert after.value is not None and after.value >= before.value


@SETTINGS
@given(cards(), replies_st, flags_st.filter(bool), metrics_st, st.data())
def test_a_stronger_flag_never_raises_the_score(c, replies, flags, m, data) -> None:
    i = data.draw(st.integers(0, len(flags) - 1))
    stronger = list(flags)
    stronger[i] = flag(flags[i].rule, data.draw(st.floats(flags[i].score, 1.0)))
    before = apply_scorecard(c, replies=replies, flags=flags, metrics=m)
    after = apply_scorecard(c, replies=replies, flags=stronger, metrics=m)
    if before.value is not None:
        assert after.value is not None and after.value <= before.value


@SETTINGS
@given(cards(), replies_st, flags_st, metrics_st)
def test_a_failed_critical_category_gives_zero(c, replies, flags, m) -> None:
    name = next(iter(c.categories))
    crit = c.categories[name].model_copy(update={"critical": True, "fail_below": 100.0})
    strict = c.model_copy(update={"categories": {**c.categories, name: crit}})
    result = apply_scorecard(strict, replies=replies, flags=flags, metrics=m)
    score = result.categories[name]
    if score is not None and score < 100.0:
        assert (result.value, result.passed) == (0.0, False)
        assert name in result.failed_critical
    elif score is None:
        assert name not in result.failed_critical
