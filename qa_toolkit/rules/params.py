"""The named thresholds of every thread rule (a scorecard's ``[rules."<name>.vN"]`` table sets them).

Each model forbids unknown keys, so a typo in a scorecard is an error that names the key and the allowed
ones (``validate_params``). Defaults are a sensible reading of the labelling guide, not tuned on the hand
judgements (docs/rules.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HOUR = 3600.0


class RuleParams(BaseModel):
    """Base of every rule's thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LongBackAndForthParams(RuleParams):
    max_exchanges: int = Field(3, ge=1, description="absolute: flag a thread with more exchanges than this")
    percentile: float = Field(90.0, gt=0, lt=100, description="relative: flag above this percentile of the group")
    group_by: list[Literal["team", "channel"]] = Field(
        default_factory=lambda: ["team", "channel"], description="groups whose usual count is compared"
    )
    window_days: int = Field(28, ge=1, description="the group's usual count: conversations of the last N days")
    min_group_size: int = Field(30, ge=2, description="a group baseline needs this many conversations in the window")
    min_exchanges: int = Field(3, ge=1, description="relative flags only from this many exchanges")
    span: float = Field(3.0, gt=0, description="exchanges over the threshold where the score reaches about 0.8")


class LongBackAndForthV2Params(LongBackAndForthParams):
    per_customer: bool = Field(
        True,
        description="several customers in one thread (a public reply tree): count each customer's own exchanges "
        "and take the largest",
    )


class SlowFirstResponseParams(RuleParams):
    max_seconds: float = Field(4 * HOUR, gt=0, description="first response limit (working time)")
    working_time: bool = Field(True, description="count business hours only (the scorecard's [business_hours])")
    span_seconds: float = Field(8 * HOUR, gt=0, description="seconds over the limit where the score is about 0.8")


class LongCustomerWaitParams(RuleParams):
    max_seconds: float = Field(8 * HOUR, gt=0, description="limit for any wait for an answer (working time)")
    working_time: bool = Field(True, description="count business hours only")
    include_first: bool = Field(False, description="also count the first wait (slow_first_response covers it)")
    span_seconds: float = Field(16 * HOUR, gt=0, description="seconds over the limit where the score is about 0.8")


class AutoReplyOnlyParams(RuleParams):
    flag_unanswered: bool = Field(True, description="also flag threads with no reply of any kind")
    automated_score: float = Field(0.75, ge=0, le=1, description="score when only bots / auto-replies answered")
    unanswered_score: float = Field(0.55, ge=0, le=1, description="score when nothing answered at all")
    chase_bonus: float = Field(0.1, ge=0, le=1, description="added for every further customer turn")
    promise_bonus: float = Field(0.1, ge=0, le=1, description="added when an auto-reply promised 'within N days'")


class TemplatedApologyParams(RuleParams):
    min_confidence: float = Field(0.5, ge=0, le=1, description="apology label confidence needed")
    lexicon_confidence: float = Field(0.8, ge=0, le=1, description="confidence given to a lexicon match")
    base_score: float = Field(0.6, ge=0, le=1, description="one templated apology, before confidence")
    repeat_bonus: float = Field(0.2, ge=0, le=1, description="added per further templated apology in the thread")
    specifics_bonus: float = Field(0.1, ge=0, le=1, description="added when the customer described a concrete case")


class UnfriendlyReplyParams(RuleParams):
    min_confidence: float = Field(0.5, ge=0, le=1, description="tone=unfriendly confidence needed")
    lexicon_score: float = Field(0.6, ge=0, le=1, description="score of one strong cold / dismissive phrase")
    weak_lexicon_score: float = Field(0.3, ge=0, le=1, description="score of a weak one ('obviously', 'please read')")
    repeat_bonus: float = Field(0.1, ge=0, le=1, description="added per further unfriendly reply")


class GenericReplyParams(RuleParams):
    min_confidence: float = Field(0.5, ge=0, le=1, description="personalisation=generic confidence needed")
    min_specifics: int = Field(1, ge=1, description="specifics the customer must have given (order no., device ...)")
    lexicon_confidence: float = Field(0.6, ge=0, le=1, description="confidence of the text fallback")
    max_stock_words: int = Field(25, ge=1, description="text fallback: at most this many words beyond stock phrases")
    repeat_bonus: float = Field(0.1, ge=0, le=1, description="added per further generic reply to specifics")


class GenericReplyV2Params(RuleParams):
    min_confidence: float = Field(0.6, ge=0, le=1, description="personalisation=generic confidence needed")
    min_specifics: int = Field(1, ge=1, description="order no., device ... that count as a case without a question")
    lexicon_confidence: float = Field(0.75, ge=0, le=1, description="confidence of the text fallback")
    max_stock_words: int = Field(25, ge=1, description="text fallback: at most this many words beyond stock phrases")
    repeat_bonus: float = Field(0.1, ge=0, le=1, description="added per further generic reply to a concrete case")


