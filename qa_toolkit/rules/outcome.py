"""Rules on how the thread ends and what the customer asks: unresolved_end and escalation_request."""

from __future__ import annotations

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, register_rule
from qa_toolkit.rules.params import EscalationRequestParams, UnresolvedEndParams, UnresolvedEndV2Params
from qa_toolkit.rules.text import MessageHits, hits
from qa_toolkit.rules.thread import customer_messages, label, quoted, read_customer, turns
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
    return resolution_of(ctx, msg, p.min_confidence)


def resolution_of(ctx: RuleContext, msg: MessageIn, min_confidence: float) -> tuple[str, float, list[str]]:
    """``_resolution`` with the label confidence threshold given directly (shared by v1 and v2)."""
    lab = label(ctx, msg.id, "resolution")
    if lab is not None and lab.confidence >= min_confidence:
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


# --------------------------------------------------------------------------- unresolved_end.v2

NAME_V2 = "unresolved_end.v2"
_RANK = {"solution": 3, "step": 2, "none": 1, "unknown": 0}
APOLOGY_WORDS = ("apology_templated", "apology_marker", "empathy")
HANDOFF_WORDS = ("channel_move", "info_request")  # a hand-off proper: DM us, call us, send your booking reference


def _turn_resolution(ctx: RuleContext, msgs: list[MessageIn], min_confidence: float) -> tuple[str, float, list[str]]:
    """The strongest resolution among one agent turn's messages (an answer split over two tweets counts once)."""
    return max((resolution_of(ctx, m, min_confidence) for m in msgs), key=lambda r: (_RANK[r[0]], r[1]))


def _apologised(ctx: RuleContext, msgs: list[MessageIn], min_confidence: float) -> list[str]:
    """Apology or empathy in an agent turn (the agent saw a problem): the apology label where scored, else
    the wording."""
    words: list[str] = []
    for msg in msgs:
        lab = label(ctx, msg.id, "apology")
        found = hits(ctx, msg).quotes(*APOLOGY_WORDS)
        if lab is not None and lab.confidence >= min_confidence:
            if lab.label != "none":
                words += found[:1] or list(lab.evidence[:1]) or ["(apology)"]
        elif found:
            words += found[:1]
    return words


def _say(words: list[str]) -> str:
    return f" ('{words[0]}')" if words else ""


