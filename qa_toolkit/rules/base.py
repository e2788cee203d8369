"""What every thread rule shares: the Flag it returns, the context it reads, and the registry of rules.

A rule is a small pure function registered under a versioned name (``long_back_and_forth.v1``) with a
pydantic model of its named thresholds (the scorecard sets them). It returns a :class:`Flag` (score in
[0, 1], a one-line reason, evidence: message ids and quoted words) or ``None`` to abstain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa_toolkit.errors import QAError, UnknownNameError
from qa_toolkit.metrics import ThreadMetrics
from qa_toolkit.schema import ConversationIn


class Flag(BaseModel):
    """One rule's verdict on one thread."""

    model_config = ConfigDict(frozen=True)

    rule: str
    score: float = Field(ge=0.0, le=1.0)
    reason: str
    evidence: list[str] = Field(default_factory=list)


class LabelResult(BaseModel):
    """One classifier label of one reply (the scoring contract's inner object)."""

    label: str
    confidence: float
    evidence: list[str] = Field(default_factory=list)


class ReplyResult(BaseModel):
    """The four labels of one agent reply, as ``qa-toolkit score`` writes them."""

    message_id: str
    conversation_id: str | None = None
    tone: LabelResult
    personalisation: LabelResult
    apology: LabelResult
    resolution: LabelResult


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(BaseModel):
    """When the team works: waits are counted in working time only (a scorecard's ``[business_hours]``)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: time = time(9, 0)
    end: time = time(17, 0)
    always_open: bool = False

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d.lower() not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; valid: {', '.join(WEEKDAYS)}")
        return [d.lower() for d in v]


@dataclass
class RuleContext:
    """Everything a rule may read about one thread. ``replies`` holds classifier labels by message id where
    they exist (empty when the thread was not scored); ``corpus`` holds what was computed over the whole
    input (relative thresholds, mined templates), filled by the flagging pipeline."""

    conv: ConversationIn
    metrics: ThreadMetrics
    replies: Mapping[str, ReplyResult] = field(default_factory=dict)
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    corpus: Any = None


RuleFunc = Callable[[RuleContext, Any], Flag | None]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    func: RuleFunc
    params: type[BaseModel]
    description: str

    def __call__(self, ctx: RuleContext, params: BaseModel | None = None) -> Flag | None:
        return self.func(ctx, params if params is not None else self.params())


_RULES: dict[str, RuleSpec] = {}


def register_rule(name: str, *, params: type[BaseModel], description: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register ``func`` under ``name`` (``<rule>.v<N>``); a behaviour change gets a new N."""
    if "." not in name or not name.rsplit(".", 1)[1].startswith("v"):
        raise ValueError(f"rule names are <name>.v<N>, got {name!r}")

    def deco(func: RuleFunc) -> RuleFunc:
        if name in _RULES:
            raise ValueError(f"rule {name!r} registered twice")
        _RULES[name] = RuleSpec(name, func, params, description)
        return func

    return deco


def registered_rules() -> list[str]:
    return sorted(_RULES)


def get_rule(name: str) -> RuleSpec:
    try:
        return _RULES[name]
    except KeyError:
        raise UnknownNameError("rule", name, registered_rules()) from None


def validate_params(name: str, raw: Mapping[str, Any]) -> BaseModel:
    """The rule's thresholds from a scorecard table; an error names the rule, the key and what is allowed."""
    spec = get_rule(name)
    allowed = list(spec.params.model_fields)
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        raise QAError(f"rules.{name}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    try:
        return spec.params.model_validate(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise QAError(f"rules.{name}.{key}: {err['msg']}") from exc
