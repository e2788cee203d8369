"""Thread metrics as pure functions over a conversation's messages (definitions: the labelling guide).

- A customer turn is one or more consecutive customer messages; an agent turn one or more consecutive
  agent *answers* (human agent, public, not automated). Bot messages, auto-replies, internal notes and
  system events are skipped: they neither answer a customer nor break a customer turn.
- exchanges: customer turns followed by an agent turn (the back-and-forth count).
- first response: first customer message -> first agent answer after it.
- customer waits: for every customer turn, its first message -> the next agent answer (unanswered turns
  are listed with ``seconds = None`` and ``answered = False``).
- agent reply times: for every answered customer turn, its last message -> the answer.
- duration: first -> last message with a known time.
Unknown timestamps give unknown (None) times, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from qa_toolkit.schema import MessageIn
from qa_toolkit.types import Role


@dataclass(frozen=True)
class Wait:
    """One customer turn and the answer to it."""

    customer_message_id: str
    agent_message_id: str | None
    seconds: float | None
    answered: bool


@dataclass(frozen=True)
class ThreadMetrics:
    exchanges: int
    customer_turns: int
    agent_turns: int
    customer_messages: int
    agent_messages: int
    bot_messages: int
    automated_messages: int
    internal_notes: int
    first_response_seconds: float | None
    longest_customer_wait_seconds: float | None
    median_agent_reply_seconds: float | None
    p90_agent_reply_seconds: float | None
    duration_seconds: float | None
    unanswered_customer_turns: int
    customer_waits: list[Wait] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return seconds if seconds >= 0 else None  # out-of-order times: unknown, not negative


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 100]) of known values; None when there are none."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    if len(vals) == 1:
        return float(vals[0])
    pos = (len(vals) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(vals[lo] + (vals[hi] - vals[lo]) * (pos - lo))


def is_answer(msg: MessageIn) -> bool:
    """A message that counts as a human agent answer."""
    return msg.role is Role.agent and not msg.is_internal and not msg.is_automated


_CUSTOMER, _AGENT, _BOT = Role.customer, Role.agent, Role.bot


def compute_metrics(messages: Sequence[MessageIn]) -> ThreadMetrics:
    """All thread metrics for messages in conversation order."""
    customer_messages = agent_messages = bot_messages = automated = notes = 0
    turns: list[tuple[bool, list[MessageIn]]] = []  # (is customer turn, messages)
    first_customer: MessageIn | None = None
    first_answer: MessageIn | None = None
    for msg in messages:
        if msg.is_internal:
            notes += 1
            continue
        role = msg.role
        if role is _CUSTOMER and first_customer is None:
            first_customer = msg
        if msg.is_automated:
            automated += 1
            continue
        if role is _CUSTOMER:
            customer_messages += 1
            is_customer = True
        elif role is _AGENT:
            agent_messages += 1
            is_customer = False
            if first_customer is not None and first_answer is None:
                first_answer = msg
        else:
            if role is _BOT:
                bot_messages += 1
            continue
        if turns and turns[-1][0] is is_customer:
            turns[-1][1].append(msg)
        else:
            turns.append((is_customer, [msg]))

    waits: list[Wait] = []
    replies: list[float] = []
    customer_turns = agent_turns = 0
    for i, (is_customer, msgs) in enumerate(turns):
        if not is_customer:
            agent_turns += 1
            continue
        customer_turns += 1
        if i + 1 == len(turns):
            waits.append(Wait(msgs[0].id, None, None, False))
            continue
        answer = turns[i + 1][1][0]
        waits.append(Wait(msgs[0].id, answer.id, _seconds(msgs[0].sent_at, answer.sent_at), True))
        reply = _seconds(msgs[-1].sent_at, answer.sent_at)
        if reply is not None:
            replies.append(reply)

    first_response = (
        _seconds(first_customer.sent_at, first_answer.sent_at)
        if first_customer is not None and first_answer is not None
        else None
    )
    known_waits = [w.seconds for w in waits if w.seconds is not None]
    times = [m.sent_at for m in messages if m.sent_at is not None]
    answered = sum(1 for w in waits if w.answered)
    return ThreadMetrics(
        exchanges=answered,
        customer_turns=customer_turns,
        agent_turns=agent_turns,
        customer_messages=customer_messages,
        agent_messages=agent_messages,
        bot_messages=bot_messages,
        automated_messages=automated,
        internal_notes=notes,
        first_response_seconds=first_response,
        longest_customer_wait_seconds=max(known_waits) if known_waits else None,
        median_agent_reply_seconds=percentile(replies, 50),
        p90_agent_reply_seconds=percentile(replies, 90),
        duration_seconds=_seconds(min(times), max(times)) if len(times) >= 2 else None,
        unanswered_customer_turns=len(waits) - answered,
        customer_waits=waits,
    )
