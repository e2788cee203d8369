"""How far reviewers agree with the model, and with each other (pure: verdict rows in, pandas tables out).

A verdict row is one reviewer's verdict on one reply label (``kind`` "label": tone, personalisation,
apology, resolution) or on one scorecard category (``kind`` "category") of a finished review, with the
model's value beside it (``db.results.label_verdict_rows`` / ``category_verdict_rows`` give them).

Labels are compared as they are. Category values (0-100, or None for N/A) are compared in bands
(:data:`CATEGORY_BANDS`: N/A, 0-24, 25-49, 50-74, 75-100) for accuracy, kappa and the confusion matrix;
``changed`` (the reviewer's value differs from the automatic one at all) and the mean absolute difference
use the values themselves.

Every figure comes with the number of verdicts (``n``) and of reviews (``reviews``) behind it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from qa_toolkit.scorecard import REPLY_LABELS

LABEL = "label"
CATEGORY = "category"
NA = "N/A"
CATEGORY_BANDS = (NA, "0-24", "25-49", "50-74", "75-100")
PERIODS = ("week", "month")
UNKNOWN_AGENT = "(unknown)"

COLUMNS = (
    "kind",
    "target",
    "review_id",
    "reviewer",
    "conversation_id",
    "item",
    "model",
    "human",
    "model_value",
    "human_value",
    "agent",
    "agent_id",
    "team",
    "channel",
    "language",
    "reviewed_at",
    "created_at",
)
SUMMARY_COLUMNS = ("n", "reviews", "conversations", "agreed", "accuracy", "kappa", "changed", "mean_abs_diff")


def category_band(value: float | None) -> str:
    """The band of a category value: N/A, 0-24, 25-49, 50-74 or 75-100."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    v = float(value)
    if v < 25:
        return "0-24"
    if v < 50:
        return "25-49"
    if v < 75:
        return "50-74"
    return "75-100"


