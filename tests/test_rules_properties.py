"""Invariants of every rule on any valid conversation: no crash, score in [0, 1], evidence names messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.flagging import CorpusBuilder, flag_thread
from qa_toolkit.metrics import compute_metrics
from qa_toolkit.rules import BusinessHours, ReplyResult, RuleContext, get_rule, registered_rules
from qa_toolkit.schema import ConversationIn

PHRASES = [
    "Sorry for any inconvenience.",
    "Please DM us your order number.",
    "That worked, thanks!",
    "still not working",
    "I want to speak to a manager",
    "You did not follow our process.",
    "My iPhone 12 and order #123456",
    "within 3 business days",
    "As we already told you",
    "Obviously.",
    "flight DL123 on 3/4",
    "",
    "?",
    "Thanks",
    "I've refunded the fee.",
    "cancel my account",
    "lawyer",
    "which device are you using?",
    "Hi Anna!",
]
T0 = datetime(2024, 1, 5, 15, tzinfo=UTC)

message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["customer", "agent", "bot", "system"]),
        "text": st.lists(st.sampled_from(PHRASES), max_size=3).map(" ".join) | st.text(max_size=40),
        "minutes": st.none() | st.integers(min_value=-100, max_value=20000),
        "is_internal": st.booleans(),
        "is_automated": st.booleans(),
    }
)


def build(msgs: list[dict], team: str | None, channel: str) -> ConversationIn:
    return ConversationIn.model_validate(
        {
            "id": "p1",
            "team": team,
            "channel": channel,
            "messages": [
                {
                    "id": f"m{i}",
                    "role": d["role"],
                    "text": d["text"],
                    "sent_at": None if d["minutes"] is None else (T0 + timedelta(minutes=d["minutes"])).isoformat(),
                    "is_internal": d["is_internal"],
                    "is_automated": d["is_automated"],
                }
                for i, d in enumerate(msgs)
            ],
        }
    )


def reply_labels(conv: ConversationIn, draw_label) -> dict[str, ReplyResult]:  # type: ignore[no-untyped-def]
    sets = {
        "tone": ["friendly", "neutral", "unfriendly"],
        "personalisation": ["personalised", "generic"],
        "apology": ["none", "templated", "specific"],
        "resolution": ["solution", "step", "none"],
    }
    out = {}
    for msg in conv.messages:
        if msg.role.value == "agent" and not msg.is_internal:
            out[msg.id] = ReplyResult.model_validate(
                {
                    "message_id": msg.id,
                    **{k: {"label": draw_label(v), "confidence": 0.7, "evidence": []} for k, v in sets.items()},
                }
            )
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    msgs=st.lists(message, min_size=1, max_size=9),
    team=st.none() | st.sampled_from(["a", "b"]),
    channel=st.sampled_from(["email", "chat"]),
    with_labels=st.booleans(),
    data=st.data(),
)
def test_rules_never_crash_and_scores_stay_in_range(msgs, team, channel, with_labels, data) -> None:  # type: ignore[no-untyped-def]
    conv = build(msgs, team, channel)
    builder = CorpusBuilder()
    for _ in range(3):
        builder.add(conv)
    corpus = builder.build()
    replies = reply_labels(conv, lambda v: data.draw(st.sampled_from(v))) if with_labels else {}
    bh = data.draw(
        st.sampled_from(
            [
                BusinessHours(),
                BusinessHours(always_open=True),
                BusinessHours(timezone="Asia/Tokyo", days=["sat", "sun"]),
            ]
        )
    )
    ids = {m.id for m in conv.messages}
    ctx = RuleContext(
        conv=conv, metrics=compute_metrics(conv.messages), replies=replies, business_hours=bh, corpus=corpus
    )
    for name in registered_rules():
        spec = get_rule(name)
        flag = spec(ctx, spec.params())
        if flag is None:
            continue
        assert 0.0 <= flag.score <= 1.0
        assert flag.rule == name and flag.reason and "\n" not in flag.reason
        assert all(e in ids or e.startswith('"') for e in flag.evidence), flag.evidence
    flags, _ = flag_thread(conv, corpus=corpus, replies=replies, business_hours=bh)
    assert [f.score for f in flags] == sorted((f.score for f in flags), reverse=True)