class UnresolvedEndParams(RuleParams):
    min_confidence: float = Field(0.5, ge=0, le=1, description="resolution label confidence needed")
    unanswered_score: float = Field(0.8, ge=0, le=1, description="the customer's last turn got no human answer")
    unhappy_score: float = Field(0.85, ge=0, le=1, description="the customer's last words are unhappy")
    no_progress_score: float = Field(0.55, ge=0, le=1, description="the last answer only acknowledges")
    handoff_score: float = Field(0.35, ge=0, le=1, description="the thread stops after a hand-off ('DM us')")
    use_satisfaction: bool = Field(True, description="a bad CSAT rating counts as unhappy, a good one as resolved")


class UnresolvedEndV2Params(RuleParams):
    min_confidence: float = Field(0.5, ge=0, le=1, description="resolution / apology label confidence needed")
    unanswered_score: float = Field(0.8, ge=0, le=1, description="the customer's last question got no answer")
    unhappy_score: float = Field(
        0.85, ge=0, le=1, description="the customer's last words are unhappy and get no answer, or a non-answer"
    )
    unhappy_answered_score: float = Field(
        0.45, ge=0, le=1, description="the customer's last words are unhappy; the last reply answers or hands off"
    )
    no_progress_score: float = Field(
        0.6, ge=0, le=1, description="the customer asked or complained; the last reply only acknowledges"
    )
    handoff_score: float = Field(0.3, ge=0, le=1, description="the thread stops after a hand-off ('DM us'): unclear")
    use_satisfaction: bool = Field(True, description="a bad CSAT rating counts as unhappy, a good one as resolved")


class RepeatedInfoRequestParams(RuleParams):
    base_score: float = Field(0.6, ge=0, le=1, description="one request for something already given")
    repeat_bonus: float = Field(0.15, ge=0, le=1, description="added per further such request")
    count_own_repeats: bool = Field(
        True, description="the agent asking again for the same thing after the customer answered counts too"
    )


class ProcessBlameParams(RuleParams):
    base_score: float = Field(0.65, ge=0, le=1, description="one blaming phrase")
    repeat_bonus: float = Field(0.15, ge=0, le=1, description="added per further blaming phrase")
    unfriendly_bonus: float = Field(0.1, ge=0, le=1, description="added when the same reply is labelled unfriendly")


class EscalationRequestParams(RuleParams):
    manager_score: float = Field(0.6, ge=0, le=1, description="asks for a manager / supervisor / complaint")
    churn_score: float = Field(0.7, ge=0, le=1, description="threatens to leave or cancel")
    legal_score: float = Field(0.8, ge=0, le=1, description="threatens legal or regulator action")
    repeat_bonus: float = Field(0.1, ge=0, le=1, description="added per further customer message that escalates")


class CustomerAskedAgainParams(RuleParams):
    pushback_score: float = Field(
        0.6, ge=0, le=1, description="a customer turn after an answer says it missed the point or did not work"
    )
    restated_score: float = Field(
        0.55, ge=0, le=1, description="a customer turn after an answer restates an earlier one (same content words)"
    )
    min_overlap: float = Field(
        0.4, gt=0, le=1, description="content-word overlap with an earlier customer turn that counts as restating"
    )
    min_words: int = Field(4, ge=1, description="content words both turns need before their overlap counts")
    repeat_bonus: float = Field(0.15, ge=0, le=1, description="added per further customer turn that asks again")
    both_bonus: float = Field(0.1, ge=0, le=1, description="added when one turn both pushes back and restates")


class TemplateReuseParams(RuleParams):
    min_similarity: float = Field(0.7, gt=0, le=1, description="word-shingle Jaccard of two replies of one template")
    min_uses: int = Field(5, ge=2, description="a template is a reply used at least this often in the input")
    min_words: int = Field(6, ge=1, description="shorter replies ('Thanks!') are not templates")
    base_score: float = Field(0.25, ge=0, le=1, description="one canned reply in the thread")
    repeat_bonus: float = Field(0.15, ge=0, le=1, description="added per further canned reply in the thread")
    specifics_bonus: float = Field(0.25, ge=0, le=1, description="added when a canned reply answered specifics")
    max_clusters: int = Field(20000, ge=100, description="memory bound of the miner (candidate templates kept)")


PARAMS: dict[str, type[RuleParams]] = {
    "long_back_and_forth.v1": LongBackAndForthParams,
    "long_back_and_forth.v2": LongBackAndForthV2Params,
    "slow_first_response.v1": SlowFirstResponseParams,
    "long_customer_wait.v1": LongCustomerWaitParams,
    "auto_reply_only.v1": AutoReplyOnlyParams,
    "templated_apology.v1": TemplatedApologyParams,
    "unfriendly_reply.v1": UnfriendlyReplyParams,
    "generic_reply.v1": GenericReplyParams,
    "generic_reply.v2": GenericReplyV2Params,
    "unresolved_end.v1": UnresolvedEndParams,
    "unresolved_end.v2": UnresolvedEndV2Params,
    "repeated_info_request.v1": RepeatedInfoRequestParams,
    "process_blame.v1": ProcessBlameParams,
    "escalation_request.v1": EscalationRequestParams,
    "template_reuse.v1": TemplateReuseParams,
    "customer_asked_again.v1": CustomerAskedAgainParams,
}
"""Every rule's params model by rule name (the rules register with these)."""