@register_rule(
    NAME_V2,
    params=UnresolvedEndV2Params,
    description="The thread ends unresolved: the customer's last words are unhappy or unanswered, or their "
    "question or complaint gets only an acknowledgement. A courtesy reply after a solution, a customer who "
    "confirms or thanks, and a customer who only praised are resolved; a thread that stops after a hand-off is "
    "unclear (low score).",
)
def unresolved_end_v2(ctx: RuleContext, p: UnresolvedEndV2Params) -> Flag | None:
    if not customer_messages(ctx):
        return None
    sat = ctx.conv.satisfaction.normalised if (p.use_satisfaction and ctx.conv.satisfaction) else None
    if sat is not None and sat >= 0.7:
        return None
    bad_rating = sat is not None and sat <= 0.4
    ts = [t for t in turns(ctx)]
    if not ts:  # customer messages, but none of them in a turn (all internal): nothing to judge
        return None
    agent_turns = [t for t in ts if not t.customer]
    if ts[-1].customer:
        return _customer_last(ctx, p, ts, bool(agent_turns), bad_rating)
    if len(ts) < 2:
        return None  # the agent wrote first and nobody answered: not a customer's case
    final, last_customer = ts[-1].messages, ts[-2].messages
    reading = read_customer(ctx, last_customer)
    if reading.confirms and not bad_rating:
        return None  # the customer confirmed or thanked; the agent closed politely
    kind, confidence, words = _turn_resolution(ctx, final, p.min_confidence)
    weight = 0.6 + 0.4 * confidence
    last_id = final[-1].id
    apology = _apologised(ctx, final, p.min_confidence)
    final_hits = [hits(ctx, m) for m in final]
    feedback = [w for f in final_hits for w in f.quotes("feedback_pass")]
    if kind == "step" and feedback and not any(f.get(c) for f in final_hits for c in HANDOFF_WORDS):
        kind, words = "feedback", feedback  # the complaint is passed on; nothing moves the case itself
    unhappy = reading.unhappy or (["a bad satisfaction rating"] if bad_rating else [])
    evidence = [m.id for m in last_customer][-2:] + [last_id]

    def flag(score: float, reason: str, quotes: list[str]) -> Flag:
        return Flag(rule=NAME_V2, score=clamp01(score * weight), reason=reason,
                    evidence=evidence + [quoted(w) for w in quotes[:2]])  # fmt: skip

    why = f" ('{unhappy[0]}')" if unhappy else _say(apology)
    if kind == "none" and unhappy:
        return flag(p.unhappy_score, f"the customer is unhappy{why} and the last reply only acknowledges it", unhappy)
    if kind in ("none", "feedback") and (reading.needs or apology):
        asked = "question" if reading.question else "request" if reading.request else "complaint"
        what = "is only passed on as feedback" if kind == "feedback" else "gets only an acknowledgement"
        return flag(p.no_progress_score, f"the customer's {asked}{why} {what}: no solution, no next step",
                    unhappy or apology or words)  # fmt: skip
    if kind in ("none", "feedback"):
        return None  # nothing was asked (praise, chit-chat) or it was solved earlier: a courtesy reply ends it
    if unhappy or (apology and not reading.question):  # a complaint answered, refused or handed off
        answer = "a hand-off" if kind == "step" else "an answer"
        reason = f"the customer complained{why}; the last reply gives {answer}{_say(words)}"
        return flag(p.unhappy_answered_score, reason, unhappy or apology)
    if kind == "step":
        return flag(p.handoff_score, f"stops after a hand-off{_say(words)}; nothing tells how it ended", words)
    return None  # a solution (or an answer the wording cannot classify)


def _customer_last(
    ctx: RuleContext, p: UnresolvedEndV2Params, ts: list, answered: bool, bad_rating: bool
) -> Flag | None:
    """The customer had the last word: unhappy, unanswered, or closing (thanks, praise, accepting a hand-off)."""
    trailing = ts[-1].messages
    reading = read_customer(ctx, trailing)
    ids = [m.id for m in trailing][-4:]
    if reading.unhappy or bad_rating:
        n = sum(1 for m in trailing if read_customer(ctx, [m]).unhappy)
        why = f"'{reading.unhappy[0]}'" if reading.unhappy else "a bad satisfaction rating"
        reason = f"ends with the customer still unhappy ({why})" + ("" if answered else " and no human answer")
        score = max(p.unhappy_score + 0.05 * max(0, n - 1), p.unanswered_score)
        return Flag(
            rule=NAME_V2, score=clamp01(score), reason=reason, evidence=ids + [quoted(w) for w in reading.unhappy[:2]]
        )
    if reading.confirms or (reading.praise and not reading.question):
        return None  # thanks, a confirmation or praise: nothing left to answer
    if answered and (reading.ack or reading.words == 0):  # "sure, DMing you now", "ok", an emoji
        previous = ts[-2].messages if len(ts) > 1 else []
        kind, confidence, words = _turn_resolution(ctx, previous, p.min_confidence) if previous else ("none", 0.0, [])
        if kind == "step":
            said = f" ('{reading.ack[0]}')" if reading.ack else ""
            reason = f"stops after a hand-off{_say(words)} the customer accepted{said}; nothing tells how it ended"
            score = p.handoff_score * (0.6 + 0.4 * confidence)
            return Flag(rule=NAME_V2, score=clamp01(score), reason=reason, evidence=[previous[-1].id, *ids[-1:]])
        if not reading.needs:
            return None  # "ok" after an answer
    who = "no answer to the customer's last message" if answered else "no human answer at all"
    score = p.unanswered_score * (1.0 if reading.question else 0.85)
    return Flag(rule=NAME_V2, score=clamp01(score), reason=f"ends with {who}", evidence=ids)
