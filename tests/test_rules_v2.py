"""unresolved_end.v2 and generic_reply.v2 on small threads written for the test (never texts from the data)."""

from __future__ import annotations

import pytest

from qa_toolkit.flagging import default_rule_params, latest_rules
from qa_toolkit.rules import get_rule
from tests.test_rules_threads import conv, labels, m, run

U2, G2 = "unresolved_end.v2", "generic_reply.v2"


def lab(message_id: str, resolution: str, confidence: float = 0.95, **kw: tuple[str, float]) -> object:
    return labels(message_id, resolution=(resolution, confidence), **kw)


# ---------------------------------------------------------------------------------- unresolved_end.v2


def test_courtesy_after_a_solution_is_resolved() -> None:
    """The guide: "Glad it's working now!" is `none` because the case was solved earlier."""
    c = conv(
        m("customer", "My app crashes when I open the camera", 0),
        m("agent", "Update to version 2.3 and it will stop crashing.", 5),
        m("customer", "Ok, will try that", 9),
        m("agent", "Let us know if you need anything else!", 10),
    )
    replies = [lab("m2", "solution"), lab("m4", "none", 0.99)]
    assert run(U2, c, replies=replies) is None
    # v1 read the courtesy as "no progress" and flagged the thread: the reason for v2
    v1 = run("unresolved_end.v1", c, replies=replies)
    assert v1 is not None and v1.score >= 0.5
    assert run(U2, c) is None  # text only: the same


@pytest.mark.parametrize("last", ["That worked, thanks!", "All sorted now, thank you", "Thanks!", "ok thanks"])
def test_customer_confirmation_resolves(last: str) -> None:
    ends_with_customer = conv(
        m("customer", "It won't start"), m("agent", "Hold the power button for 10 seconds."), m("customer", last)
    )
    assert run(U2, ends_with_customer) is None
    closed_politely = conv(
        m("customer", "It won't start"),
        m("agent", "Hold the power button for 10 seconds."),
        m("customer", last),
        m("agent", "Glad to hear it! Have a great day."),
    )
    assert run(U2, closed_politely, replies=[lab("m2", "solution"), lab("m4", "none")]) is None


def test_hand_off_with_nothing_after_is_unclear_and_scores_low() -> None:
    c = conv(
        m("customer", "My flight was cancelled, can you rebook me?"), m("agent", "Please DM us your booking reference.")
    )
    flag = run(U2, c, replies=[lab("m2", "step")])
    assert flag is not None and flag.score < 0.5 and "hand-off" in flag.reason and "m2" in flag.evidence
    text_only = run(U2, c)
    assert text_only is not None and text_only.score < 0.5
    accepted = conv(
        m("customer", "My flight was cancelled, can you rebook me?"),
        m("agent", "Please DM us your booking reference."),
        m("customer", "Sure, DMing you now"),
    )
    flag = run(U2, accepted, replies=[lab("m2", "step")])
    assert flag is not None and flag.score < 0.5 and "accepted" in flag.reason


def test_unhappy_ending_is_unresolved_and_ranks_highest() -> None:
    unhappy = run(
        U2,
        conv(
            m("customer", "My router keeps dropping"),
            m("agent", "Try restarting it."),
            m("customer", "Still not working, this is useless"),
        ),
    )
    unanswered = run(
        U2,
        conv(
            m("customer", "My router keeps dropping"),
            m("agent", "Try restarting it."),
            m("customer", "Do I need a new one?"),
        ),
    )
    acknowledged = run(
        U2,
        conv(m("customer", "How do I change my seat?"), m("agent", "Thanks for reaching out!")),
        replies=[lab("m2", "none")],
    )
    handoff = run(
        U2, conv(m("customer", "How do I change my seat?"), m("agent", "Please DM us.")), replies=[lab("m2", "step")]
    )
    assert unhappy and unanswered and acknowledged and handoff
    assert unhappy.score > unanswered.score > acknowledged.score >= 0.5 > handoff.score
    assert "unhappy" in unhappy.reason and '"useless"' in unhappy.evidence or '"Still not"' in unhappy.evidence


def test_unhappy_customer_and_a_non_answer_or_an_answer() -> None:
    thread = (
        m("customer", "Two weeks and still no refund. Ridiculous."),
        m("agent", "We appreciate your patience."),
    )
    non_answer = run(U2, conv(*thread), replies=[lab("m2", "none")])
    answered = run(U2, conv(*thread), replies=[lab("m2", "solution")])
    assert non_answer is not None and non_answer.score >= 0.7 and "only acknowledges" in non_answer.reason
    assert answered is not None and 0 < answered.score < 0.5  # answered, but the customer may still be unhappy


