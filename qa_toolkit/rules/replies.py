"""Rules on what the agents wrote: templated_apology, unfriendly_reply, generic_reply, process_blame and
repeated_info_request. Reply labels are used where the thread was scored, lexicon evidence otherwise."""

from __future__ import annotations

import re

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, register_rule
from qa_toolkit.rules.params import (
    GenericReplyParams,
    GenericReplyV2Params,
    ProcessBlameParams,
    RepeatedInfoRequestParams,
    TemplatedApologyParams,
    UnfriendlyReplyParams,
)
from qa_toolkit.rules.text import Hit, MessageHits, hits
from qa_toolkit.rules.thread import answered_turns, answers, label, quoted, read_customer, specifics
from qa_toolkit.schema import MessageIn
from qa_toolkit.types import Role

STOCK = ("channel_move", "apology_templated", "follow_up", "thanks", "greeting", "sign_off", "empathy")


def _plural(n: int, word: str) -> str:
    """``3 unfriendly replies``, ``1 template``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else f"{n} {word}s"


def _templated_hits(msg: MessageIn, found: MessageHits) -> list[Hit]:
    """Stock apology formulas that end the clause: "sorry for the inconvenience." is templated, "sorry to
    hear that your bag was lost" names the problem (the labelling guide's ``specific``)."""
    out = []
    text = " ".join(msg.text.replace("\u2019", "'").split())
    low = text.lower()
    for hit in found.get("apology_templated"):
        at = low.find(hit.text.lower())
        rest = low[at + len(hit.text) :].lstrip() if at >= 0 else ""
        if rest[:1].isalpha() and not rest.startswith(("and ", "but ", "we ", "i ", "please ", "this ", "it ")):
            continue
        out.append(hit)
    return out


@register_rule(
    "templated_apology.v1",
    params=TemplatedApologyParams,
    description="A stock apology ('sorry for any inconvenience'); repeated ones in one thread score higher.",
)
def templated_apology(ctx: RuleContext, p: TemplatedApologyParams) -> Flag | None:
    found: list[tuple[MessageIn, float, list[str]]] = []
    for msg in answers(ctx):
        lab = label(ctx, msg.id, "apology")
        if lab is not None:
            if lab.label == "templated" and lab.confidence >= p.min_confidence:
                words = hits(ctx, msg).quotes("apology_templated") or list(lab.evidence[:2])
                found.append((msg, lab.confidence, words))
            continue
        templated = _templated_hits(msg, hits(ctx, msg))
        if templated:
            found.append((msg, p.lexicon_confidence, [h.text for h in templated]))
    if not found:
        return None
    n = len(found)
    confidence = sum(c for _, c, _ in found) / n
    first = ctx.conv.messages.index(found[0][0])
    before = [m for m in ctx.conv.messages[:first] if m.role is Role.customer and not m.is_internal]
    concrete = bool(specifics(ctx, before)) or any(hits(ctx, m).has("unhappy") for m in before)
    score = (p.base_score + p.repeat_bonus * (n - 1) + (p.specifics_bonus if concrete else 0.0)) * (
        0.5 + 0.5 * confidence
    )
    words = next((w for _, _, w in found if w), [])
    reason = f"{n} templated apologies" if n > 1 else "a templated apology"
    if words:
        reason += f" ('{words[0]}')"
    if concrete:
        reason += " to a customer with a concrete problem"
    evidence = [m.id for m, _, _ in found][:8] + [quoted(w) for w in words[:2]]
    return Flag(rule="templated_apology.v1", score=clamp01(score), reason=reason, evidence=evidence)


