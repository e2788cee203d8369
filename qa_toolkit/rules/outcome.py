"""Rules on how the thread ends and what the customer asks: unresolved_end and escalation_request."""

from __future__ import annotations

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, register_rule
from qa_toolkit.rules.params import EscalationRequestParams, UnresolvedEndParams
from qa_toolkit.rules.text import MessageHits, hits
from qa_toolkit.rules.thread import customer_messages, label, quoted
from qa_toolkit.schema import MessageIn

NAME = "unresolved_end.v1"
COURTESY = ("thanks", "greeting", "empathy", "sign_off", "apology_templated", "apology_marker")
SHORT_THANKS_WORDS = 10


def _unhappy(found: MessageHits) -> list[str]:
    return found.quotes("unhappy", "escalation_manager", "escalation_churn", "escalation_legal")


def _confirms(found: MessageHits) -> bool:
    """The customer confirms a fix ("that worked, thanks"), or closes with a short thanks."""
    if _unhappy(found):
        return False
    if found.get("confirmation"):
        return True
    return bool(found.get("thanks_close")) and found.words <= SHORT_THANKS_WORDS


def _resolution(ctx: RuleContext, msg: MessageIn, p: UnresolvedEndParams) -> tuple[str, float, list[str]]:
    """(solution | step | none | unknown, confidence, words) of an answer: its label where scored, else its
    wording (unknown: an answer the wording cannot classify, so the rule abstains)."""
    lab = label(ctx, msg.id, "resolution")
    if lab is not None and lab.confidence >= p.min_confidence:
        return lab.label, lab.confidence, list(lab.evidence[:2])
    found = hits(ctx, msg)
    if found.has("done_action"):
        return "solution", 0.6, found.quotes("done_action")[:1]
    move = found.quotes("channel_move", "follow_up", "info_request")
    if move:
        return "step", 0.7, move[:1]
    if lab is not None:  # scored, but not confidently: the label is still the best guess
        return lab.label, lab.confidence, list(lab.evidence[:2])
    courtesy = sum(len(h.text.split()) for c in COURTESY for h in found.get(c))
    if courtesy and found.words - courtesy <= 6:
        return "none", 0.6, found.quotes(*COURTESY)[:1]  # only thanks, greetings, empathy or an apology
    return "unknown", 0.0, []  # an answer of some kind: the wording cannot tell which