def test_complaint_only_passed_on_as_feedback_is_unresolved() -> None:
    c = conv(
        m("customer", "The boarding at gate 12 was chaos again"),
        m("agent", "Sorry to hear that, we'll pass your feedback on to the airport team."),
    )
    flag = run(U2, c, replies=[lab("m2", "step", apology=("templated", 0.9))])
    assert flag is not None and flag.score >= 0.5 and "feedback" in flag.reason
    dm = conv(m("customer", "The boarding at gate 12 was chaos again"), m("agent", "Sorry to hear that, please DM us."))
    flag = run(U2, dm, replies=[lab("m2", "step", apology=("templated", 0.9))])
    assert flag is not None and flag.score < 0.5  # a hand-off proper


def test_praise_needs_nothing() -> None:
    thanked = conv(
        m("customer", "Love the new seats on flight 123, great job!"), m("agent", "Thank you, glad you like them!")
    )
    assert run(U2, thanked, replies=[lab("m2", "none")]) is None
    assert run(U2, conv(m("customer", "Love the new seats, great job!"))) is None  # unanswered praise


def test_bot_only_thread_has_no_human_answer() -> None:
    c = conv(m("customer", "Where is my parcel?", 0), m("bot", "Hi, I'm a bot. Choose 1-3", 1))
    flag = run(U2, c)
    assert flag is not None and flag.score >= 0.5 and "no human answer" in flag.reason
    solved = conv(
        m("customer", "Reset my password", 0), m("bot", "Here is the link", 1), m("customer", "That worked, thanks!", 2)
    )
    assert run(U2, solved) is None


def test_unknown_times_change_nothing() -> None:
    timed = conv(m("customer", "How do I change my seat?", 0), m("agent", "Thanks for reaching out!", 5))
    untimed = conv(m("customer", "How do I change my seat?"), m("agent", "Thanks for reaching out!"))
    a = run(U2, timed, replies=[lab("m2", "none")])
    b = run(U2, untimed, replies=[lab("m2", "none")])
    assert a is not None and b is not None and a.score == b.score


def test_one_message_threads() -> None:
    question = run(U2, conv(m("customer", "Is anyone there?", 0)))
    assert question is not None and question.score == pytest.approx(0.8) and "no human answer at all" in question.reason
    assert run(U2, conv(m("agent", "Your parcel has shipped", 0))) is None  # outbound only
    assert run(U2, conv(m("agent", "note", 0, is_internal=True))) is None


def test_internal_notes_are_not_answers_and_satisfaction_counts() -> None:
    c = conv(m("customer", "Where is my refund?", 0), m("agent", "check the ledger", 5, is_internal=True))
    flag = run(U2, c)
    assert flag is not None and "no human answer" in flag.reason
    good = conv(m("customer", "Broken"), m("agent", "Please DM us."), satisfaction={"score": 5, "scale": "1-5"})
    assert run(U2, good) is None
    bad = conv(m("customer", "Broken"), m("agent", "I've refunded it."), satisfaction={"score": 1, "scale": "1-5"})
    flag = run(U2, bad)
    assert flag is not None and "satisfaction" in flag.reason


def test_label_confidence_ranks() -> None:
    c = conv(m("customer", "Can I bring my dog on board?"), m("agent", "Thanks for asking!"))
    sure = run(U2, c, replies=[lab("m2", "none", 0.99)])
    unsure = run(U2, c, replies=[lab("m2", "none", 0.55)])
    assert sure is not None and unsure is not None and sure.score > unsure.score


# ---------------------------------------------------------------------------------- generic_reply.v2


def test_generic_reply_to_a_question_uses_the_label_confidence() -> None:
    c = conv(m("customer", "Why was my card charged twice for one order?"), m("agent", "We're here to help! DM us."))
    high = run(G2, c, replies=[labels("m2", personalisation=("generic", 0.95))])
    low = run(G2, c, replies=[labels("m2", personalisation=("generic", 0.65))])
    assert high is not None and low is not None and high.score > low.score >= 0.5
    assert "question" in high.reason and high.evidence[0] == "m2"
    assert run(G2, c, replies=[labels("m2", personalisation=("generic", 0.55))]) is None  # below min_confidence
    assert run(G2, c, replies=[labels("m2", personalisation=("personalised", 0.8))]) is None


def test_specifics_in_praise_need_no_personal_reply() -> None:
    c = conv(m("customer", "Flight 1234 landed early, great crew!"), m("agent", "Thanks for flying with us!"))
    replies = [labels("m2", personalisation=("generic", 0.9))]
    assert run("generic_reply.v1", c, replies=replies) is not None  # v1 flagged praise that named a flight
    assert run(G2, c, replies=replies) is None
    thanks = conv(m("customer", "Order #123456 arrived, thanks!"), m("agent", "Glad to hear it!"))
    assert run(G2, thanks, replies=[labels("m2", personalisation=("generic", 0.9))]) is None


def test_a_reply_that_repeats_the_specifics_is_not_generic() -> None:
    c = conv(m("customer", "Order #123456 never arrived"), m("agent", "Order #123456 is on its way, sorry!"))
    assert run(G2, c, replies=[labels("m2", personalisation=("generic", 0.9))]) is None