@register_rule(
    "unfriendly_reply.v1",
    params=UnfriendlyReplyParams,
    description="A cold, curt, blaming or dismissive reply (tone label where scored; cold wording always).",
)
def unfriendly_reply(ctx: RuleContext, p: UnfriendlyReplyParams) -> Flag | None:
    scored: list[tuple[float, MessageIn, list[str]]] = []
    for msg in answers(ctx):
        found = hits(ctx, msg)
        weak_words = {h.text.lower() for h in found.get("cold_weak")}
        strong = [h.text for h in found.get("cold_blame") if h.text.lower() not in weak_words]
        weak = sorted(weak_words)
        score = 0.0
        if strong:
            score = p.lexicon_score + 0.1 * (len(strong) - 1)
        elif weak:
            score = p.weak_lexicon_score
        words = strong or weak
        lab = label(ctx, msg.id, "tone")
        if lab is not None and lab.label == "unfriendly" and lab.confidence >= p.min_confidence:
            score = max(score, 0.5 + 0.5 * lab.confidence)
            words = words or list(lab.evidence[:2])
        if score > 0:
            scored.append((clamp01(score), msg, words))
    if not scored:
        return None
    top = max(scored, key=lambda s: s[0])
    score = top[0] + p.repeat_bonus * (len(scored) - 1)
    reason = f"{_plural(len(scored), 'unfriendly reply')}" if len(scored) > 1 else "an unfriendly reply"
    if top[2]:
        reason += f": '{top[2][0]}'"
    evidence = [m.id for _, m, _ in scored][:8] + [quoted(w) for w in top[2][:2]]
    return Flag(rule="unfriendly_reply.v1", score=clamp01(score), reason=reason, evidence=evidence)


GENERIC_MOVES = ("channel_move", "apology_templated", "follow_up")
_NOT_NAMES = frozenset({"there", "team", "all", "everyone", "again", "customer", "folks", "sir", "madam"})


def _mentions(reply: str, items: list[str]) -> bool:
    low = reply.lower()
    return any(item.lower() in low for item in items)


def _names_customer(ctx: RuleContext, text: str) -> bool:
    """The reply uses the customer's name (the guide's personalisation), not just a greeting."""
    name = (ctx.conv.customer.name or "").split()
    if name and len(name[0]) > 1 and name[0].lower() in text.lower():
        return True
    m = _GREETING_NAME.search(text)
    return bool(m) and m.group(1).lower() not in _NOT_NAMES


_GREETING_NAME = re.compile(r"\b(?i:hi|hello|hey|dear|hiya|thanks|thank you),?\s+([A-Z][a-z]+)")


def _stock_only(found: list[MessageHits], max_words: int) -> bool:
    """Only stock moves (DM us, sorry for the inconvenience, we'll look into it) and little else."""
    if not any(f.get(c) for f in found for c in GENERIC_MOVES):
        return False
    stock_words = sum(len(h.text.split()) for f in found for c in STOCK for h in f.get(c))
    return sum(f.words for f in found) - stock_words <= max_words


def _generic_confidence(ctx: RuleContext, agent: list[MessageIn], given: list[str], p: GenericReplyParams) -> float:
    """How confidently the agent turn is generic (0: it is not): the personalisation labels where the
    turn was scored, else its wording (no specifics echoed, no name, no case details of its own, stock only)."""
    labels = [lab for m in agent if (lab := label(ctx, m.id, "personalisation")) is not None]
    if labels:
        if any(lab.label != "generic" and lab.confidence >= p.min_confidence for lab in labels):
            return 0.0
        generic = [lab.confidence for lab in labels if lab.label == "generic" and lab.confidence >= p.min_confidence]
        return max(generic, default=0.0)
    text = " ".join(m.text for m in agent)
    found = [hits(ctx, m) for m in agent]
    if _mentions(text, given) or _names_customer(ctx, text) or any(f.get("specific") for f in found):
        return 0.0
    return p.lexicon_confidence if _stock_only(found, p.max_stock_words) else 0.0


@register_rule(
    "generic_reply.v1",
    params=GenericReplyParams,
    description="A generic reply to a customer who gave specifics (an order or flight number, a device, a "
    "name, a date, an amount).",
)
def generic_reply(ctx: RuleContext, p: GenericReplyParams) -> Flag | None:
    cases: list[tuple[float, MessageIn, list[str]]] = []
    for customer, agent in answered_turns(ctx):
        given = specifics(ctx, customer)
        if len(given) < p.min_specifics:
            continue
        confidence = _generic_confidence(ctx, agent, given, p)
        if confidence <= 0:
            continue
        score = 0.3 + 0.5 * confidence + 0.05 * min(2, len(given) - 1)
        cases.append((score, agent[0], given))
    if not cases:
        return None
    top = max(cases, key=lambda c: c[0])
    score = top[0] + p.repeat_bonus * (len(cases) - 1)
    reason = f"generic reply to a customer who gave {', '.join(repr(g) for g in top[2][:3])}"
    if len(cases) > 1:
        reason += f" ({len(cases)} such replies)"
    evidence = [m.id for _, m, _ in cases][:8] + [quoted(g) for g in top[2][:3]]
    return Flag(rule="generic_reply.v1", score=clamp01(score), reason=reason, evidence=evidence)


