"""Each rule on small threads written for the test: when it fires, how its score ranks, when it abstains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from qa_toolkit.metrics import compute_metrics
from qa_toolkit.normalise import mark_auto_replies
from qa_toolkit.rules import BusinessHours, Corpus, ExchangeBaselines, Flag, ReplyResult, RuleContext, get_rule
from qa_toolkit.schema import ConversationIn
from qa_toolkit.templates import mine_templates

MONDAY = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def m(role: str, text: str = "", at: float | None = None, **extra: Any) -> dict:
    """A message; ``at`` in minutes after Monday 09:00 UTC (None: unknown time)."""
    msg = {"role": role, "text": text, **extra}
    if at is not None:
        msg["sent_at"] = (MONDAY + timedelta(minutes=at)).isoformat()
    return msg


def conv(*messages: dict, id: str = "c1", **kw: Any) -> ConversationIn:
    msgs = [{"id": f"m{i}", **msg} for i, msg in enumerate(messages, 1)]
    out = ConversationIn.model_validate({"id": id, "messages": msgs, **kw})
    mark_auto_replies(out.messages)
    return out


def labels(message_id: str, **kw: tuple[str, float]) -> ReplyResult:
    base = {
        "tone": ("neutral", 0.9),
        "personalisation": ("personalised", 0.9),
        "apology": ("none", 0.9),
        "resolution": ("step", 0.9),
    }
    base.update(kw)
    return ReplyResult.model_validate(
        {"message_id": message_id, **{k: {"label": v[0], "confidence": v[1], "evidence": []} for k, v in base.items()}}
    )


def run(
    rule: str,
    c: ConversationIn,
    *,
    replies: list[ReplyResult] | None = None,
    corpus: Any = None,
    bh: BusinessHours | None = None,
    **params: Any,
) -> Flag | None:
    spec = get_rule(rule)
    ctx = RuleContext(
        conv=c,
        metrics=compute_metrics(c.messages),
        replies={r.message_id: r for r in replies or []},
        business_hours=bh or BusinessHours(),
        corpus=corpus,
    )
    flag = spec(ctx, spec.params(**params))
    if flag is not None:
        assert 0.0 <= flag.score <= 1.0 and flag.reason and flag.rule == rule
    return flag


def rounds(n: int, *, gap: float = 10) -> list[dict]:
    out = []
    for i in range(n):
        out += [m("customer", f"question {i}?", i * 2 * gap), m("agent", f"answer {i}", (i * 2 + 1) * gap)]
    return out


# ---------------------------------------------------------------------------------- long_back_and_forth


def test_long_back_and_forth_absolute_and_graded() -> None:
    assert run("long_back_and_forth.v1", conv(*rounds(3))) is None
    five = run("long_back_and_forth.v1", conv(*rounds(5)))
    eight = run("long_back_and_forth.v1", conv(*rounds(8)))
    assert five is not None and eight is not None
    assert five.reason == "5 exchanges; the limit is 3"
    assert five.evidence[:2] == ["m2", "m4"]
    assert 0.5 < five.score < eight.score < 1.0


def test_bots_auto_replies_and_notes_are_not_exchanges() -> None:
    msgs = []
    for i in range(6):
        msgs += [m("customer", f"hello {i}", i * 4), m("bot", "I am a bot, pick an option", i * 4 + 1)]
    msgs += [m("agent", "Internal: check this", 30, is_internal=True), m("agent", "Here is the answer.", 40)]
    assert run("long_back_and_forth.v1", conv(*msgs)) is None


def _baselines(team_counts: dict[int, int], *, team: str = "billing", days_ago: int = 0) -> Corpus:
    base = ExchangeBaselines()
    for exchanges, n in team_counts.items():
        for _ in range(n):
            base.add(exchanges=exchanges, team=team, channel="email", when=MONDAY - timedelta(days=days_ago))
    return Corpus(baselines=base)


def test_long_back_and_forth_relative_to_the_team() -> None:
    corpus = _baselines({1: 45, 2: 5})  # team p90 is 1.1
    flag = run(
        "long_back_and_forth.v1", conv(*rounds(3), team="billing"), corpus=corpus, max_exchanges=10, group_by=["team"]
    )
    assert flag is not None and flag.reason == "3 exchanges; team billing p90 is 1.1 (n=50)"
    # below the minimum exchanges for a relative flag, or in another team: nothing
    assert run("long_back_and_forth.v1", conv(*rounds(2), team="billing"), corpus=corpus, max_exchanges=10) is None
    assert (
        run(
            "long_back_and_forth.v1", conv(*rounds(3), team="sales"), corpus=corpus, max_exchanges=10, group_by=["team"]
        )
        is None
    )


def test_relative_threshold_needs_a_minimum_group_and_a_recent_window() -> None:
    small = _baselines({1: 10})
    assert run("long_back_and_forth.v1", conv(*rounds(3), team="billing"), corpus=small, max_exchanges=10) is None
    old = _baselines({1: 50}, days_ago=60)  # outside the 28-day window
    assert (
        run("long_back_and_forth.v1", conv(*rounds(3), team="billing"), corpus=old, max_exchanges=10, group_by=["team"])
        is None
    )
    # a conversation without a time is compared with the whole input
    undated = conv(
        m("customer", "a?"),
        m("agent", "b"),
        m("customer", "c?"),
        m("agent", "d"),
        m("customer", "e?"),
        m("agent", "f"),
        team="billing",
    )
    assert run("long_back_and_forth.v1", undated, corpus=old, max_exchanges=10, group_by=["team"]) is not None


# ---------------------------------------------------------------------------------- timing rules


def test_slow_first_response_counts_working_time() -> None:
    flag = run("slow_first_response.v1", conv(m("customer", "help", 0), m("agent", "hi", 6 * 60)))
    assert flag is not None and flag.evidence == ["m1", "m2"]
    assert flag.reason.startswith("first response after 6.0h working time (limit 4.0h)")
    later = run("slow_first_response.v1", conv(m("customer", "help", 0), m("agent", "hi", 26 * 60)))
    assert later is not None and later.score > flag.score
    assert run("slow_first_response.v1", conv(m("customer", "help", 0), m("agent", "hi", 3 * 60))) is None


def test_first_response_over_a_weekend_and_in_another_time_zone() -> None:
    friday_4pm = -3 * 24 * 60 + 7 * 60  # Friday 16:00 UTC
    weekend = conv(m("customer", "help", friday_4pm), m("agent", "hi", 60))  # Monday 10:00 UTC
    assert run("slow_first_response.v1", weekend) is None  # two working hours
    assert run("slow_first_response.v1", weekend, bh=BusinessHours(always_open=True)) is not None
    # in New York, Monday 09:00-14:00 UTC is before opening: a reply at 15:00 UTC came in 1 working hour
    assert (
        run(
            "slow_first_response.v1",
            conv(m("customer", "help", 0), m("agent", "hi", 6 * 60)),
            bh=BusinessHours(timezone="America/New_York"),
        )
        is None
    )


def test_first_response_skips_auto_replies_and_unknown_times_abstain() -> None:
    c = conv(
        m("customer", "My order is late", 0),
        m(
            "agent",
            "This is an automated response: we have received your message and will reply within 3 business days.",
            1,
        ),
        m("agent", "Sorry, it ships today.", 8 * 60),
    )
    assert c.messages[1].is_automated
    flag = run("slow_first_response.v1", c)
    assert flag is not None and flag.evidence == ["m1", "m3"]
    assert run("slow_first_response.v1", conv(m("customer", "help"), m("agent", "hi"))) is None
    assert run("slow_first_response.v1", conv(m("customer", "help", 0))) is None


def test_long_customer_wait_excludes_the_first_wait_by_default() -> None:
    c = conv(m("customer", "a", 0), m("agent", "b", 10), m("customer", "c", 20), m("agent", "d", 2 * 24 * 60))
    flag = run("long_customer_wait.v1", c)
    assert flag is not None and flag.evidence[:2] == ["m3", "m4"] and "working time" in flag.reason
    first_only = conv(m("customer", "a", 0), m("agent", "b", 2 * 24 * 60))
    assert run("long_customer_wait.v1", first_only) is None
    assert run("long_customer_wait.v1", first_only, include_first=True) is not None


# ---------------------------------------------------------------------------------- auto_reply_only


AUTO = "This is an automated reply. We have received your email and will respond within 3 business days."


def test_auto_reply_only_is_not_an_answer_and_a_promise_scores_higher() -> None:
    promised = run("auto_reply_only.v1", conv(m("customer", "Where is my refund?", 0), m("agent", AUTO, 1)))
    assert promised is not None and "within 3 business days" in promised.reason and promised.evidence[0] == "m2"
    bot = run("auto_reply_only.v1", conv(m("customer", "Where is my refund?", 0), m("bot", "Pick a topic", 1)))
    assert bot is not None and "a bot" in bot.reason and promised.score > bot.score
    chased = run(
        "auto_reply_only.v1", conv(m("customer", "Refund?", 0), m("agent", AUTO, 1), m("customer", "Hello??", 60))
    )
    assert chased is not None and chased.score > promised.score


def test_auto_reply_only_abstains_when_a_human_answered_or_the_customer_is_satisfied() -> None:
    assert (
        run("auto_reply_only.v1", conv(m("customer", "Refund?", 0), m("agent", AUTO, 1), m("agent", "Done!", 90)))
        is None
    )
    solved = conv(
        m("customer", "Reset my password", 0),
        m("bot", "Here is the reset link", 1),
        m("customer", "That worked, thanks!", 3),
    )
    assert run("auto_reply_only.v1", solved) is None
    assert run("auto_reply_only.v1", conv(m("agent", "Your parcel has shipped", 0))) is None  # outbound only


def test_one_message_thread_has_no_answer_at_all() -> None:
    flag = run("auto_reply_only.v1", conv(m("customer", "Is anyone there?", 0)))
    assert flag is not None and flag.reason == "no answer at all to 1 customer message" and flag.score == 0.55
    assert run("auto_reply_only.v1", conv(m("customer", "Is anyone there?", 0)), flag_unanswered=False) is None


# ---------------------------------------------------------------------------------- reply rules


def test_templated_apology_from_text_and_repeats_rank_higher() -> None:
    one = run(
        "templated_apology.v1", conv(m("customer", "My parcel is late"), m("agent", "Sorry for any inconvenience."))
    )
    two = run(
        "templated_apology.v1",
        conv(
            m("customer", "My parcel is late"),
            m("agent", "Sorry for any inconvenience."),
            m("customer", "And?"),
            m("agent", "We apologise for the inconvenience caused."),
        ),
    )
    assert one is not None and two is not None and two.score > one.score
    assert '"Sorry for any inconvenience"' in one.evidence and "m2" in one.evidence
    assert two.reason.startswith("2 templated apologies")
    specific = conv(m("customer", "My bag was lost"), m("agent", "Sorry to hear that your bag was lost in Denver."))
    assert run("templated_apology.v1", specific) is None


def test_templated_apology_uses_labels_where_present() -> None:
    c = conv(m("customer", "Order #123456 is late"), m("agent", "Sorry for any inconvenience."))
    assert run("templated_apology.v1", c, replies=[labels("m2", apology=("specific", 0.9))]) is None
    low = run("templated_apology.v1", c, replies=[labels("m2", apology=("templated", 0.55))])
    high = run("templated_apology.v1", c, replies=[labels("m2", apology=("templated", 0.95))])
    assert low is not None and high is not None and high.score > low.score
    assert "concrete problem" in high.reason


def test_unfriendly_reply_strong_weak_and_labelled() -> None:
    strong = run(
        "unfriendly_reply.v1", conv(m("customer", "Still broken"), m("agent", "As we already told you, reinstall it."))
    )
    weak = run("unfriendly_reply.v1", conv(m("customer", "How?"), m("agent", "Obviously you click the button.")))
    assert strong is not None and strong.score >= 0.5 and "m2" in strong.evidence
    assert weak is not None and weak.score < 0.5
    for broad in ("As stated in the fare rules, the bag is included.", "It is policy to check IDs at the gate."):
        found = run("unfriendly_reply.v1", conv(m("customer", "How?"), m("agent", broad)))
        assert found is not None and found.score < 0.5, broad  # wording that is often neutral: a weak hint only
    labelled = run(
        "unfriendly_reply.v1",
        conv(m("customer", "Hi"), m("agent", "No.")),
        replies=[labels("m2", tone=("unfriendly", 0.9))],
    )
    assert labelled is not None and labelled.score == pytest.approx(0.95)
    assert run("unfriendly_reply.v1", conv(m("customer", "Hi"), m("agent", "Happy to help! Have a great day."))) is None
    several = run(
        "unfriendly_reply.v1",
        conv(
            m("customer", "Still broken"),
            m("agent", "As we already told you, reinstall it."),
            m("customer", "?"),
            m("agent", "As we already told you, reinstall it."),
        ),  # fmt: skip
    )
    assert several is not None and several.reason.startswith("2 unfriendly replies")


def test_generic_reply_to_specifics() -> None:
    asked = m("customer", "Order #123456 arrived broken, the Corra kettle won't heat.")
    generic = run("generic_reply.v1", conv(asked, m("agent", "Please DM us and we'll look into it.")))
    assert generic is not None and "#123456" in generic.reason and generic.evidence[0] == "m2"
    for reply in (
        "Sorry about order #123456, a replacement is on its way.",
        "Hi Anna, please DM us and we'll look into it.",
    ):
        assert run("generic_reply.v1", conv(asked, m("agent", reply))) is None
    no_specifics = conv(m("customer", "My thing is broken"), m("agent", "Please DM us and we'll look into it."))
    assert run("generic_reply.v1", no_specifics) is None
    c = conv(asked, m("agent", "Thanks for reaching out."))
    assert run("generic_reply.v1", c, replies=[labels("m2", personalisation=("personalised", 0.8))]) is None
    labelled = run("generic_reply.v1", c, replies=[labels("m2", personalisation=("generic", 0.95))])
    assert labelled is not None and labelled.score > generic.score


def test_process_blame_and_its_negation() -> None:
    flag = run(
        "process_blame.v1",
        conv(
            m("customer", "Why was it cancelled?"), m("agent", "You did not follow our process, so it was cancelled.")
        ),
    )
    assert flag is not None and "'You did not follow'" in flag.reason and flag.score >= 0.5
    kind = conv(m("customer", "I clicked the wrong button"), m("agent", "It's not your fault, I've fixed it."))
    assert run("process_blame.v1", kind) is None


@pytest.mark.parametrize(
    ("reply", "blames"),
    [
        ("Your tracking code is ZX991. You should have it on Wednesday.", False),
        ("You should've received an e-mail from us with the label.", False),
        ("You shouldn't have to pay for the return, it's on us.", False),
        ("You should not have been charged twice: refunded now.", False),
        ("That's done, you should have access again.", False),
        ("You should have checked the parcel before accepting it.", True),
        ("You should've read the terms.", True),
        ("You should have been in for the full day.", True),
        ("You shouldn't have booked that fare.", True),
        ("You should have had your passport with you.", True),
        ("You should have got there two hours early.", True),
        ("You should have been even earlier at the gate.", True),
    ],
)
def test_should_have_blames_when_it_names_what_the_customer_failed_to_do(reply: str, blames: bool) -> None:
    # "you should have it by Wednesday" informs; "you should have checked" blames (not_blame_after)
    c = conv(m("customer", "Where is my parcel? I paid twice!"), m("agent", reply))
    blame = run("process_blame.v1", c)
    assert (blame is not None) is blames and (not blames or "should" in blame.reason.lower())
    assert (run("unfriendly_reply.v1", c) is not None) is blames


def test_repeated_info_request() -> None:
    flag = run(
        "repeated_info_request.v1",
        conv(m("customer", "My order #123456 never arrived"), m("agent", "Can you send us your order number?")),
    )
    assert flag is not None and "order number" in flag.reason and flag.evidence[:2] == ["m1", "m2"]
    mention = conv(m("customer", "Order #123456?"), m("agent", "Your order number 123456 has shipped today."))
    assert run("repeated_info_request.v1", mention) is None
    device = run(
        "repeated_info_request.v1",
        conv(m("customer", "The app crashes on my iPhone 12"), m("agent", "Which device are you using?")),
    )
    assert device is not None and "device" in device.reason
    again = conv(
        m("customer", "Flight delayed, rebook me"),
        m("agent", "Please DM us your confirmation number."),
        m("customer", "Sent!"),
        m("agent", "Could you DM us your confirmation number?"),
    )
    own = run("repeated_info_request.v1", again)
    assert own is not None and "again" in own.reason
    note = conv(m("customer", "Order #123456 is late"), m("agent", "ask for the order number?", is_internal=True))
    assert run("repeated_info_request.v1", note) is None


def test_escalation_request_ranks_by_severity() -> None:
    manager = run("escalation_request.v1", conv(m("customer", "I want to speak to a manager")))
    churn = run("escalation_request.v1", conv(m("customer", "I'm cancelling my account")))
    legal = run("escalation_request.v1", conv(m("customer", "My lawyer will hear about this")))
    assert manager and churn and legal
    assert manager.score < churn.score < legal.score
    assert run("escalation_request.v1", conv(m("customer", "Hi"), m("agent", "You can speak to a manager"))) is None


# ---------------------------------------------------------------------------------- unresolved_end


@pytest.mark.parametrize(
    "last",
    ["That worked, thanks!", "All sorted now, thank you", "Thanks!", "ok thanks"],
)
def test_customer_confirmation_is_resolved(last: str) -> None:
    c = conv(m("customer", "It won't start"), m("agent", "Hold the power button for 10 seconds."), m("customer", last))
    assert run("unresolved_end.v1", c) is None


def test_unresolved_end_cases_rank() -> None:
    unhappy = run(
        "unresolved_end.v1",
        conv(
            m("customer", "Broken"), m("agent", "Try restarting."), m("customer", "Still not working, this is useless")
        ),
    )
    unanswered = run(
        "unresolved_end.v1",
        conv(m("customer", "Broken"), m("agent", "Try restarting."), m("customer", "Do I need a new one?")),
    )
    handoff = run("unresolved_end.v1", conv(m("customer", "Broken"), m("agent", "Please DM us your order number.")))
    assert unhappy and unanswered and handoff
    assert unhappy.score > unanswered.score > 0.5 > handoff.score
    assert "'Still not'" in unhappy.reason or "useless" in unhappy.reason
    negated = run(
        "unresolved_end.v1", conv(m("customer", "Broken"), m("agent", "Try this."), m("customer", "it never worked"))
    )
    assert negated is not None


def test_unresolved_end_solution_satisfaction_and_labels() -> None:
    solved = conv(m("customer", "Refund please"), m("agent", "I've refunded the fee to your card."))
    assert run("unresolved_end.v1", solved) is None
    good = conv(m("customer", "Broken"), m("agent", "Please DM us."), satisfaction={"score": 5, "scale": "1-5"})
    assert run("unresolved_end.v1", good) is None
    bad = conv(m("customer", "Broken"), m("agent", "I've refunded it."), satisfaction={"score": 1, "scale": "1-5"})
    assert run("unresolved_end.v1", bad) is not None
    step = conv(m("customer", "Broken"), m("agent", "Noted."))
    assert run("unresolved_end.v1", step, replies=[labels("m2", resolution=("solution", 0.9))]) is None
    assert run("unresolved_end.v1", step, replies=[labels("m2", resolution=("none", 0.9))]) is not None


# ---------------------------------------------------------------------------------- template_reuse


def test_template_reuse_needs_the_corpus() -> None:
    canned = "Thanks for reaching out {n}! Please send us a DM with your booking reference and we will take a look."
    index = mine_templates([(canned.format(n=f"Sam{i}"), f"ag{i % 3}") for i in range(6)], min_uses=5)
    c = conv(m("customer", "Flight DL123 cancelled"), m("agent", canned.format(n="Kim")))
    flag = run("template_reuse.v1", c, corpus=Corpus(templates=index))
    assert flag is not None and "used 6 times by 3 agents" in flag.reason and "m2" in flag.evidence
    assert "specifics" in flag.reason
    assert run("template_reuse.v1", c) is None
    assert (
        run(
            "template_reuse.v1",
            conv(m("customer", "Hi"), m("agent", "Something else entirely, written for you.")),
            corpus=Corpus(templates=index),
        )
        is None
    )


# ---------------------------------------------------------------------------------- edge threads, every rule

EDGE_THREADS = {
    "bot only": conv(m("customer", "help", 0), m("bot", "Hi, I'm a bot", 1), m("bot", "Choose 1-3", 2)),
    "unknown times": conv(m("customer", "help"), m("agent", "Sorry for the inconvenience"), m("customer", "thanks")),
    "internal notes only": conv(m("agent", "note", 0, is_internal=True), m("agent", "another", 1, is_internal=True)),
    "one message": conv(m("customer", "Hello?", 0)),
    "system events": conv(m("system", "ticket created", 0), m("customer", "hi", 1), m("system", "assigned", 2)),
    "empty texts": conv(m("customer", "", 0), m("agent", "", 5), m("customer", "", 6)),
}


@pytest.mark.parametrize("name", sorted(EDGE_THREADS))
@pytest.mark.parametrize("rule", sorted(__import__("qa_toolkit.rules", fromlist=["PARAMS"]).PARAMS))
def test_every_rule_copes_with_edge_threads(rule: str, name: str) -> None:
    run(rule, EDGE_THREADS[name], corpus=Corpus())


def test_internal_notes_never_count_as_answers() -> None:
    c = conv(m("customer", "Help", 0), m("agent", "Internal: customer is angry", 5, is_internal=True))
    flag = run("auto_reply_only.v1", c)
    assert flag is not None and flag.reason.startswith("no answer at all")
    assert run("slow_first_response.v1", c) is None
    assert (
        run("unfriendly_reply.v1", conv(m("customer", "Hi"), m("agent", "Not our problem.", is_internal=True))) is None
    )
