"""template_reuse: agent replies that are the team's canned replies, mined from the whole input."""

from __future__ import annotations

from qa_toolkit.rules.base import Flag, RuleContext, clamp01, register_rule
from qa_toolkit.rules.params import TemplateReuseParams
from qa_toolkit.rules.thread import answered_turns, quoted, specifics

NAME = "template_reuse.v1"


@register_rule(
    NAME,
    params=TemplateReuseParams,
    description="Near-duplicate agent replies mined from the whole input (named by a representative text); "
    "higher when a canned reply answered a customer who gave specifics. Needs the corpus pass.",
)
def template_reuse(ctx: RuleContext, p: TemplateReuseParams) -> Flag | None:
    index = getattr(ctx.corpus, "templates", None)
    if index is None or not len(index):
        return None
    matches = ctx.cache.setdefault("templates", {})
    uses = []
    for customer, agent in answered_turns(ctx):
        for msg in agent:
            if msg.id not in matches:
                matches[msg.id] = index.match(msg.text)
            template = matches[msg.id]
            if template is not None:
                uses.append((msg, template, bool(specifics(ctx, customer))))
    if not uses:
        return None
    to_specifics = any(s for _, _, s in uses)
    score = p.base_score + p.repeat_bonus * (len(uses) - 1) + (p.specifics_bonus if to_specifics else 0.0)
    _, top, _ = max(uses, key=lambda u: u[1].uses)
    agents = len(top.agents)
    reason = f'canned reply "{top.name[:70]}" (used {top.uses} times by {agents} agent{"s" if agents != 1 else ""})'
    if len(uses) > 1:
        reason = f"{len(uses)} canned replies; " + reason
    if to_specifics:
        reason += " to a customer who gave specifics"
    evidence = [m.id for m, _, _ in uses][:8] + [quoted(top.name)]
    return Flag(rule=NAME, score=clamp01(score), reason=reason, evidence=evidence)
