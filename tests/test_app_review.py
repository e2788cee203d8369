"""Pure review logic: escaping, evidence highlighting, the thread as rows, durations, the reviewed score."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_builder import scorecard

from qa_toolkit.review import (
    combine_categories,
    escape_text,
    evidence_spans,
    format_seconds,
    highlight_html,
    reviewed_score,
    thread_rows,
)
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult
from qa_toolkit.scorecard import apply_scorecard


@given(st.text())
def test_escaped_text_is_inert_and_reads_the_same(text: str) -> None:
    out = escape_text(text)
    assert "<" not in out.replace("<br>", "") and ">" not in out.replace("<br>", "")
    assert "\n" not in out and "*" not in out and "[" not in out and "$" not in out and "`" not in out
    assert html.unescape(out.replace("<br>", "\n")) == text.replace("\r", "")


def test_evidence_is_highlighted_and_everything_else_escaped() -> None:
    text = "Sorry for any inconvenience <b>. Order 1234 ships; sorry again"
    out = highlight_html(text, {"apology": ["sorry for any inconvenience", "sorry"], "personalisation": ["1234"]})
    assert out.startswith('<mark class="ev ev-apology" title="apology">Sorry for any inconvenience</mark>')
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert '<mark class="ev ev-personalisation" title="personalisation">1234</mark>' in out
    assert out.endswith('<mark class="ev ev-apology" title="apology">sorry</mark> again')


def test_evidence_spans_whole_words_no_overlaps() -> None:
    spans = evidence_spans("unhappy to help, happy to help", {"tone": ["happy to help", "help"]})
    # "happy to help" does not match inside "unhappy ..."; "help" inside the later match is dropped
    assert [(s.start, s.end, s.evidence) for s in spans] == [(11, 15, "help"), (17, 30, "happy to help")]
    assert evidence_spans("x", {"tone": ["x"]}) == []  # one-character evidence is not highlighted...
    spans = evidence_spans("gate 7, not 17", {"personalisation": ["7"]})
    assert [(s.start, s.end) for s in spans] == [(5, 6)]  # ...but a digit is (a number the reply names)


def test_evidence_is_found_in_the_text_as_written() -> None:
    # the classifiers read the text with whitespace collapsed and quotes straightened: their evidence still
    # highlights the reply as written (any run of whitespace for a space, any apostrophe for one)
    text = "We\u2019re so sorry  about\nthe delay. Gru\u00df, Anna"
    spans = evidence_spans(text, {"apology": ["We're so sorry about the delay"], "tone": ["Gruß"]})
    assert [text[s.start : s.end] for s in spans] == ["We\u2019re so sorry  about\nthe delay", "Gru\u00df"]
    assert evidence_spans("sorry about", {"apology": ["sorry  about"]})  # and the other way round
    assert not evidence_spans("sorryabout", {"apology": ["sorry about"]})  # a space is at least one
    mail = "mail marek_blackwood@example.org"  # "_" parts words, as the classifiers read them
    spans = evidence_spans(mail, {"personalisation": ["blackwood", "example", "mail"]})
    assert [mail[s.start : s.end] for s in spans] == ["mail", "blackwood", "example"]


@dataclass
class Msg:
    external_id: str
    role: str
    sent_at: datetime | None
    text: str = ""
    author_id: str | None = None
    author_name: str | None = None
    is_internal: bool = False
    is_automated: bool = False


def test_thread_rows_sides_kinds_and_waits() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    rows = thread_rows(
        [
            Msg("1", "customer", t0, author_id="c"),
            Msg("2", "agent", t0 + timedelta(seconds=30), is_automated=True),
            Msg("3", "agent", None, is_internal=True, author_name="Sam"),
            Msg("4", "bot", t0 + timedelta(minutes=5)),
            Msg("5", "agent", t0 + timedelta(minutes=4)),  # out of order: no wait
        ]
    )
    assert [(r.side, r.kind) for r in rows] == [
        ("customer", "customer"),
        ("agent", "auto-reply"),
        ("agent", "internal note"),
        ("agent", "bot"),
        ("agent", "agent"),
    ]
    assert [r.wait_seconds for r in rows] == [None, 30.0, None, 270.0, None]
    assert rows[2].author == "Sam" and rows[0].author == "c"


@pytest.mark.parametrize(
    ("seconds", "long", "short"),
    [
        (None, "–", "–"),
        (45, "45 s", "45s"),
        (720, "12 min", "12m"),
        (11100, "3 h 05 min", "3h05"),
        (187200, "2 d 4 h", "2d 4h"),
    ],
)
def test_format_seconds(seconds: float | None, long: str, short: str) -> None:
    assert format_seconds(seconds) == long and format_seconds(seconds, compact=True) == short


def reply(tone: str, resolution: str) -> ReplyResult:
    return ReplyResult(
        message_id="m1",
        tone=LabelResult(label=tone, confidence=0.9),
        personalisation=LabelResult(label="generic", confidence=0.9),
        apology=LabelResult(label="templated", confidence=0.9),
        resolution=LabelResult(label=resolution, confidence=0.9),
    )


@given(
    st.sampled_from(["friendly", "neutral", "unfriendly"]),
    st.sampled_from(["solution", "step", "none"]),
)
def test_without_corrections_the_reviewed_score_is_the_scorecards(tone: str, resolution: str) -> None:
    card = scorecard()
    replies = [reply(tone, resolution)]
    flags = [Flag(rule="x.v1", score=0.5, reason="r")]
    auto = apply_scorecard(card, replies=replies, flags=flags, metrics=None)
    reviewed = reviewed_score(card, replies=replies, flags=flags, metrics=None)
    assert reviewed.reviewed and (reviewed.value, reviewed.passed, reviewed.categories) == (
        auto.value,
        auto.passed,
        auto.categories,
    )
    again = combine_categories(card, auto.categories)
    assert (again.value, again.passed, again.failed_critical) == (auto.value, auto.passed, auto.failed_critical)


def test_corrections_and_overrides() -> None:
    card = scorecard()
    replies = [reply("unfriendly", "none")]
    assert reviewed_score(card, replies=replies, flags=[], metrics=None).value == 0.0  # critical resolution failed
    fixed = reviewed_score(
        card,
        replies=replies,
        flags=[],
        metrics=None,
        label_verdicts={("m1", "resolution"): "solution", ("m1", "tone"): "friendly"},
        category_overrides={"apology": None},
    )
    assert fixed.categories == {"tone": 100.0, "resolution": 100.0, "apology": None}
    assert fixed.value == 100.0 and fixed.passed
    failed = reviewed_score(card, replies=replies, flags=[], metrics=None, category_overrides={"resolution": 0.0})
    assert failed.value == 0.0 and failed.failed_critical == ["resolution"] and failed.passed is False
    assert combine_categories(card, {}).value is None
