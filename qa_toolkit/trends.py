"""Pure pandas builders for the managers' trends: rows aggregated by the store in, tidy frames out.

Scores per period and group carry the number of conversations behind each point and a 95% interval of
the mean from Student's t distribution (exact from n, the sum and the sum of squares); flag rates carry a
Wilson 95% interval. No database and no Streamlit here (see db.trend_queries for the queries, app/ for pages).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_toolkit.metrics import percentile

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EXCHANGES_CAP = 10
"""Conversations with this many exchanges or more share the last bar of the distribution."""
Z95 = 1.959963984540054
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _names(names: Mapping[str, str] | None) -> Mapping[str, str]:
    return names or {}


def _label(group: Any, names: Mapping[str, str]) -> str:
    return names.get(str(group), str(group))


def _periods(values: Iterable[Any]) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype="object"), format="%Y-%m-%d")


def t_interval(n: int, mean: float, sd: float, *, level: float = 0.95) -> tuple[float, float]:
    """The ``level`` interval of a mean from ``n`` values with sample standard deviation ``sd`` (Student's t);
    NaN bounds when n < 2."""
    if n < 2 or not math.isfinite(sd):
        return (math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return (mean - half, mean + half)


def wilson_interval(k: int, n: int) -> tuple[float, float]:
    """Wilson's 95% interval of a proportion k/n; NaN bounds when n is 0."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


SCORE_COLUMNS = ["period", "group", "label", "kind", "n", "mean", "sd", "low", "high"]


def score_frame(rows: Sequence[Mapping[str, Any]], *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Mean score per period, group and kind (automatic or reviewed, never mixed) with ``n`` (the
    conversations behind the point), the sample standard deviation and the t interval (``low``, ``high``).

    ``rows`` hold period, group, kind, n, total and total_sq (see db.trend_queries.trend_scores)."""
    names = _names(names)
    records = []
    for r in rows:
        n = int(r["n"] or 0)
        if n == 0:
            continue
        total, total_sq = float(r["total"] or 0.0), float(r["total_sq"] or 0.0)
        mean = total / n
        var = max(0.0, (total_sq - n * mean * mean) / (n - 1)) if n > 1 else math.nan
        sd = math.sqrt(var) if n > 1 else math.nan
        low, high = t_interval(n, mean, sd)
        records.append(
            {
                "period": r["period"],
                "group": str(r["group"]),
                "label": _label(r["group"], names),
                "kind": r["kind"],
                "n": n,
                "mean": mean,
                "sd": sd,
                "low": low,
                "high": high,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=SCORE_COLUMNS)
    frame["period"] = _periods(frame["period"])
    for col in ("low", "high"):  # an interval never leaves the scale
        frame[col] = frame[col].clip(lower=0.0, upper=100.0)
    return frame.sort_values(["kind", "period", "label"], ignore_index=True)


TRAFFIC_COLUMNS = ["period", "group", "label", "conversations", "replies", "replies_per_conversation"]


def traffic_frame(rows: Sequence[Mapping[str, Any]], *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Conversations and agent replies per period and group (db.trend_queries.trend_traffic rows)."""
    names = _names(names)
    frame = pd.DataFrame.from_records(
        [
            {
                "period": r["period"],
                "group": str(r["group"]),
                "label": _label(r["group"], names),
                "conversations": int(r.get("conversations") or 0),
                "replies": int(r.get("replies") or 0),
            }
            for r in rows
        ],
        columns=TRAFFIC_COLUMNS[:-1],
    )
    frame["period"] = _periods(frame["period"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = frame["replies"] / frame["conversations"].where(frame["conversations"] > 0)
    frame["replies_per_conversation"] = ratio.astype(float).round(2)
    return frame.sort_values(["period", "label"], ignore_index=True)


def traffic_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Per group: days with traffic, conversations and replies, and their means per active day."""
    if frame.empty:
        return pd.DataFrame(
            columns=["group", "label", "days", "conversations", "replies", "conversations_per_day", "replies_per_day"]
        )
    out = (
        frame.groupby(["group", "label"], as_index=False)
        .agg(days=("period", "nunique"), conversations=("conversations", "sum"), replies=("replies", "sum"))
        .sort_values(["conversations", "replies"], ascending=False, ignore_index=True)
    )
    out["conversations_per_day"] = (out["conversations"] / out["days"]).round(2)
    out["replies_per_day"] = (out["replies"] / out["days"]).round(2)
    return out


HEATMAP_COLUMNS = [
    "weekday",
    "day",
    "hour",
    "conversations",
    "replies",
    "conversations_per_reply",
    "mean_first_response_minutes",
]


def heatmap_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """All 7 x 24 weekday and hour cells (of the time zone the store counted them in), empty ones as zero:
    conversations arriving, agent replies sent, conversations per reply (high = more arrive than are
    answered then: a staffing gap) and the mean first response of the conversations that arrived then."""
    cells = {(int(r["weekday"]), int(r["hour"])): r for r in rows}
    records = []
    for wd in range(7):
        for hour in range(24):
            r = cells.get((wd, hour), {})
            convs = int(r.get("conversations") or 0)
            replies = int(r.get("replies") or 0)
            frt_n = int(r.get("first_response_n") or 0)
            frt_total = r.get("first_response_total")
            records.append(
                {
                    "weekday": wd,
                    "day": WEEKDAYS[wd],
                    "hour": hour,
                    "conversations": convs,
                    "replies": replies,
                    "conversations_per_reply": round(convs / replies, 2)
                    if replies
                    else (math.nan if not convs else math.inf),
                    "mean_first_response_minutes": round(float(frt_total) / frt_n / 60, 1)
                    if frt_n and frt_total is not None
                    else math.nan,
                }
            )
    return pd.DataFrame.from_records(records, columns=HEATMAP_COLUMNS)


FLAG_COLUMNS = ["period", "group", "label", "rule", "scored", "flagged", "rate", "low", "high"]


def flag_rate_frame(rows: Sequence[Mapping[str, Any]], *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per period, group and rule: scored conversations, flagged ones, the rate and its Wilson interval.
    Every rule seen anywhere gets a row for every period and group (zero when it did not fire)."""
    names = _names(names)
    scored: dict[tuple[str, str], int] = {}
    flagged: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (r["period"], str(r["group"]))
        scored[key] = int(r["scored"] or 0)
        if r.get("rule"):
            flagged[(*key, r["rule"])] = int(r["flagged"] or 0)
    rules = sorted({k[2] for k in flagged})
    records = []
    for (period, group), n in sorted(scored.items()):
        for rule in rules:
            k = flagged.get((period, group, rule), 0)
            low, high = wilson_interval(k, n)
            records.append(
                {
                    "period": period,
                    "group": group,
                    "label": _label(group, names),
                    "rule": rule,
                    "scored": n,
                    "flagged": k,
                    "rate": k / n if n else math.nan,
                    "low": low,
                    "high": high,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=FLAG_COLUMNS)
    frame["period"] = _periods(frame["period"])
    return frame


RESPONSE_COLUMNS = ["period", "group", "label", "n", "median_minutes", "p90_minutes"]


def response_frame(values: Iterable[tuple[str, str, float]], *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Median and p90 first response (minutes) per period and group, with the number of conversations."""
    names = _names(names)
    by_point: dict[tuple[str, str], list[float]] = {}
    for period, group, seconds in values:
        by_point.setdefault((period, str(group)), []).append(float(seconds))
    records = []
    for (period, group), secs in sorted(by_point.items()):
        median, p90 = percentile(secs, 50), percentile(secs, 90)
        records.append(
            {
                "period": period,
                "group": group,
                "label": _label(group, names),
                "n": len(secs),
                "median_minutes": None if median is None else round(median / 60, 1),
                "p90_minutes": None if p90 is None else round(p90 / 60, 1),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=RESPONSE_COLUMNS)
    frame["period"] = _periods(frame["period"])
    return frame


EXCHANGE_COLUMNS = ["group", "label", "exchanges", "bucket", "conversations", "share"]


def exchanges_frame(
    rows: Sequence[Mapping[str, Any]], *, names: Mapping[str, str] | None = None, cap: int = EXCHANGES_CAP
) -> pd.DataFrame:
    """The distribution of back-and-forth exchanges per group: conversations and their share of the
    group, with ``cap`` or more in one bucket (``exchanges`` = cap, ``bucket`` "10+")."""
    names = _names(names)
    counts: dict[tuple[str, int], int] = {}
    for r in rows:
        ex = min(int(r["exchanges"] or 0), cap)
        key = (str(r["group"]), ex)
        counts[key] = counts.get(key, 0) + int(r["conversations"] or 0)
    totals: dict[str, int] = {}
    for (group, _), n in counts.items():
        totals[group] = totals.get(group, 0) + n
    records = [
        {
            "group": group,
            "label": _label(group, names),
            "exchanges": ex,
            "bucket": f"{ex}+" if ex == cap else str(ex),
            "conversations": n,
            "share": n / totals[group] if totals[group] else math.nan,
        }
        for (group, ex), n in sorted(counts.items())
    ]
    return pd.DataFrame.from_records(records, columns=EXCHANGE_COLUMNS)


TEMPLATE_COLUMNS = ["template", "uses", "conversations", "agents"]


def templates_frame(rows: Sequence[Mapping[str, Any]], *, top: int | None = None) -> pd.DataFrame:
    """The most used canned replies (db.trend_queries.template_uses rows), most used first."""
    frame = pd.DataFrame.from_records(
        [{k: r[k] for k in TEMPLATE_COLUMNS} for r in rows], columns=TEMPLATE_COLUMNS
    ).sort_values(["uses", "conversations", "template"], ascending=[False, False, True], ignore_index=True)
    return frame.head(top) if top is not None else frame


def top_groups(frame: pd.DataFrame, *, weight: str, n: int = 8) -> list[str]:
    """The ``n`` groups with the largest total ``weight`` (ties by name)."""
    if frame.empty:
        return []
    totals = frame.groupby("group")[weight].sum().reset_index()
    totals = totals.sort_values([weight, "group"], ascending=[False, True])
    return totals["group"].head(n).tolist()


def csv_safe(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula (text starting with = + - @ gets a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV for a download: no index, text cells guarded against formulas."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe)
    return out.to_csv(index=False).encode("utf-8")