@register_rule(
    "process_blame.v1",
    params=ProcessBlameParams,
    description="A reply blames the customer or their process ('you did not follow our process').",
)
def process_blame(ctx: RuleContext, p: ProcessBlameParams) -> Flag | None:
    found: list[tuple[MessageIn, list[str]]] = []
    for msg in answers(ctx):
        blame = [h.text for h in hits(ctx, msg).get("blame")]
        if blame:
            found.append((msg, blame))
    if not found:
        return None
    phrases = [w for _, ws in found for w in ws]
    unfriendly = any((lab := label(ctx, m.id, "tone")) is not None and lab.label == "unfriendly" for m, _ in found)
    score = p.base_score + p.repeat_bonus * (len(phrases) - 1) + (p.unfriendly_bonus if unfriendly else 0.0)
    reason = f"reply blames the customer: '{phrases[0]}'"
    if len(phrases) > 1:
        reason += f" (+{len(phrases) - 1} more)"
    evidence = [m.id for m, _ in found][:8] + [quoted(w) for w in phrases[:3]]
    return Flag(rule="process_blame.v1", score=clamp01(score), reason=reason, evidence=evidence)


def _is_request(found: MessageHits, hit: Hit) -> bool:
    """A phrase such as "order number" in a sentence that asks for it ("can you DM us your order number?"),
    not one that mentions it ("your order number 123 has shipped")."""
    sentence = found.sentence(hit)
    if sentence.rstrip().endswith("?"):
        return True
    cues = {h.start for h in found.get("request_cue")}
    start = found.text.find(sentence)
    return any(start <= c < start + len(sentence) for c in cues)


@register_rule(
    "repeated_info_request.v1",
    params=RepeatedInfoRequestParams,
    description="The agent asks for something the customer already gave (an order number, the device ...).",
)
def repeated_info_request(ctx: RuleContext, p: RepeatedInfoRequestParams) -> Flag | None:
    given: dict[str, tuple[str, str]] = {}  # kind -> (customer message id, the value given)
    asked: dict[str, str] = {}  # kind -> agent message id of the last request
    replied_since: set[str] = set()  # kinds the customer wrote after being asked
    repeats: list[tuple[str, str, str, str]] = []  # (kind, agent msg, customer msg or earlier ask, value/why)
    for msg in ctx.conv.messages:
        if msg.is_internal:
            continue
        found = hits(ctx, msg)
        if msg.role is Role.customer:
            for category, items in found.by_category.items():
                if category.startswith("info_given:"):
                    values = [h for h in items if not h.negated]
                    if values:
                        given.setdefault(category.split(":", 1)[1], (msg.id, values[0].text))
            replied_since.update(asked)
            continue
        if not msg.is_answer:
            continue
        kinds = [
            c.split(":", 1)[1]
            for c, items in found.by_category.items()
            if c.startswith("info_request:") and any(_is_request(found, h) for h in items)
        ]
        for kind in dict.fromkeys(kinds):
            if kind in given:
                repeats.append((kind, msg.id, given[kind][0], given[kind][1]))
            elif p.count_own_repeats and kind in asked and kind in replied_since:
                repeats.append((kind, msg.id, asked[kind], ""))
            asked[kind] = msg.id
            replied_since.discard(kind)
    if not repeats:
        return None
    kind, agent_id, other_id, value = repeats[0]
    if value:
        reason = f"agent asks for the {kind} the customer already gave ('{value}')"
    else:
        reason = f"agent asks again for the {kind} after the customer answered"
    if len(repeats) > 1:
        reason += f"; {len(repeats)} such requests"
    evidence = list(dict.fromkeys(i for _, a, o, _ in repeats for i in (o, a)))[:8]
    evidence += [quoted(v) for _, _, _, v in repeats[:2] if v]
    score = p.base_score + p.repeat_bonus * (len(repeats) - 1)
    return Flag(rule="repeated_info_request.v1", score=clamp01(score), reason=reason, evidence=evidence)


