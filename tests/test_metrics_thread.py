"""Thread metrics: exchanges, turns, first response, waits, reply times, unknown times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_toolkit.metrics import compute_metrics, percentile
from qa_toolkit.schema import MessageIn
from qa_toolkit.types import Role

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def thread(spec: str, minutes: list[float | None] | None = None) -> list[MessageIn]:
    """Messages from a compact spec: c customer, a agent, b bot, n internal note, x auto-reply, s system."""
    kinds = {
        "c": {"role": Role.customer},
        "a": {"role": Role.agent},
        "b": {"role": Role.bot},
        "n": {"role": Role.agent, "is_internal": True},
        "x": {"role": Role.agent, "is_automated": True},
        "s": {"role": Role.system},
    }
    minutes = minutes or [float(i * 10) for i in range(len(spec))]
    return [
        MessageIn(id=str(i), text=k, sent_at=None if m is None else T0 + timedelta(minutes=m), **kinds[k])
        for i, (k, m) in enumerate(zip(spec, minutes, strict=True))
    ]


@pytest.mark.parametrize(
    ("spec", "exchanges", "customer_turns", "agent_turns"),
    [
        ("ca", 1, 1, 1),
        ("ccaa", 1, 1, 1),
        ("cacaca", 3, 3, 3),
        ("cxa", 1, 1, 1),  # the auto-reply is not an answer and does not split the customer turn
        ("cbca", 1, 1, 1),  # bot messages are skipped: c, c -> one customer turn
        ("cnc", 0, 1, 0),  # an internal note is not an answer
        ("cx", 0, 1, 0),  # auto-reply only: no human answer
        ("acac", 1, 2, 2),  # an outbound first agent message is an agent turn but not an exchange
        ("csa", 1, 1, 1),
        ("c", 0, 1, 0),
    ],
)
def test_exchanges_and_turns(spec: str, exchanges: int, customer_turns: int, agent_turns: int) -> None:
    m = compute_metrics(thread(spec))
    assert (m.exchanges, m.customer_turns, m.agent_turns) == (exchanges, customer_turns, agent_turns)


def test_first_response_skips_bots_auto_replies_and_notes() -> None:
    m = compute_metrics(thread("cbxna", [0, 1, 2, 30, 45]))
    assert m.first_response_seconds == 45 * 60
    assert (m.bot_messages, m.automated_messages, m.internal_notes) == (1, 1, 1)


def test_waits_run_from_the_first_message_of_a_customer_turn_and_reply_times_from_the_last() -> None:
    m = compute_metrics(thread("ccaca", [0, 20, 30, 100, 400]))
    assert [w.seconds for w in m.customer_waits] == [30 * 60, 300 * 60]
    assert m.longest_customer_wait_seconds == 300 * 60
    assert m.median_agent_reply_seconds == pytest.approx((10 * 60 + 300 * 60) / 2)
    assert m.duration_seconds == 400 * 60


def test_unanswered_last_turn_is_listed_without_a_time() -> None:
    m = compute_metrics(thread("cac", [0, 5, 10]))
    assert m.unanswered_customer_turns == 1
    assert m.customer_waits[-1].answered is False and m.customer_waits[-1].seconds is None


def test_unknown_times_give_unknown_figures_not_zeros() -> None:
    m = compute_metrics(thread("caca", [None, None, 10, None]))
    assert m.first_response_seconds is None
    assert m.longest_customer_wait_seconds is None
    assert m.median_agent_reply_seconds is None
    assert m.duration_seconds is None
    assert m.exchanges == 2


def test_p90() -> None:
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0


@given(
    st.lists(
        st.tuples(st.sampled_from("cabnxs"), st.one_of(st.none(), st.floats(0, 10_000, allow_nan=False))),
        min_size=1,
        max_size=30,
    )
)
def test_invariants(items: list[tuple[str, float | None]]) -> None:
    items = sorted(items, key=lambda kv: (kv[1] is None, kv[1] or 0))
    m = compute_metrics(thread("".join(k for k, _ in items), [t for _, t in items]))
    assert 0 <= m.exchanges <= min(m.customer_turns, m.agent_turns)
    assert m.customer_turns - m.exchanges == m.unanswered_customer_turns
    for value in (m.first_response_seconds, m.longest_customer_wait_seconds, m.duration_seconds):
        assert value is None or value >= 0
    if m.median_agent_reply_seconds is not None:
        assert m.p90_agent_reply_seconds >= m.median_agent_reply_seconds