def test_generic_reply_text_fallback() -> None:
    asked = m("customer", "Order #123456 arrived broken, the kettle won't heat.")
    flag = run(G2, conv(asked, m("agent", "Please DM us and we'll look into it.")))
    assert flag is not None and flag.score >= 0.5 and '"#123456"' in flag.evidence
    assert run(G2, conv(asked, m("agent", "Hi Anna, please DM us and we'll look into it."))) is None
    assert run(G2, conv(m("customer", "Hello"), m("agent", "Please DM us."))) is None  # no case at all


@pytest.mark.parametrize(
    "thread",
    [
        conv(m("customer", "Where is my order #123456?", 0), m("bot", "Pick a topic", 1)),  # bot only
        conv(m("customer", "Where is my order #123456?")),  # one message, unknown times
        conv(m("customer", "Order #123456?"), m("agent", "DM us", is_internal=True)),  # a note is no answer
    ],
)
def test_generic_reply_needs_a_human_answer(thread: object) -> None:
    assert run(G2, thread) is None


def test_repeats_add_up() -> None:
    c = conv(
        m("customer", "How do I get a refund for order #123456?"),
        m("agent", "Please DM us."),
        m("customer", "I did, now what?"),
        m("agent", "Please DM us."),
    )
    replies = [labels("m2", personalisation=("generic", 0.9)), labels("m4", personalisation=("generic", 0.9))]
    flag = run(G2, c, replies=replies)
    assert flag is not None and "2 such replies" in flag.reason and flag.evidence[:2] == ["m2", "m4"]


# ---------------------------------------------------------------------------------- versions


def test_older_versions_stay_registered_and_the_newest_runs_by_default() -> None:
    for name in ("unresolved_end.v1", "unresolved_end.v2", "generic_reply.v1", "generic_reply.v2"):
        assert get_rule(name).description
    assert {U2, G2} <= set(latest_rules())
    assert not {"unresolved_end.v1", "generic_reply.v1"} & set(default_rule_params())


# ---------------------------------------------------------------------------------- reading a customer turn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I reset my password", {"question"}),
        ("Is the app down?", {"question"}),
        ("Can't wait for my trip!", {"praise"}),
        ("Ok, will try that", {"ack"}),
        ("Sure, I'm sending you a DM now", {"ack"}),
        ("Still waiting for my refund, this is ridiculous", {"unhappy"}),
        ("Thanks for nothing", {"unhappy"}),
        ("That worked, thanks!", {"confirms"}),
        ("Please send me the form", {"request"}),
        ("Love the new lounge, great job", {"praise", "confirms"}),  # a short positive close
    ],
)
def test_read_customer(text: str, expected: set[str]) -> None:
    from qa_toolkit.metrics import compute_metrics
    from qa_toolkit.rules import RuleContext
    from qa_toolkit.rules.thread import read_customer

    c = conv(m("customer", text))
    reading = read_customer(RuleContext(conv=c, metrics=compute_metrics(c.messages)), c.messages)
    found = {k for k in ("question", "unhappy", "request", "praise", "ack") if getattr(reading, k)}
    found |= {"confirms"} if reading.confirms else set()
    assert found == expected


# ---------------------------------------------------------------------------------- long_back_and_forth.v2


def _tree(customers: list[str]) -> object:
    """A public reply tree: each customer in turn writes and gets one answer."""
    msgs = []
    for i, who in enumerate(customers):
        msgs += [m("customer", f"question {i}", 2 * i, author=who), m("agent", f"answer {i}", 2 * i + 1)]
    return conv(*msgs)


def test_long_v2_counts_each_customers_own_exchanges_in_a_reply_tree() -> None:
    crowd = _tree(["ann", "bob", "cy", "dee", "eve", "fay"])  # six customers, one exchange each
    assert run("long_back_and_forth.v1", crowd) is not None  # v1: six exchanges
    assert run("long_back_and_forth.v2", crowd) is None
    one_long = _tree(["ann", "bob", "ann", "ann", "ann", "ann"])  # ann had five rounds
    flag = run("long_back_and_forth.v2", one_long)
    assert flag is not None and flag.reason.startswith("5 exchanges with customer ann (2 customers in the thread)")
    assert flag.evidence == ["m2", "m6", "m8", "m10", "m12"]  # the answers to ann, not to bob
    alone = _tree(["ann"] * 5)  # one customer: the thread's count, as v1
    v1, v2 = run("long_back_and_forth.v1", alone), run("long_back_and_forth.v2", alone)
    assert v1 is not None and v2 is not None and v2.score == v1.score and v2.reason == v1.reason
    unknown = _tree([""] * 5)  # no author ids: the thread's count
    assert run("long_back_and_forth.v2", unknown) is not None
    assert run("long_back_and_forth.v2", crowd, per_customer=False) is not None  # the switch is a parameter
