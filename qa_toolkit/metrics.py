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
    return (end - start).total_seconds()


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


def compute_metrics(messages: Sequence[MessageIn]) -> ThreadMetrics:
    """All thread metrics for messages in conversation order."""
    customer_messages = agent_messages = bot_messages = automated = notes = 0
    turns: list[tuple[str, list[MessageIn]]] = []  # ("c" | "a", messages)
    for msg in messages:
        if msg.is_internal:
            notes += 1
            continue
        if msg.is_automated:
            automated += 1
            continue
        if msg.role is Role.customer:
            customer_messages += 1
            kind = "c"
        elif msg.role is Role.agent:
            agent_messages += 1
            kind = "a"
        else:
            if msg.role is Role.bot:
                bot_messages += 1
            continue
        if turns and turns[-1][0] == kind:
            turns[-1][1].append(msg)
        else:
            turns.append((kind, [msg]))

    exchanges = 0
    waits: list[Wait] = []
    replies: list[float] = []
    for i, (kind, msgs) in enumerate(turns):
        if kind != "c":
            continue
        nxt = turns[i + 1] if i + 1 < len(turns) else None
        if nxt is None:
            waits.append(Wait(msgs[0].id, None, None, False))
            continue
        exchanges += 1
        answer = nxt[1][0]
        waits.append(Wait(msgs[0].id, answer.id, _seconds(msgs[0].sent_at, answer.sent_at), True))
        reply = _seconds(msgs[-1].sent_at, answer.sent_at)
        if reply is not None:
            replies.append(reply)

    first_response = None
    first_customer = next((m for m in messages if m.role is Role.customer and not m.is_internal), None)
    if first_customer is not None:
        started = False
        for msg in messages:
            if msg is first_customer:
                started = True
            elif started and is_answer(msg):
                first_response = _seconds(first_customer.sent_at, msg.sent_at)
                break

    known_waits = [w.seconds for w in waits if w.seconds is not None]
    times = [m.sent_at for m in messages if m.sent_at is not None]
    return ThreadMetrics(
        exchanges=exchanges,
        customer_turns=sum(1 for k, _ in turns if k == "c"),
        agent_turns=sum(1 for k, _ in turns if k == "a"),
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
        unanswered_customer_turns=sum(1 for w in waits if not w.answered),
        customer_waits=waits,
    )