def _when(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


def verdict_frame(
    label_rows: Iterable[Mapping[str, Any]] = (), category_rows: Iterable[Mapping[str, Any]] = ()
) -> pd.DataFrame:
    """One row per verdict (columns :data:`COLUMNS`) from the store's label and category verdict rows.

    Label verdicts without a model label (nothing to compare with) are left out."""
    rows: list[dict[str, Any]] = []
    for r in label_rows:
        if r.get("model_label") is None:
            continue
        rows.append(
            {
                "kind": LABEL,
                "target": r["label_name"],
                "review_id": r["review_id"],
                "reviewer": r["reviewer"],
                "conversation_id": r["conversation_id"],
                "item": r["message_external_id"],
                "model": r["model_label"],
                "human": r["reviewer_label"],
                "model_value": None,
                "human_value": None,
                "agent": r.get("agent") or r.get("agent_id") or UNKNOWN_AGENT,
                "agent_id": r.get("agent_id"),
                "team": r.get("team"),
                "channel": r.get("channel"),
                "language": r.get("language"),
                "reviewed_at": _when(r.get("finished_at")),
                "created_at": _when(r.get("created_at")),
            }
        )
    for r in category_rows:
        model_value, human_value = r.get("model_value"), r.get("reviewer_value")
        rows.append(
            {
                "kind": CATEGORY,
                "target": r["category"],
                "review_id": r["review_id"],
                "reviewer": r["reviewer"],
                "conversation_id": r["conversation_id"],
                "item": "",
                "model": category_band(model_value),
                "human": category_band(human_value),
                "model_value": None if model_value is None else float(model_value),
                "human_value": None if human_value is None else float(human_value),
                "agent": r.get("agent") or r.get("agent_id") or UNKNOWN_AGENT,
                "agent_id": r.get("agent_id"),
                "team": r.get("team"),
                "channel": r.get("channel"),
                "language": r.get("language"),
                "reviewed_at": _when(r.get("finished_at")),
                "created_at": _when(r.get("created_at")),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def classes_of(kind: str, target: str, values: Iterable[str] = ()) -> list[str]:
    """The values a label or category can take, in their usual order (plus any unexpected ones seen)."""
    base = list(REPLY_LABELS.get(target, ())) if kind == LABEL else list(CATEGORY_BANDS)
    extra = sorted({v for v in values if v not in base})
    return base + extra


def kappa(first: Sequence[str], second: Sequence[str], *, labels: Sequence[str] | None = None) -> float | None:
    """Cohen's kappa of two raters (scikit-learn); None when it is undefined (no verdicts, or both raters
    gave one and the same value throughout, so chance agreement is 1)."""
    if len(first) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = cohen_kappa_score(list(first), list(second), labels=list(labels) if labels else None)
        except ValueError:
            return None
    return None if value is None or math.isnan(value) else float(value)


def _changed(group: pd.DataFrame) -> float:
    if group["kind"].iloc[0] == LABEL:
        return float((group["model"] != group["human"]).mean())
    diff = [
        (m is None or math.isnan(m)) != (h is None or math.isnan(h))
        or (m is not None and h is not None and not math.isnan(m) and not math.isnan(h) and abs(m - h) >= 0.5)
        for m, h in zip(group["model_value"], group["human_value"], strict=True)
    ]
    return float(sum(diff) / len(diff))


def _mean_abs_diff(group: pd.DataFrame) -> float | None:
    if group["kind"].iloc[0] == LABEL:
        return None
    both = group.dropna(subset=["model_value", "human_value"])
    if both.empty:
        return None
    return float((both["model_value"] - both["human_value"]).abs().mean())


def _summary(group: pd.DataFrame, kind: str, target: str) -> dict[str, Any]:
    agreed = int((group["model"] == group["human"]).sum())
    n = len(group)
    return {
        "n": n,
        "reviews": int(group["review_id"].nunique()),
        "conversations": int(group["conversation_id"].nunique()),
        "agreed": agreed,
        "accuracy": agreed / n if n else None,
        "kappa": kappa(group["human"].tolist(), group["model"].tolist(), labels=classes_of(kind, target)),
        "changed": _changed(group) if n else None,
        "mean_abs_diff": _mean_abs_diff(group) if n else None,
    }


def period_start(value: datetime | None, period: str) -> date | None:
    """The first day of the week (Monday) or month that ``value`` (UTC) falls in."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; valid: {', '.join(PERIODS)}")
    when = _when(value)
    if when is None:
        return None
    day = when.date()
    return day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(REPLY_LABELS)}
    keys = frame.assign(_k=frame["kind"].map({LABEL: 0, CATEGORY: 1}), _t=frame["target"].map(order).fillna(99))
    return keys.sort_values(["_k", "_t", "target"], kind="stable").drop(columns=["_k", "_t"])


def model_agreement(
    frame: pd.DataFrame, *, by: str | None = None, period: str | None = None, time_column: str = "reviewed_at"
) -> pd.DataFrame:
    """Model vs reviewer for each label and category: ``n`` verdicts, ``reviews`` and ``conversations``
    behind them, ``agreed``, ``accuracy`` (share the reviewer left as the model had it), Cohen's ``kappa``,
    ``changed`` (share the reviewer changed) and, for categories, ``mean_abs_diff``.

    ``by`` groups further by a column (``agent``, ``reviewer``, ``team`` ...); ``period`` ("week" or
    "month") by the period of ``time_column`` (``reviewed_at`` or ``created_at``; rows without a time are
    left out). One row per kind, target and group."""
    keys = ["kind", "target"]
    data = frame
    if period is not None:
        data = frame.assign(period=[period_start(v, period) for v in frame[time_column]])
        data = data[data["period"].notna()]
        keys.append("period")
    if by is not None:
        keys.append(by)
    if data.empty:
        return pd.DataFrame(columns=[*keys, *SUMMARY_COLUMNS])
    out = [
        {**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)), **_summary(g, key[0], key[1])}
        for key, g in data.groupby(keys, sort=True, dropna=False)
    ]
    result = _order(pd.DataFrame(out, columns=[*keys, *SUMMARY_COLUMNS]))
    return result.reset_index(drop=True)


def confusion(frame: pd.DataFrame, *, kind: str, target: str) -> pd.DataFrame:
    """Counts of (reviewer's value, model's value) for one label or category: rows are the reviewer's
    value, columns the model's, in the label's usual order (every possible value shown)."""
    rows = frame[(frame["kind"] == kind) & (frame["target"] == target)]
    labels = classes_of(kind, target, [*rows["human"], *rows["model"]])
    table = pd.DataFrame(0, index=pd.Index(labels, name="reviewer"), columns=pd.Index(labels, name="model"))
    for (human, model), n in rows.groupby(["human", "model"]).size().items():
        table.loc[human, model] = int(n)
    return table


def reviewer_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Where two reviewers (or more) finished a review of the same conversation: one row per pair of
    reviewers and item they both judged (``first`` is the reviewer whose name sorts first)."""
    columns = ["kind", "target", "conversation_id", "item", "first", "second", "first_value", "second_value"]
    out: list[dict[str, Any]] = []
    keyed = frame.sort_values(["reviewer"], kind="stable")
    for (kind, target, cid, item), g in keyed.groupby(["kind", "target", "conversation_id", "item"], sort=True):
        values = list(dict(zip(g["reviewer"], g["human"], strict=True)).items())  # one per reviewer
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                (a, va), (b, vb) = values[i], values[j]
                out.append(
                    {
                        "kind": kind,
                        "target": target,
                        "conversation_id": cid,
                        "item": item,
                        "first": a,
                        "second": b,
                        "first_value": va,
                        "second_value": vb,
                    }
                )
    return pd.DataFrame(out, columns=columns)


def reviewer_agreement(frame: pd.DataFrame, *, by_pair: bool = False) -> pd.DataFrame:
    """Reviewer vs reviewer on the items two reviewers both judged: ``pairs`` compared, ``conversations``
    behind them, ``agreed``, ``accuracy`` and Cohen's ``kappa`` pooled over reviewer pairs (the reviewer
    whose name sorts first is the first rater). ``by_pair`` gives one row per pair of reviewers too."""
    pairs = reviewer_pairs(frame)
    keys = ["kind", "target"] + (["first", "second"] if by_pair else [])
    columns = [*keys, "pairs", "conversations", "agreed", "accuracy", "kappa"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for key, g in pairs.groupby(keys, sort=True):
        agreed = int((g["first_value"] == g["second_value"]).sum())
        out.append(
            {
                **dict(zip(keys, key, strict=True)),
                "pairs": len(g),
                "conversations": int(g["conversation_id"].nunique()),
                "agreed": agreed,
                "accuracy": agreed / len(g),
                "kappa": kappa(
                    g["first_value"].tolist(), g["second_value"].tolist(), labels=classes_of(key[0], key[1])
                ),
            }
        )
    return _order(pd.DataFrame(out, columns=columns)).reset_index(drop=True)


def filter_verdicts(
    frame: pd.DataFrame,
    *,
    agents: Sequence[str] = (),
    teams: Sequence[str] = (),
    channels: Sequence[str] = (),
    languages: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
) -> pd.DataFrame:
    """The verdicts matching these filters (empty = any): ``agents`` are agent ids (the reply's author
    for a label, the conversation's assignee for a category); the dates bound the conversation's creation
    day (UTC)."""
    mask = pd.Series(True, index=frame.index)
    if agents:
        mask &= frame["agent_id"].isin(agents)
    if teams:
        mask &= frame["team"].isin(teams)
    if channels:
        mask &= frame["channel"].isin(channels)
    if languages:
        mask &= frame["language"].isin(languages)
    if date_from is not None or date_to is not None:
        days = [w.date() if (w := _when(v)) is not None else None for v in frame["created_at"]]
        keep = [
            d is not None and (date_from is None or d >= date_from) and (date_to is None or d <= date_to) for d in days
        ]
        mask &= pd.Series(keep, index=frame.index)
    return frame[mask]
