"""What every thread rule shares: the Flag it returns, the context it reads, and the registry of rules.

A rule is a small pure function registered under a versioned name (``long_back_and_forth.v1``) with a
pydantic model of its named thresholds (the scorecard sets them). It returns a :class:`Flag` (score in
[0, 1], a one-line reason, evidence: message ids and quoted words) or ``None`` to abstain.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

    @field_validator("score")
    @classmethod
    def _round(cls, v: float) -> float:
        return round(v, 4)


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
    end: time = time(17, 0)  # an end at or before the start means the shift runs past midnight
    always_open: bool = False
    holidays: list[date] = Field(default_factory=list)  # local dates with no working time

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d.lower() not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; valid: {', '.join(WEEKDAYS)}")
        return [d.lower() for d in v]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as 'Europe/Amsterdam' or 'UTC'") from None
        return v

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC interval in which the team works on the local ``day`` (None on a day off)."""
        if WEEKDAYS[day.weekday()] not in self.days or day in self.holidays:
            return None
        start = datetime.combine(day, self.start, tzinfo=self._zone)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=self._zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def working_seconds(self, start: datetime | None, end: datetime | None) -> float | None:
        """Seconds of working time between two times (wall-clock seconds when ``always_open``); None when
        either is unknown or ``end`` is before ``start``."""
        if start is None or end is None or end < start:
            return None
        if self.always_open:
            return (end - start).total_seconds()
        if not self.days:
            return 0.0
        zone = self._zone
        first = start.astimezone(zone).date() - timedelta(days=1)  # a shift past midnight starts the day before
        last = end.astimezone(zone).date()
        total = 0.0
        span_days = (last - first).days
        # whole weeks in the middle of a long wait are worth the same every week: count one, multiply
        weeks = max(0, (span_days - 16) // 7)
        if weeks:
            week_seconds = 0.0
            mid = first + timedelta(days=8)
            for i in range(7):
                interval = self._open_interval(mid + timedelta(days=i))
                if interval is not None:
                    week_seconds += (interval[1] - interval[0]).total_seconds()
            holiday_days = [h for h in self.holidays if mid <= h < mid + timedelta(days=7 * weeks)]
            if not holiday_days:
                total += weeks * week_seconds
                skip_from, skip_to = mid, mid + timedelta(days=7 * weeks)
            else:
                weeks = 0
        day = first
        while day <= last:
            if weeks and skip_from <= day < skip_to:
                day = skip_to
                continue
            interval = self._open_interval(day)
            if interval is not None:
                lo, hi = max(start, interval[0]), min(end, interval[1])
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


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
    cache: dict[str, Any] = field(default_factory=dict)  # per-thread scratch space shared by the rules


RuleFunc = Callable[[RuleContext, Any], Flag | None]


def clamp01(value: float) -> float:
    """``value`` limited to [0, 1] (NaN counts as 0)."""
    if value != value:  # NaN
        return 0.0
    return min(1.0, max(0.0, float(value)))


def graded(value: float, threshold: float, span: float, *, floor: float = 0.5) -> float:
    """A score for ``value`` over ``threshold``: ``floor`` just over it, rising smoothly towards 1 (about
    ``floor + 0.63 * (1 - floor)`` one ``span`` over), so that further over ranks higher; 0 at or below."""
    if value <= threshold:
        return 0.0
    return clamp01(floor + (1.0 - floor) * (1.0 - math.exp(-(value - threshold) / max(span, 1e-9))))


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
