"""What the rules need from the whole input: each group's usual exchange count and the mined templates.

Built in a first pass over the input (``qa_toolkit.flagging.build_corpus``) and kept small: per group
(team or channel) and per day, a count of conversations by number of exchanges; never the conversations.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from qa_toolkit.templates import TemplateIndex

NO_DAY = -1  # conversations without a known time


@dataclass(frozen=True)
class Baseline:
    """A group's usual exchange count: the percentile over ``size`` conversations."""

    kind: str
    group: str
    percentile: float
    value: float
    size: int


def group_value(kind: str, team: str | None, channel: str | None) -> str | None:
    value = team if kind == "team" else channel
    return value if value else None


def _day(when: datetime | date | None) -> int:
    if when is None:
        return NO_DAY
    return (when.date() if isinstance(when, datetime) else when).toordinal()


def _percentile(counts: Counter[int], q: float) -> float:
    """Linear-interpolated percentile of the values a Counter holds (as ``metrics.percentile``)."""
    total = sum(counts.values())
    pos = (total - 1) * q / 100.0
    lo_i, hi_i = math.floor(pos), math.ceil(pos)
    lo = hi = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lo is None and seen > lo_i:
            lo = value
        if seen > hi_i:
            hi = value
            break
    assert lo is not None and hi is not None
    return float(lo + (hi - lo) * (pos - lo_i))


@dataclass
class ExchangeBaselines:
    """Exchange counts per group and day: {(kind, group): {day ordinal: Counter(exchanges -> conversations)}}."""

    counts: dict[tuple[str, str], dict[int, Counter[int]]] = field(default_factory=dict)
    _cache: dict[tuple, Baseline | None] = field(default_factory=dict, repr=False)

    def add(self, *, exchanges: int, team: str | None, channel: str | None, when: datetime | None) -> None:
        day = _day(when)
        for kind in ("team", "channel"):
            value = group_value(kind, team, channel)
            if value is None:
                continue
            self.counts.setdefault((kind, value), {}).setdefault(day, Counter())[exchanges] += 1
        self._cache.clear()

    def baseline(
        self,
        kind: str,
        group: str | None,
        *,
        when: datetime | None,
        percentile: float,
        window_days: int,
        min_group_size: int,
    ) -> Baseline | None:
        """The group's percentile over the ``window_days`` days up to and including the conversation's day
        (the input's first ``window_days`` days for a conversation within them; the whole input for a
        conversation without a time); None when the window holds fewer than ``min_group_size``."""
        if group is None:
            return None
        day = _day(when)
        key = (kind, group, day, percentile, window_days, min_group_size)
        if key in self._cache:
            return self._cache[key]
        days = self.counts.get((kind, group), {})
        known = [d for d in days if d != NO_DAY]
        # the window ends on the conversation's day; early in the input it is the input's first window_days
        start = max(day - window_days + 1, min(known, default=day))
        end = max(day, start + window_days - 1)
        merged: Counter[int] = Counter()
        for d, counter in days.items():
            if day == NO_DAY or (d != NO_DAY and start <= d <= end):
                merged.update(counter)
        size = sum(merged.values())
        result = (
            Baseline(kind, group, percentile, _percentile(merged, percentile), size) if size >= min_group_size else None
        )
        self._cache[key] = result
        return result

    def groups(self) -> dict[tuple[str, str], int]:
        """Conversations per group."""
        return {key: sum(sum(c.values()) for c in days.values()) for key, days in self.counts.items()}


@dataclass
class Corpus:
    """Everything computed over the whole input that the rules read (``RuleContext.corpus``)."""

    baselines: ExchangeBaselines = field(default_factory=ExchangeBaselines)
    templates: TemplateIndex | None = None
    conversations: int = 0
