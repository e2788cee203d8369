"""Thread helpers the rules share: turns as the labelling guide defines them, labels by message, specifics."""

from __future__ import annotations

from dataclasses import dataclass

from qa_toolkit.rules.base import LabelResult, RuleContext
from qa_toolkit.rules.text import hits, quote
from qa_toolkit.schema import MessageIn
from qa_toolkit.types import Role


@dataclass(frozen=True)
class Turn:
    """Consecutive customer messages, or consecutive human agent answers."""

    customer: bool
    messages: list[MessageIn]


def turns(ctx: RuleContext) -> list[Turn]:
    """Customer turns and agent turns (human answers only: bots, auto-replies, notes and system events
    neither answer nor break a customer turn), as in ``qa_toolkit.metrics``."""
    cached = ctx.cache.get("turns")
    if cached is not None:
        return cached
    out: list[Turn] = []
    for msg in ctx.conv.messages:
        if msg.is_internal or msg.is_automated:
            continue
        if msg.role is Role.customer:
            is_customer = True
        elif msg.role is Role.agent:
            is_customer = False
        else:
            continue
        if out and out[-1].customer is is_customer:
            out[-1].messages.append(msg)
        else:
            out.append(Turn(is_customer, [msg]))
    ctx.cache["turns"] = out
    return out


def answers(ctx: RuleContext) -> list[MessageIn]:
    """Every human agent answer (public, not automated)."""
    return [m for m in ctx.conv.messages if m.is_answer]


def customer_messages(ctx: RuleContext) -> list[MessageIn]:
    return [m for m in ctx.conv.messages if m.role is Role.customer and not m.is_internal]


def answered_turns(ctx: RuleContext) -> list[tuple[list[MessageIn], list[MessageIn]]]:
    """(customer turn, the agent turn that answered it) pairs, in order."""
    ts = turns(ctx)
    return [(t.messages, ts[i + 1].messages) for i, t in enumerate(ts[:-1]) if t.customer]


def label(ctx: RuleContext, message_id: str, name: str) -> LabelResult | None:
    """The classifier's label ``name`` (tone, personalisation, apology, resolution) of one reply, or None
    when the reply was not scored."""
    reply = ctx.replies.get(message_id) if ctx.replies else None
    return getattr(reply, name, None) if reply is not None else None


def specifics(ctx: RuleContext, msgs: list[MessageIn]) -> list[str]:
    """The specifics the customer gave in ``msgs`` (order and flight numbers, devices, dates, amounts ...)."""
    out: list[str] = []
    for msg in msgs:
        for hit in sorted(hits(ctx, msg).get("specific"), key=lambda h: -len(h.text)):
            text = hit.text.strip()
            low = text.lower()
            if text and not any(low in o.lower() for o in out):  # "#123456" covers "123456"
                out.append(text)
    return out


def quoted(text: str) -> str:
    """Evidence that quotes words (message ids are given bare)."""
    return f'"{quote(text, 60)}"'