# --------------------------------------------------------------------------- generic_reply.v2

GENERIC_V2 = "generic_reply.v2"


def _case(ctx: RuleContext, customer: list[MessageIn], agent: list[MessageIn], p: GenericReplyV2Params) -> list[str]:
    """What makes the customer's turn a concrete case (empty: nothing to personalise for): their question,
    request or complaint (or an apology it drew), or specifics (order number, device ...) given in anything
    but praise or thanks."""
    reading = read_customer(ctx, customer)
    if reading.confirms or (reading.praise and not reading.needs):
        return []  # thanks or praise: a stock "glad to hear it!" is the right answer
    given = specifics(ctx, customer)
    case = [quoted(g) for g in given] if len(given) >= p.min_specifics else []
    if reading.unhappy:
        case.append(f"a complaint ('{reading.unhappy[0]}')")
    elif reading.question:
        case.append("a question")
    elif reading.request:
        case.append("a request")
    elif not case and _apology_labelled(ctx, agent, p.min_confidence):
        case.append("a problem the reply apologises for")
    return case


def _apology_labelled(ctx: RuleContext, agent: list[MessageIn], min_confidence: float) -> bool:
    for msg in agent:
        lab = label(ctx, msg.id, "apology")
        if lab is not None and lab.label != "none" and lab.confidence >= min_confidence:
            return True
    return False


def _generic_v2(ctx: RuleContext, agent: list[MessageIn], given: list[str], p: GenericReplyV2Params) -> float:
    """How confidently the agent turn is generic (0: it is not). With labels: the least generic message of
    the turn decides (P(generic) of a personalised label is 1 - its confidence), and it must also not repeat
    one of the customer's specifics; without: the v1 wording test."""
    labels = [lab for m in agent if (lab := label(ctx, m.id, "personalisation")) is not None]
    text = " ".join(m.text for m in agent)
    if given and _mentions(text, given):
        return 0.0  # a macro with the customer's order number filled in is personalised (the guide)
    if labels:
        confidence = min(lab.confidence if lab.label == "generic" else 1.0 - lab.confidence for lab in labels)
        return confidence if confidence >= p.min_confidence else 0.0
    found = [hits(ctx, m) for m in agent]
    if _names_customer(ctx, text) or any(f.get("specific") for f in found):
        return 0.0
    return p.lexicon_confidence if _stock_only(found, p.max_stock_words) else 0.0


@register_rule(
    GENERIC_V2,
    params=GenericReplyV2Params,
    description="A generic reply to a customer with a concrete case: a question, a request or a complaint, or "
    "specifics (an order or flight number, a device) given in anything but praise; the reply is labelled "
    "generic (confidence) and repeats none of the specifics.",
)
def generic_reply_v2(ctx: RuleContext, p: GenericReplyV2Params) -> Flag | None:
    cases: list[tuple[float, MessageIn, list[str]]] = []
    for customer, agent in answered_turns(ctx):
        case = _case(ctx, customer, agent, p)
        if not case:
            continue
        given = specifics(ctx, customer)
        confidence = _generic_v2(ctx, agent, given, p)
        if confidence <= 0:
            continue
        span = max(1e-9, 1.0 - p.min_confidence)
        score = 0.5 + 0.3 * min(1.0, (confidence - p.min_confidence) / span) if confidence >= p.min_confidence else 0.4
        cases.append((score, agent[0], case))
    if not cases:
        return None
    top = max(cases, key=lambda c: c[0])
    score = top[0] + p.repeat_bonus * (len(cases) - 1)
    reason = f"generic reply to {', '.join(top[2][:3])}"
    if len(cases) > 1:
        reason += f" ({len(cases)} such replies)"
    evidence = [m.id for _, m, _ in cases][:8] + [c for c in top[2] if c.startswith('"')][:3]
    return Flag(rule=GENERIC_V2, score=clamp01(score), reason=reason, evidence=evidence)
