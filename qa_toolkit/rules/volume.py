"""long_back_and_forth: more exchanges than the scorecard allows, or than the team's or channel's usual count.

v2 counts per customer when several customers write in one thread (a public Twitter reply tree where ten
customers each get one answer is not "ten rounds" for anyone): the largest count any one customer had.
"""

from __future__ import annotations

from qa_toolkit.metrics import compute_metrics
from qa_toolkit.rules.base import Flag, RuleContext, graded, register_rule
from qa_toolkit.rules.corpus import group_value
from qa_toolkit.rules.params import LongBackAndForthParams, LongBackAndForthV2Params
from qa_toolkit.rules.thread import answered_turns, per_customer, turns_of

NAME = "long_back_and_forth.v1"
NAME_V2 = "long_back_and_forth.v2"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@register_rule(
    NAME,
    params=LongBackAndForthParams,
    description="More exchanges than the absolute limit, or above the team's / channel's usual count "
    "(a percentile over a rolling window of the input).",
)
def long_back_and_forth(ctx: RuleContext, p: LongBackAndForthParams) -> Flag | None:
    return _long(ctx, p, NAME, ctx.metrics.exchanges, "exchanges")


@register_rule(
    NAME_V2,
    params=LongBackAndForthV2Params,
    description="As v1, but with several customers in one thread each customer's own exchanges count "
    "(the largest), not the whole reply tree's.",
)
def long_back_and_forth_v2(ctx: RuleContext, p: LongBackAndForthV2Params) -> Flag | None:
    per = per_customer(ctx) if p.per_customer else {}
    if not per:
        return _long(ctx, p, NAME_V2, ctx.metrics.exchanges, "exchanges")
    counts = {author: compute_metrics(msgs).exchanges for author, msgs in per.items()}
    author = max(counts, key=lambda a: (counts[a], a))
    ts = turns_of(per[author])
    answers = [ts[i + 1].messages[0].id for i, t in enumerate(ts[:-1]) if t.customer]
    what = f"exchanges with customer {author} ({len(per)} customers in the thread)"
    return _long(ctx, p, NAME_V2, counts[author], what, evidence=answers)


def _long(
    ctx: RuleContext,
    p: LongBackAndForthParams,
    name: str,
    n: int,
    what: str,
    evidence: list[str] | None = None,
) -> Flag | None:
    """The flag for ``n`` exchanges against the absolute limit and the group baselines (which count whole
    threads: for one customer's count in a multi-customer thread they are a little generous)."""
    if n <= 0:
        return None
    candidates: list[tuple[float, str]] = []
    if n > p.max_exchanges:
        candidates.append((float(p.max_exchanges), f"the limit is {p.max_exchanges}"))
    baselines = getattr(ctx.corpus, "baselines", None)
    if baselines is not None and n >= p.min_exchanges:
        for kind in p.group_by:
            base = baselines.baseline(
                kind,
                group_value(kind, ctx.conv.team, ctx.conv.channel),
                when=ctx.conv.created_at,
                percentile=p.percentile,
                window_days=p.window_days,
                min_group_size=p.min_group_size,
            )
            if base is not None and n > base.value:
                candidates.append(
                    (base.value, f"{kind} {base.group} p{_fmt(p.percentile)} is {_fmt(base.value)} (n={base.size})")
                )
    if not candidates:
        return None
    threshold, why = min(candidates)
    if evidence is None:
        evidence = [answer[0].id for _, answer in answered_turns(ctx)]
    evidence = evidence[:12]
    return Flag(rule=name, score=graded(n, threshold, p.span), reason=f"{n} {what}; {why}", evidence=evidence)