@register_rule(
    NAME,
    params=UnresolvedEndParams,
    description="The thread ends without a solution or with the customer still unhappy; not when the "
    "customer confirms ('that worked, thanks').",
)
def unresolved_end(ctx: RuleContext, p: UnresolvedEndParams) -> Flag | None:
    customers = customer_messages(ctx)
    if not customers:
        return None
    msgs = [m for m in ctx.conv.messages if not m.is_internal]
    answered = [m for m in msgs if m.is_answer]
    sat = ctx.conv.satisfaction.normalised if (p.use_satisfaction and ctx.conv.satisfaction) else None
    if sat is not None and sat >= 0.7:
        return None
    bad_rating = sat is not None and sat <= 0.4
    last_answer = answered[-1] if answered else None
    at = msgs.index(last_answer) if last_answer is not None else -1
    trailing = [m for m in msgs[at + 1 :] if m in customers]
    if trailing:  # the customer had the last word
        found = [hits(ctx, m) for m in trailing]
        unhappy = [w for f in found for w in _unhappy(f)]
        if not unhappy and not bad_rating and any(_confirms(f) for f in found[-1:]):
            return None
        if unhappy or bad_rating:
            score = p.unhappy_score + 0.05 * (sum(1 for f in found if _unhappy(f)) - 1)
            why = f"'{unhappy[0]}'" if unhappy else "a bad satisfaction rating"
            reason = f"ends with the customer still unhappy ({why})"
            if last_answer is None:
                reason += " and no human answer"
            evidence = [m.id for m in trailing][-4:] + [quoted(w) for w in unhappy[:2]]
            return Flag(rule=NAME, score=clamp01(max(score, p.unanswered_score)), reason=reason, evidence=evidence)
        question = any("?" in m.text for m in trailing)
        score = p.unanswered_score * (1.0 if question else 0.85)
        who = "no human answer at all" if last_answer is None else "no answer to the customer's last message"
        return Flag(rule=NAME, score=clamp01(score), reason=f"ends with {who}", evidence=[m.id for m in trailing][-4:])
    if last_answer is None:
        return None
    before = [m for m in msgs[:at] if m in customers]
    last_turn: list[MessageIn] = []
    for m in reversed(msgs[:at]):
        if m in customers:
            last_turn.insert(0, m)
        elif m.is_answer:
            break
    turn_hits = [hits(ctx, m) for m in last_turn]
    if any(_confirms(f) for f in turn_hits[-1:]) and not bad_rating:
        return None  # the customer confirmed, the agent closed politely
    unhappy = [w for f in turn_hits for w in _unhappy(f)]
    kind, confidence, words = _resolution(ctx, last_answer, p)
    weight = 0.6 + 0.4 * confidence
    if unhappy or bad_rating:
        opening = not before or all(m in last_turn for m in before)  # the complaint that opened the thread
        base = p.unhappy_score * (0.5 if kind == "solution" else 0.6 if opening else 0.85)
        why = f"'{unhappy[0]}'" if unhappy else "a bad satisfaction rating"
        answer = {"solution": "an answer", "step": "a hand-off", "none": "no progress"}.get(kind, "an unclear answer")
        reason = f"customer unhappy ({why}) and the last reply gives {answer}"
        evidence = [m.id for m in last_turn][-2:] + [last_answer.id] + [quoted(w) for w in unhappy[:2]]
        return Flag(rule=NAME, score=clamp01(base * weight), reason=reason, evidence=evidence)
    if kind in ("solution", "unknown") or not before:
        return None
    if kind == "step":
        said = f" ('{words[0]}')" if words else ""
        reason = f"stops after a hand-off{said} with no sign it was handled"
        return Flag(rule=NAME, score=clamp01(p.handoff_score * weight), reason=reason,
                    evidence=[last_answer.id] + [quoted(w) for w in words[:1]])  # fmt: skip
    return Flag(
        rule=NAME,
        score=clamp01(p.no_progress_score * weight),
        reason="ends on a reply that makes no progress (no solution, no next step)",
        evidence=[last_answer.id],
    )


ESCALATIONS = (
    ("escalation_legal", "threatens legal or regulator action"),
    ("escalation_churn", "threatens to leave"),
    ("escalation_manager", "asks for a manager or a complaint"),
)


@register_rule(
    "escalation_request.v1",
    params=EscalationRequestParams,
    description="The customer asks for a manager, complains formally, threatens to leave or to take action.",
)
def escalation_request(ctx: RuleContext, p: EscalationRequestParams) -> Flag | None:
    weights = {
        "escalation_legal": p.legal_score,
        "escalation_churn": p.churn_score,
        "escalation_manager": p.manager_score,
    }
    found: list[tuple[MessageIn, str, str]] = []  # (message, category, words)
    for msg in customer_messages(ctx):
        msg_hits = hits(ctx, msg)
        for category, _ in ESCALATIONS:
            words = [h.text for h in msg_hits.get(category)]
            if words:
                found.append((msg, category, words[0]))
    if not found:
        return None
    top = max(found, key=lambda f: weights[f[1]])
    messages = list(dict.fromkeys(m.id for m, _, _ in found))
    score = weights[top[1]] + p.repeat_bonus * (len(messages) - 1)
    what = dict(ESCALATIONS)[top[1]]
    reason = f"customer {what}: '{top[2]}'"
    if len(messages) > 1:
        reason += f" ({len(messages)} messages)"
    evidence = messages[:8] + [quoted(w) for w in dict.fromkeys(w for _, _, w in found)][:3]
    return Flag(rule="escalation_request.v1", score=clamp01(score), reason=reason, evidence=evidence)
