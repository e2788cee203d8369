"""customer_asked_again: the customer had to ask again.

The labelling guide names "the customer asking twice" among the reasons a team lead should read a thread:
the customer did not get what they asked for the first time. A customer turn that follows an agent's answer
asks again when it pushes back ("you're missing my point", "I already did that", "didn't work", "my question
was ...") or restates an earlier customer turn (most of its content words were already said). Customer
turns before the first human answer are the first asking, not asking again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, register_rule
from qa_toolkit.rules.params import CustomerAskedAgainParams
from qa_toolkit.rules.text import clean_text, hits
from qa_toolkit.rules.thread import Turn, per_customer, quoted, turns, turns_of
from qa_toolkit.schema import MessageIn

NAME = "customer_asked_again.v1"
_WORD = re.compile(r"[a-z0-9']+")
_MIN_WORD = 3


def content_words(msgs: list[MessageIn]) -> set[str]:
    """The lower-case content words of a customer turn (no stop words, handles, URLs or very short words)."""
    out: set[str] = set()
    for msg in msgs:
        for word in _WORD.findall(clean_text(msg.text).lower()):
            word = word.strip("'")
            if len(word) >= _MIN_WORD and word not in STOP_WORDS and not word.isdigit():
                out.add(word)
    return out


@dataclass(frozen=True)
class AskedAgain:
    """One customer turn that asks again: its messages, the pushback words, and the overlap with the earlier
    customer turn it restates (0 when it restates none)."""

    messages: list[MessageIn]
    pushback: list[str]
    overlap: float


def asked_again(ctx: RuleContext, p: CustomerAskedAgainParams) -> list[AskedAgain]:
    """Every customer turn after a human answer that pushes back or restates an earlier customer turn; with
    several customers in one thread (a public reply tree), each customer only against their own turns."""
    several = per_customer(ctx)
    sequences = [turns_of(msgs) for msgs in several.values()] if several else [turns(ctx)]
    found = [f for seq in sequences for f in _asked_again(ctx, p, seq)]
    return sorted(found, key=lambda f: ctx.conv.messages.index(f.messages[0]))


def _asked_again(ctx: RuleContext, p: CustomerAskedAgainParams, sequence: list[Turn]) -> list[AskedAgain]:
    out: list[AskedAgain] = []
    earlier: list[set[str]] = []
    answered = False
    for turn in sequence:
        if not turn.customer:
            answered = True
            continue
        words = content_words(turn.messages)
        if answered:
            pushback = list(
                dict.fromkeys(h.text for m in turn.messages for h in hits(ctx, m).get("pushback", negated=None))
            )
            overlap = max((_overlap(words, before, p.min_words) for before in earlier), default=0.0)
            if pushback or overlap >= p.min_overlap:
                out.append(AskedAgain(turn.messages, pushback, overlap if overlap >= p.min_overlap else 0.0))
        earlier.append(words)
    return out


def _overlap(now: set[str], before: set[str], min_words: int) -> float:
    """Share of the smaller turn's content words that the other turn also has (0 when either is too short)."""
    if len(now) < min_words or len(before) < min_words:
        return 0.0
    return len(now & before) / min(len(now), len(before))


@register_rule(
    NAME,
    params=CustomerAskedAgainParams,
    description="The customer had to ask again: after an answer they push back ('missing my point', 'didn't "
    "work') or restate what they asked.",
)
def customer_asked_again(ctx: RuleContext, p: CustomerAskedAgainParams) -> Flag | None:
    found = asked_again(ctx, p)
    if not found:
        return None
    scores = []
    for f in found:
        score = max(p.pushback_score if f.pushback else 0.0, p.restated_score if f.overlap else 0.0)
        scores.append(score + (p.both_bonus if f.pushback and f.overlap else 0.0))
    score = max(scores) + p.repeat_bonus * (len(found) - 1)
    words = list(dict.fromkeys(w for f in found for w in f.pushback))
    parts = []
    if words:
        parts.append("pushes back: " + ", ".join(f"'{w}'" for w in words[:3]))
    restated = [f for f in found if f.overlap]
    if restated:
        parts.append(f"restates an earlier message ({max(f.overlap for f in restated):.0%} of its words)")
    times = "once" if len(found) == 1 else f"{len(found)} times"
    reason = f"customer asked again {times} after an answer; " + "; ".join(parts)
    messages = [m.id for f in found for m in f.messages]
    evidence = messages[:8] + [quoted(w) for w in words[:3]]
    return Flag(rule=NAME, score=clamp01(score), reason=reason, evidence=evidence)
