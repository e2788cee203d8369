"""customer_asked_again.v1 on small threads written for the test (never texts from the data): pushback and
restating after an answer, not before one; edge cases (bot-only, internal notes, one message, no times)."""

from __future__ import annotations

import pytest

from tests.test_rules_threads import conv, m, run

RULE = "customer_asked_again.v1"


@pytest.mark.parametrize(
    "again",
    [
        "You're missing my point, the charge is still on my card",
        "I already did that and it didn't work",
        "That's not what I asked. My question was about the refund",
        "Did you read my tweet? The router is still broken",
    ],
)
def test_pushback_after_an_answer_is_asking_again(again: str) -> None:
    c = conv(
        m("customer", "I was charged twice for order 55123, can you refund one?", 0),
        m("agent", "Please restart the app and try again.", 5),
        m("customer", again, 9),
    )
    flag = run(RULE, c)
    assert flag is not None and flag.score >= 0.5
    assert flag.rule == RULE and "m3" in flag.evidence and "pushes back" in flag.reason
    assert any(e.startswith('"') for e in flag.evidence)  # the words quoted


def test_restating_the_request_is_asking_again() -> None:
    c = conv(
        m("customer", "When will my replacement charger for the laptop arrive? Ordered it last Monday", 0),
        m("agent", "Thanks for reaching out! We're always happy to help.", 5),
        m("customer", "So when will the replacement charger for my laptop arrive?", 30),
    )
    flag = run(RULE, c)
    assert flag is not None and flag.score >= 0.5 and "restates an earlier message" in flag.reason
    assert flag.evidence[:1] == ["m3"]


def test_before_any_answer_the_customer_is_asking_the_first_time() -> None:
    c = conv(
        m("customer", "When will my replacement charger for the laptop arrive?", 0),
        m("customer", "Hello?? When will my replacement charger for the laptop arrive?", 60),
        m("customer", "It didn't work", 61),
        m("agent", "It ships tomorrow, tracking 1Z999 by e-mail.", 90),
        m("customer", "Great, thanks!", 95),
    )
    assert run(RULE, c) is None


def test_a_new_question_or_thanks_after_an_answer_is_not_asking_again() -> None:
    c = conv(
        m("customer", "Does the basic plan include international calls?", 0),
        m("agent", "Yes, 100 minutes a month to 40 countries.", 5),
        m("customer", "Great. And can I add a second line to the same plan later?", 9),
        m("agent", "Yes, from the app under Lines.", 12),
        m("customer", "Perfect, thank you so much", 15),
    )
    assert run(RULE, c) is None


def test_every_turn_that_asks_again_adds_to_the_score_and_both_signals_add_more() -> None:
    once = conv(
        m("customer", "My parcel 77812 never arrived at my flat"),
        m("agent", "Parcels can take up to 5 days."),
        m("customer", "It didn't work, I tried that"),
    )
    twice = conv(
        m("customer", "My parcel 77812 never arrived at my flat"),
        m("agent", "Parcels can take up to 5 days."),
        m("customer", "It didn't work, I tried that"),
        m("agent", "Please check with your neighbours."),
        m("customer", "As I said, my parcel 77812 never arrived at my flat"),
    )
    f1, f2 = run(RULE, once), run(RULE, twice)
    assert f1 is not None and f2 is not None and f2.score > f1.score
    assert "2 times" in f2.reason and f2.evidence[:2] == ["m3", "m5"]
    # thresholds are named parameters
    quieter = run(RULE, twice, pushback_score=0.3, restated_score=0.3, repeat_bonus=0.0, both_bonus=0.0)
    assert quieter is not None and quieter.score == pytest.approx(0.3)


def test_edge_cases_abstain() -> None:
    assert run(RULE, conv(m("customer", "It didn't work"))) is None  # one message
    bot_only = conv(
        m("customer", "My card does not work"),
        m("bot", "Thanks! An agent will reply soon."),
        m("customer", "I already tried that, it still doesn't work"),
    )
    assert run(RULE, bot_only) is None  # a bot is not an answer
    note = conv(
        m("customer", "My card does not work"),
        m("agent", "check the limit first", is_internal=True),
        m("customer", "Hello? my card does not work"),
    )
    assert run(RULE, note) is None  # an internal note is not an answer
    no_times = conv(
        m("customer", "My card does not work at the shop"),
        m("agent", "Try another shop."),
        m("customer", "That doesn't help, my card does not work anywhere"),
    )
    flag = run(RULE, no_times)
    assert flag is not None and flag.score >= 0.5  # no timestamps needed
    assert run(RULE, conv(m("agent", "Hi, how can we help?"), m("agent", "Didn't work?"))) is None


def test_in_a_reply_tree_each_customer_is_read_against_their_own_messages() -> None:
    tree = conv(
        m("customer", "Flight AA100 from Boston was cancelled, I want a refund", 0, author="alice"),
        m("agent", "Sorry Alice, DM us your booking code and we'll refund it.", 5),
        m("customer", "Flight AA100 from Boston was cancelled, I want a refund too", 9, author="bob"),
    )
    assert run(RULE, tree) is None  # Bob asks for the first time, whatever Alice wrote
    alice_again = conv(
        m("customer", "Flight AA100 from Boston was cancelled, I want a refund", 0, author="alice"),
        m("agent", "Thanks for reaching out!", 5),
        m("customer", "Hello, is this the right place?", 7, author="bob"),
        m("customer", "So where is my refund for the cancelled Boston flight AA100?", 9, author="alice"),
    )
    flag = run(RULE, alice_again)
    assert flag is not None and flag.evidence[:1] == ["m4"] and "restates" in flag.reason
