"""long_back_and_forth: more exchanges than the scorecard allows, or than the team's or channel's usual count."""

from __future__ import annotations

from qa_toolkit.rules.base import Flag, RuleContext, graded, register_rule
from qa_toolkit.rules.corpus import group_value
from qa_toolkit.rules.params import LongBackAndForthParams
from qa_toolkit.rules.thread import answered_turns

NAME = "long_back_and_forth.v1"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@register_rule(
    NAME,
    params=LongBackAndForthParams,
    description="More exchanges than the absolute limit, or above the team's / channel's usual count "
    "(a percentile over a rolling window of the input).",
)
def long_back_and_forth(ctx: RuleContext, p: LongBackAndForthParams) -> Flag | None:
    n = ctx.metrics.exchanges
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
    evidence = [answer[0].id for _, answer in answered_turns(ctx)][:12]
    return Flag(rule=NAME, score=graded(n, threshold, p.span), reason=f"{n} exchanges; {why}", evidence=evidence)
