"""Rules on time and answers: slow_first_response, long_customer_wait (working time only) and
auto_reply_only (no human answer)."""

from __future__ import annotations

from datetime import datetime

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, graded, register_rule
from qa_toolkit.rules.params import AutoReplyOnlyParams, LongCustomerWaitParams, SlowFirstResponseParams
from qa_toolkit.rules.text import hits
from qa_toolkit.rules.thread import customer_messages, quoted, turns
from qa_toolkit.types import Role


def fmt_duration(seconds: float) -> str:
    """7200 -> '2.0h', 90 -> '1.5m', 200000 -> '2.3d'."""
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _wait(ctx: RuleContext, start: datetime | None, end: datetime | None, working_time: bool) -> float | None:
    if start is None or end is None or end < start:
        return None
    if working_time:
        return ctx.business_hours.working_seconds(start, end)
    return (end - start).total_seconds()


def _unit(ctx: RuleContext, working_time: bool) -> str:
    return "working time" if working_time and not ctx.business_hours.always_open else "on the clock"


@register_rule(
    "slow_first_response.v1",
    params=SlowFirstResponseParams,
    description="The first human answer came later than the limit (business hours and time zone from the "
    "scorecard; waits count working time only).",
)
def slow_first_response(ctx: RuleContext, p: SlowFirstResponseParams) -> Flag | None:
    first_customer = next((m for m in ctx.conv.messages if m.role is Role.customer and not m.is_internal), None)
    if first_customer is None:
        return None
    after = ctx.conv.messages[ctx.conv.messages.index(first_customer) + 1 :]
    answer = next((m for m in after if m.is_answer), None)
    if answer is None:
        return None  # no human answer at all: auto_reply_only / unresolved_end
    seconds = _wait(ctx, first_customer.sent_at, answer.sent_at, p.working_time)
    if seconds is None or seconds <= p.max_seconds:
        return None
    clock = (answer.sent_at - first_customer.sent_at).total_seconds()  # type: ignore[operator]
    limit = fmt_duration(p.max_seconds)
    reason = f"first response after {fmt_duration(seconds)} {_unit(ctx, p.working_time)} (limit {limit})"
    if p.working_time and not ctx.business_hours.always_open:
        reason += f"; {fmt_duration(clock)} on the clock"
    return Flag(
        rule="slow_first_response.v1",
        score=graded(seconds, p.max_seconds, p.span_seconds),
        reason=reason,
        evidence=[first_customer.id, answer.id],
    )


@register_rule(
    "long_customer_wait.v1",
    params=LongCustomerWaitParams,
    description="A customer waited longer than the limit for an answer (working time only).",
)
def long_customer_wait(ctx: RuleContext, p: LongCustomerWaitParams) -> Flag | None:
    by_id = {m.id: m for m in ctx.conv.messages}
    waits = [w for w in ctx.metrics.customer_waits if w.answered and w.agent_message_id is not None]
    if not p.include_first:
        waits = waits[1:] if waits and _is_first(ctx, waits[0].customer_message_id) else waits
    over: list[tuple[float, str, str]] = []
    for wait in waits:
        start, end = by_id.get(wait.customer_message_id), by_id.get(wait.agent_message_id or "")
        if start is None or end is None:
            continue
        seconds = _wait(ctx, start.sent_at, end.sent_at, p.working_time)
        if seconds is not None and seconds > p.max_seconds:
            over.append((seconds, start.id, end.id))
    if not over:
        return None
    longest = max(over)
    extra = f"; {len(over)} waits over the limit" if len(over) > 1 else ""
    score = clamp01(graded(longest[0], p.max_seconds, p.span_seconds) + 0.05 * (len(over) - 1))
    return Flag(
        rule="long_customer_wait.v1",
        score=score,
        reason=f"customer waited {fmt_duration(longest[0])} {_unit(ctx, p.working_time)} for an answer "
        f"(limit {fmt_duration(p.max_seconds)}){extra}",
        evidence=[longest[1], longest[2]] + [i for _, a, b in over if (a, b) != longest[1:] for i in (a, b)][:8],
    )


def _is_first(ctx: RuleContext, customer_message_id: str) -> bool:
    ts = [t for t in turns(ctx) if t.customer]
    return bool(ts) and ts[0].messages[0].id == customer_message_id


@register_rule(
    "auto_reply_only.v1",
    params=AutoReplyOnlyParams,
    description="No human answer: only bots or auto-replies (an auto-reply promising an answer 'within N "
    "days' is not an answer), or nothing at all.",
)
def auto_reply_only(ctx: RuleContext, p: AutoReplyOnlyParams) -> Flag | None:
    msgs = [m for m in ctx.conv.messages if not m.is_internal]
    if any(m.is_answer for m in msgs):
        return None
    customers = customer_messages(ctx)
    if not customers:
        return None
    last = customers[-1]
    last_hits = hits(ctx, last)
    if last_hits.has("confirmation") and not last_hits.has("unhappy"):
        return None  # a bot solved it and the customer says so
    automated = [m for m in msgs if m.role is Role.bot or (m.role is Role.agent and m.is_automated)]
    customer_turns = sum(1 for t in turns(ctx) if t.customer)
    if automated:
        first_auto = msgs.index(automated[0])
        chased = sum(1 for m in msgs[first_auto + 1 :] if m.role is Role.customer)  # wrote again, unanswered
        promises = [h.text for m in automated for h in hits(ctx, m).get("promise_window")]
        score = p.automated_score + p.chase_bonus * chased + (p.promise_bonus if promises else 0.0)
        what = "an auto-reply" if all(m.role is Role.agent for m in automated) else "a bot"
        reason = f"no human answer; only {what} ({len(automated)} message{'s' if len(automated) > 1 else ''})"
        if promises:
            reason += f" promising '{promises[0]}'"
        if chased:
            reason += f"; the customer wrote again {chased} time{'s' if chased > 1 else ''}"
        evidence = [m.id for m in automated][:6] + [quoted(t) for t in promises[:1]]
        return Flag(rule="auto_reply_only.v1", score=clamp01(score), reason=reason, evidence=evidence)
    if not p.flag_unanswered:
        return None
    score = p.unanswered_score + p.chase_bonus * max(0, customer_turns - 1)
    return Flag(
        rule="auto_reply_only.v1",
        score=clamp01(score),
        reason=f"no answer at all to {len(customers)} customer message{'s' if len(customers) > 1 else ''}",
        evidence=[m.id for m in customers][:6],
    )
