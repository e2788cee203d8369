"""Per-agent and per-team summaries: counts, mean score with n, flag and review rates, first response."""

from __future__ import annotations

import pytest

from qa_toolkit.reports import ReportRow, row_from_record, summarise


def row(
    cid: str, agent: str, team: str, score: float | None, flags=(), first: float | None = None, uses=()
) -> ReportRow:  # type: ignore[no-untyped-def]
    return ReportRow(
        cid, agent, team, score, None if score is None else score >= 75, tuple(flags), first, 1, tuple(uses)
    )


def test_summaries_per_agent_and_team() -> None:
    rows = [
        row("1", "ann", "red", 80.0, [("slow_first_response.v1", 0.7)], 600, [("ann", "Please DM us")]),
        row("2", "ann", "red", 60.0, [("templated_apology.v1", 0.3)], 1200),
        row("3", "bob", "red", None, [], None, [("ann", "Please DM us")]),
        row("4", "bob", "blue", 100.0, [("slow_first_response.v1", 0.9), ("templated_apology.v1", 0.6)], 3600),
    ]
    report = summarise(rows)
    assert report.overall.conversations == 4 and report.overall.scored == 3
    assert report.overall.mean_score == pytest.approx(80.0)
    assert report.overall.review_rate == 0.5  # conversations 1 and 4 have a flag >= 0.5
    assert report.overall.flag_rates == {"slow_first_response.v1": 0.5, "templated_apology.v1": 0.5}
    assert report.overall.median_first_response == 1200 and report.overall.template_uses == 2
    ann = next(a for a in report.agents if a.name == "ann")
    assert ann.conversations == 2 and ann.mean_score == 70.0 and ann.scored == 2 and ann.pass_rate == 0.5
    assert ann.template_uses == 2 and ann.top_templates == [("Please DM us", 2)]  # one sent in bob's thread
    bob = next(a for a in report.agents if a.name == "bob")
    assert bob.scored == 1 and bob.template_uses == 0 and bob.median_first_response == 3600
    assert [t.name for t in report.teams] == ["red", "blue"]
    assert report.to_dict()["teams"][0]["score"] == {"mean": 70.0, "n": 2, "pass_rate": 0.5}


def test_empty_and_unscored_inputs() -> None:
    assert summarise([]).overall.conversations == 0
    report = summarise([row("1", "-", "-", None)])
    assert report.overall.mean_score is None and report.overall.pass_rate is None


def test_rows_from_flag_output_read_template_uses_back() -> None:
    record = {
        "conversation_id": "c-1",
        "metrics": {"exchanges": 2, "first_response_seconds": 60.0, "longest_customer_wait_seconds": 60.0},
        "flags": [
            {"rule": "template_reuse.v1", "score": 0.4, "reason": "canned", "evidence": ["m2", "m4", '"Please DM us"']}
        ],
        "score": {"value": 72.5, "passed": False, "categories": {"tone": 100.0}},
    }
    r = row_from_record(record, agent="ann", team="red", authors={"m2": "ann", "m4": "bob"})
    assert r.score == 72.5 and r.passed is False and r.first_response_seconds == 60.0 and r.exchanges == 2
    assert r.template_uses == (("ann", "Please DM us"), ("bob", "Please DM us"))
    assert r.flags == (("template_reuse.v1", 0.4),)
