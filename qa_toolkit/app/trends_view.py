"""Trends for managers: quality scores over time with their uncertainty, traffic, arrivals by weekday and
hour, flag rates, first response times, back-and-forth exchanges and the most used canned replies.

Every chart drills down to its conversations (click a point, bar or cell, or pick one below the chart) with a
way to open each in the conversation view; every table has a CSV download. Periods, weekdays and hours are
those of the time zone picked on the page (the browser's by default). The store aggregates
(db.trend_queries), qa_toolkit.trends shapes the frames; both are cached here, bounded in size and time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import altair as alt
import pandas as pd
import streamlit as st

from qa_toolkit import trends
from qa_toolkit.app import common
from qa_toolkit.db import trend_queries as tq
from qa_toolkit.db.models import KIND_AUTOMATIC, KIND_REVIEWED
from qa_toolkit.db.results import QueueFilters
from qa_toolkit.db.trend_queries import DEFAULT_TZ, TrendDrill
from qa_toolkit.errors import QAError
from qa_toolkit.review import format_seconds

SECTIONS = ("Quality", "Traffic", "Arrivals", "Flags", "Response times", "Back-and-forth", "Templates")
GROUP_LABELS = {"all": "Everyone", "agent": "Agent", "team": "Team", "channel": "Channel"}
DRILL_LIMIT = 200
TOP_GROUPS = 8
CACHE = {"ttl": 300, "max_entries": 64, "show_spinner": False}


# --------------------------------------------------------------------------- cached queries (bounded)


@st.cache_data(**CACHE)
def _scores(url: str, f: QueueFilters, period: str, by: str, tz: str) -> list[dict[str, Any]]:
    return tq.trend_scores(common._engine(url), filters=f, period=period, by=by, tz=tz)


@st.cache_data(**CACHE)
def _traffic(url: str, f: QueueFilters, period: str, by: str, tz: str) -> list[dict[str, Any]]:
    return tq.trend_traffic(common._engine(url), filters=f, period=period, by=by, tz=tz)


@st.cache_data(**CACHE)
def _arrivals(url: str, f: QueueFilters, tz: str) -> list[dict[str, Any]]:
    return tq.arrivals_by_hour(common._engine(url), filters=f, tz=tz)


@st.cache_data(**CACHE)
def _flags(url: str, f: QueueFilters, period: str, by: str, tz: str) -> list[dict[str, Any]]:
    return tq.trend_flags(common._engine(url), filters=f, period=period, by=by, tz=tz)


@st.cache_data(**CACHE)
def _responses(url: str, f: QueueFilters, period: str, by: str, names: dict[str, str], tz: str) -> pd.DataFrame:
    values = tq.first_response_values(common._engine(url), filters=f, period=period, by=by, tz=tz)
    return trends.response_frame(values, names=names)


@st.cache_data(**CACHE)
def _exchanges(url: str, f: QueueFilters, by: str, tz: str) -> list[dict[str, Any]]:
    return tq.exchanges_counts(common._engine(url), filters=f, by=by, tz=tz)


@st.cache_data(**CACHE)
def _templates(url: str, f: QueueFilters, tz: str) -> list[dict[str, Any]]:
    return tq.template_uses(common._engine(url), filters=f, tz=tz)


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def _conversations(url: str, f: QueueFilters, drill: TrendDrill) -> tuple[list[dict[str, Any]], int]:
    return tq.trend_conversations(common._engine(url), filters=f, drill=drill, limit=DRILL_LIMIT)


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """The IANA region zones this machine knows ('Europe/Amsterdam' ...), sorted, with UTC: not the legacy
    and tooling names ('posixrules', 'Factory', 'posix/...', 'right/...') that PostgreSQL may not know."""
    regions = {z for z in available_timezones() if "/" in z and not z.startswith(("posix/", "right/", "SystemV/"))}
    return sorted(regions | {DEFAULT_TZ})


def default_timezone() -> str:
    """The browser's time zone when it reports one, else the default scorecard's business hours zone,
    else UTC."""
    zones = set(time_zones())
    browser = getattr(st.context, "timezone", None)
    if browser and browser in zones:
        return str(browser)
    card = common.scorecard_for(None)
    zone = card.business_hours.timezone if card is not None else None
    return zone if zone in zones else DEFAULT_TZ


def trend_filters() -> QueueFilters:
    """The sidebar filters that apply to trends (agents, teams, channels, languages, dates)."""
    f = common.current_filters()
    return QueueFilters(
        agents=f.agents,
        teams=f.teams,
        channels=f.channels,
        languages=f.languages,
        date_from=f.date_from,
        date_to=f.date_to,
    )


# --------------------------------------------------------------------------- the page


def render() -> None:
    st.title("Trends")
    url = common.db_url()
    f = trend_filters()
    names = dict(common.filter_options(url).agents)
    top = st.columns([2, 2, 3, 3])
    period = top[0].radio("Period", ["day", "week", "month"], index=1, horizontal=True, key="tr_period")
    by = top[1].selectbox("By", list(GROUP_LABELS), format_func=GROUP_LABELS.__getitem__, key="tr_by")
    section = top[2].selectbox("Show", SECTIONS, key="tr_section")
    zones = time_zones()
    if st.session_state.get("tr_tz") not in zones:
        st.session_state["tr_tz"] = default_timezone()
    tz = top[3].selectbox(
        "Time zone", zones, key="tr_tz", help="Days, weeks, months, weekdays and hours are those of this zone."
    )
    try:
        tq.check_timezone(tz)
    except QAError as exc:  # a name this machine lists but cannot load
        st.error(str(exc))
        return
    st.caption(
        "The sidebar's agent, team, channel, language and date filters apply here (the flag and score filters "
        f"are the queue's; its dates are days in {tz}). Times are in {tz}; a conversation counts in the period "
        "it was created. Click a point, bar or cell, or pick one under the chart, to list the conversations "
        "behind it."
    )
    ctx = _Ctx(url=url, filters=f, period=period, by=by, names=names, tz=tz)
    {
        "Quality": _quality,
        "Traffic": _traffic_section,
        "Arrivals": _arrivals_section,
        "Flags": _flags_section,
        "Response times": _response_section,
        "Back-and-forth": _exchanges_section,
        "Templates": _templates_section,
    }[section](ctx)


class _Ctx:
    def __init__(
        self, *, url: str, filters: QueueFilters, period: str, by: str, names: dict[str, str], tz: str
    ) -> None:
        self.url, self.filters, self.period, self.by, self.tz = url, filters, period, by, tz
        self.names = names if by == "agent" else {}

    def label(self, group: str) -> str:
        return self.names.get(group, group)


# --------------------------------------------------------------------------- shared pieces


def _csv(frame: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        "Download CSV",
        trends.csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )


def _chart(chart: alt.TopLevelMixin, key: str) -> list[dict[str, Any]]:
    """Draw a chart whose ``pick`` selection reruns the page; the points picked."""
    event = st.altair_chart(chart, on_select="rerun", selection_mode="pick", key=key, width="stretch")
    selection = getattr(event, "selection", None) or {}
    try:
        return list(selection.get("pick") or [])
    except AttributeError:
        return []


def _apply_pick(section: str, picked: list[dict[str, Any]], fields: dict[str, str]) -> None:
    """A newly clicked point sets the drill-down pickers (``fields``: chart field -> picker key); a point
    still selected from an earlier run does not override what the user picked since."""
    if not picked:
        return
    point = picked[0]
    seen_key = f"tr_{section}_picked"
    if st.session_state.get(seen_key) == point:
        return
    st.session_state[seen_key] = point
    for field, key in fields.items():
        if field in point:
            st.session_state[key] = point[field]


def _group_choice(ctx: _Ctx, frame: pd.DataFrame, weight: str, section: str) -> pd.DataFrame:
    """Limit a frame to the groups chosen (the largest by ``weight`` by default)."""
    if ctx.by == "all" or frame.empty:
        return frame
    groups = sorted(frame["group"].unique().tolist(), key=lambda g: ctx.label(g).lower())
    default = trends.top_groups(frame, weight=weight, n=TOP_GROUPS)
    key = f"tr_{section}_groups_{ctx.by}"
    if key in st.session_state:  # keep the user's choice, less groups that are gone under new filters
        st.session_state[key] = [g for g in st.session_state[key] if g in groups]
    else:
        st.session_state[key] = default
    chosen = st.multiselect(
        f"{GROUP_LABELS[ctx.by]}s shown (the {TOP_GROUPS} largest by default)", groups, format_func=ctx.label, key=key
    )
    return frame[frame["group"].isin(chosen)]


def _period_picker(section: str, periods: list[str], label: str = "Period") -> str | None:
    key = f"tr_{section}_pick_period"
    if st.session_state.get(key) not in periods:
        st.session_state.pop(key, None)
    return st.selectbox(label, periods, key=key) if periods else None


def _group_picker(ctx: _Ctx, section: str, groups: list[str]) -> str | None:
    if ctx.by == "all":
        return "all"
    key = f"tr_{section}_pick_group"
    if st.session_state.get(key) not in groups:
        st.session_state.pop(key, None)
    return st.selectbox(GROUP_LABELS[ctx.by], groups, format_func=ctx.label, key=key) if groups else None


def _start_strings(frame: pd.DataFrame) -> list[str]:
    return sorted({p.strftime("%Y-%m-%d") for p in frame["period"]}, reverse=True)


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its period as the first day (text), as tables and CSV files show it."""
    out = frame.copy()
    out["period"] = out["period"].dt.strftime("%Y-%m-%d")
    return out


def _with_start(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["start"] = out["period"].dt.strftime("%Y-%m-%d")
    return out


def drill_frame(rows: list[dict[str, Any]], tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The conversations behind a point as a table (plain values: shown as text), created in ``tz``."""
    zone = tq.check_timezone(tz)
    return pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "conversation": [f"{r['source']}/{r['external_id']}" for r in rows],
            "created": pd.Series(
                [r["created_at"].astimezone(zone) if r["created_at"] is not None else None for r in rows],
                dtype=f"datetime64[ns, {tz}]",
            ),
            "subject": [r["subject"] or "" for r in rows],
            "agent": [r["agent"] or "" for r in rows],
            "team": [r["team"] or "" for r in rows],
            "channel": [r["channel"] for r in rows],
            "exchanges": [r["exchanges"] for r in rows],
            "first response": [format_seconds(r["first_response_seconds"]) for r in rows],
            "score": [r["score"] for r in rows],
            "reviewed score": [r["reviewed_score"] for r in rows],
            "flags": [r["flag_count"] for r in rows],
        }
    )


def _drill(ctx: _Ctx, section: str, drill: TrendDrill, what: str) -> None:
    """List the conversations behind a point, with a CSV download and a way to open each."""
    rows, total = _conversations(ctx.url, ctx.filters, drill)
    shown = f"the {len(rows)} newest of " if total > len(rows) else ""
    st.markdown(
        f"**{shown}{total} conversation{'s' if total != 1 else ''}** · {common.safe(what)}", unsafe_allow_html=True
    )
    if not rows:
        return
    frame = drill_frame(rows, ctx.tz)
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"tr_{section}_drill_table",
        column_config={
            "id": st.column_config.NumberColumn("id", format="%d", width="small"),
            "created": st.column_config.DatetimeColumn(f"created ({ctx.tz})", format="YYYY-MM-DD HH:mm"),
            "score": st.column_config.NumberColumn("score", format="%.1f"),
            "reviewed score": st.column_config.NumberColumn("reviewed score", format="%.1f"),
        },
    )
    picked = getattr(getattr(event, "selection", None), "rows", None) or []
    if picked and picked[0] < len(rows):
        common.open_conversation(rows[picked[0]]["id"])
    labels = {
        r["id"]: f"#{r['id']} · {r['source']}/{r['external_id']}" + (f" · {r['subject']}" if r["subject"] else "")
        for r in rows
    }
    left, mid, right = st.columns([4, 1, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Conversation (or click a row)", list(labels), format_func=labels.__getitem__, key=f"tr_{section}_conv"
    )
    if mid.button("Open", key=f"tr_{section}_open", type="primary", width="stretch") and chosen is not None:
        common.open_conversation(chosen)
    with right:
        _csv(frame, f"trends-{section}-conversations", f"tr_{section}_drill_csv")


def _point_drill(
    ctx: _Ctx,
    section: str,
    frame: pd.DataFrame,
    picked: list[dict[str, Any]],
    make: Callable[[str, date, str], tuple[TrendDrill, str]],
) -> None:
    """Pickers for a period and a group (set by a click on the chart), then the drill-down."""
    _apply_pick(section, picked, {"start": f"tr_{section}_pick_period", "group": f"tr_{section}_pick_group"})
    st.markdown("**Conversations behind a point**")
    cols = st.columns(2)
    with cols[0]:
        start = _period_picker(section, _start_strings(frame))
    with cols[1]:
        groups = sorted(frame["group"].unique().tolist(), key=lambda g: ctx.label(g).lower())
        group = _group_picker(ctx, section, groups)
    if start is None or group is None:
        return
    drill, what = make(start, date.fromisoformat(start), group)
    _drill(ctx, section, drill, what)


def _group_of(ctx: _Ctx, group: str) -> str | None:
    return None if ctx.by == "all" else group


def _describe(ctx: _Ctx, start: str, group: str) -> str:
    who = "" if ctx.by == "all" else f" · {GROUP_LABELS[ctx.by].lower()} {ctx.label(group)}"
    return f"{ctx.period} of {start}{who}"


def _line(
    frame: pd.DataFrame, *, y: str, title: str, ctx: _Ctx, band: tuple[str, str] | None = None, tooltip: list[Any]
) -> alt.LayerChart:
    color = alt.Color("label:N", title=GROUP_LABELS[ctx.by]) if ctx.by != "all" else alt.value("#4c78a8")
    pick = alt.selection_point(name="pick", fields=["start", "group"], on="click")
    # The period as its 'YYYY-MM-DD' label (ordinal), so a browser in another time zone shows the same day.
    x = alt.X("start:O", title=f"{ctx.period} starting ({ctx.tz})", axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    base = alt.Chart(_with_start(frame)).encode(x=x, color=color)
    layers = []
    if band is not None:
        layers.append(base.mark_area(opacity=0.15).encode(y=alt.Y(f"{band[0]}:Q"), y2=alt.Y2(f"{band[1]}:Q")))
    layers.append(base.mark_line().encode(y=alt.Y(f"{y}:Q", title=title)))
    layers.append(
        base.mark_point(filled=True, size=70)
        .encode(y=f"{y}:Q", tooltip=tooltip, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)))
        .add_params(pick)
    )
    return alt.layer(*layers).properties(height=340)


# --------------------------------------------------------------------------- sections


def _quality(ctx: _Ctx) -> None:
    st.subheader("Quality score over time")
    kind = st.radio(
        "Score",
        [KIND_AUTOMATIC, KIND_REVIEWED],
        format_func={KIND_AUTOMATIC: "automatic", KIND_REVIEWED: "reviewed (finished reviews)"}.__getitem__,
        horizontal=True,
        key="tr_kind",
    )
    frame = trends.score_frame(_scores(ctx.url, ctx.filters, ctx.period, ctx.by, ctx.tz), names=ctx.names)
    frame = frame[frame["kind"] == kind]
    if frame.empty:
        st.info("No " + ("automatic" if kind == KIND_AUTOMATIC else "reviewed") + " scores under these filters.")
        return
    frame = _group_choice(ctx, frame, "n", "quality")
    st.caption(
        "The line is the mean score of the conversations created in the period; the band is the 95% interval "
        "of that mean (Student's t); n is the number of conversations behind the point."
    )
    tooltip = [
        alt.Tooltip("label:N", title=GROUP_LABELS[ctx.by]),
        alt.Tooltip("start:N", title=ctx.period),
        alt.Tooltip("mean:Q", format=".1f"),
        alt.Tooltip("n:Q", title="conversations"),
        alt.Tooltip("low:Q", format=".1f", title="95% low"),
        alt.Tooltip("high:Q", format=".1f", title="95% high"),
    ]
    picked = _chart(
        _line(frame, y="mean", title="mean score", ctx=ctx, band=("low", "high"), tooltip=tooltip), "tr_quality_chart"
    )
    table = _dated(frame[["period", "label", "n", "mean", "sd", "low", "high"]]).round(
        {"mean": 2, "sd": 2, "low": 2, "high": 2}
    )
    st.dataframe(table, hide_index=True, width="stretch", key="tr_quality_table")
    _csv(table, f"trends-quality-{kind}-{ctx.period}-{ctx.by}", "tr_quality_csv")

    def make(start: str, day: date, group: str) -> tuple[TrendDrill, str]:
        drill = TrendDrill(by=ctx.by, group=_group_of(ctx, group), period=ctx.period, start=day, scored=kind, tz=ctx.tz)
        return drill, f"{kind} score · {_describe(ctx, start, group)}"

    _point_drill(ctx, "quality", frame, picked, make)


def _traffic_section(ctx: _Ctx) -> None:
    st.subheader("Traffic and productivity")
    frame = trends.traffic_frame(_traffic(ctx.url, ctx.filters, ctx.period, ctx.by, ctx.tz), names=ctx.names)
    if frame.empty:
        st.info("No conversations under these filters.")
        return
    day_frame = trends.traffic_frame(_traffic(ctx.url, ctx.filters, "day", ctx.by, ctx.tz), names=ctx.names)
    per_day = trends.traffic_per_day(day_frame)
    cols = st.columns(3)
    cols[0].metric("Conversations", int(frame["conversations"].sum()))
    cols[1].metric("Agent replies", int(frame["replies"].sum()))
    cols[2].metric("Days with traffic", int(day_frame["period"].nunique()))
    metric = st.radio("Count", ["conversations", "replies"], horizontal=True, key="tr_traffic_metric")
    frame = _group_choice(ctx, frame, "conversations", "traffic")
    st.caption(
        "Conversations count in the period they were created; replies (human agent messages, no notes or "
        "automatic messages) in the period they were sent" + (", by their author." if ctx.by == "agent" else ".")
    )
    tooltip = [
        alt.Tooltip("label:N", title=GROUP_LABELS[ctx.by]),
        alt.Tooltip("start:N", title=ctx.period),
        alt.Tooltip("conversations:Q"),
        alt.Tooltip("replies:Q"),
    ]
    picked = _chart(
        _line(frame, y=metric, title=f"{metric} per {ctx.period}", ctx=ctx, tooltip=tooltip), "tr_traffic_chart"
    )
    st.markdown(f"**Per day, per {GROUP_LABELS[ctx.by].lower()}** (means over days with traffic)")
    st.dataframe(per_day.drop(columns=["group"]), hide_index=True, width="stretch", key="tr_traffic_day_table")
    _csv(per_day, f"trends-traffic-per-day-{ctx.by}", "tr_traffic_day_csv")
    table = _dated(frame[["period", "label", "conversations", "replies", "replies_per_conversation"]])
    with st.expander(f"Per {ctx.period} table"):
        st.dataframe(table, hide_index=True, width="stretch", key="tr_traffic_table")
        _csv(table, f"trends-traffic-{ctx.period}-{ctx.by}", "tr_traffic_csv")

    def make(start: str, day: date, group: str) -> tuple[TrendDrill, str]:
        replies = metric == "replies"
        drill = TrendDrill(
            by=ctx.by, group=_group_of(ctx, group), period=ctx.period, start=day, replies=replies, tz=ctx.tz
        )
        return drill, ("with agent replies" if replies else "created") + f" · {_describe(ctx, start, group)}"

    _point_drill(ctx, "traffic", frame, picked, make)


def _arrivals_section(ctx: _Ctx) -> None:
    st.subheader(f"When conversations arrive (weekday x hour, {ctx.tz})")
    frame = trends.heatmap_frame(_arrivals(ctx.url, ctx.filters, ctx.tz))
    if not frame["conversations"].any() and not frame["replies"].any():
        st.info("No conversations under these filters.")
        return
    measures = {
        "conversations": "conversations arriving",
        "replies": "agent replies sent",
        "conversations_per_reply": "conversations per reply (high: more arrive than are answered)",
        "mean_first_response_minutes": "mean first response (minutes)",
    }
    measure = st.radio(
        "Colour by", list(measures), format_func=measures.__getitem__, horizontal=True, key="tr_heat_measure"
    )
    shown = frame.replace([float("inf")], pd.NA)
    pick = alt.selection_point(name="pick", fields=["weekday", "hour"], on="click")
    chart = (
        alt.Chart(shown)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=f"hour ({ctx.tz})"),
            y=alt.Y("day:O", sort=list(trends.WEEKDAYS), title=None),
            color=alt.Color(f"{measure}:Q", title=measure.replace("_", " "), scale=alt.Scale(scheme="orangered")),
            tooltip=[
                "day",
                "hour",
                "conversations",
                "replies",
                "conversations_per_reply",
                "mean_first_response_minutes",
            ],
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
        )
        .add_params(pick)
        .properties(height=260)
    )
    picked = _chart(chart, "tr_heat_chart")
    _csv(frame, "trends-arrivals-weekday-hour", "tr_heat_csv")
    _apply_pick("arrivals", picked, {"weekday": "tr_arrivals_weekday", "hour": "tr_arrivals_hour"})
    st.markdown("**Conversations behind a cell**")
    cols = st.columns(2)
    weekday = cols[0].selectbox(
        "Weekday", list(range(7)), format_func=lambda d: trends.WEEKDAYS[d], key="tr_arrivals_weekday"
    )
    hour = cols[1].selectbox(
        f"Hour ({ctx.tz})", list(range(24)), format_func=lambda h: f"{h:02d}:00", key="tr_arrivals_hour"
    )
    replies = measure == "replies"
    drill = TrendDrill(weekday=weekday, hour=hour, replies=replies, tz=ctx.tz)
    what = (
        "with agent replies sent" if replies else "arriving"
    ) + f" on {trends.WEEKDAYS[weekday]} {hour:02d}:00-{hour:02d}:59"
    _drill(ctx, "arrivals", drill, what)


def _flags_section(ctx: _Ctx) -> None:
    st.subheader("Flag rates")
    frame = trends.flag_rate_frame(_flags(ctx.url, ctx.filters, ctx.period, ctx.by, ctx.tz), names=ctx.names)
    if frame.empty:
        st.info("No flags under these filters (or nothing scored yet).")
        return
    rules = sorted(frame["rule"].unique().tolist())
    rule = st.selectbox("Flag", rules, key="tr_flag_rule")
    frame = frame[frame["rule"] == rule]
    frame = _group_choice(ctx, frame, "scored", "flags")
    st.caption("The share of scored conversations with this flag; the band is Wilson's 95% interval.")
    tooltip = [
        alt.Tooltip("label:N", title=GROUP_LABELS[ctx.by]),
        alt.Tooltip("start:N", title=ctx.period),
        alt.Tooltip("rate:Q", format=".1%"),
        alt.Tooltip("flagged:Q"),
        alt.Tooltip("scored:Q"),
    ]
    picked = _chart(
        _line(frame, y="rate", title="flag rate", ctx=ctx, band=("low", "high"), tooltip=tooltip), "tr_flags_chart"
    )
    table = _dated(frame[["period", "label", "rule", "scored", "flagged", "rate", "low", "high"]]).round(
        {"rate": 4, "low": 4, "high": 4}
    )
    st.dataframe(table, hide_index=True, width="stretch", key="tr_flags_table")
    _csv(table, f"trends-flags-{ctx.period}-{ctx.by}", "tr_flags_csv")

    def make(start: str, day: date, group: str) -> tuple[TrendDrill, str]:
        drill = TrendDrill(by=ctx.by, group=_group_of(ctx, group), period=ctx.period, start=day, rule=rule, tz=ctx.tz)
        return drill, f"flagged {rule} · {_describe(ctx, start, group)}"

    _point_drill(ctx, "flags", frame, picked, make)


def _response_section(ctx: _Ctx) -> None:
    st.subheader("First response time")
    frame = _responses(ctx.url, ctx.filters, ctx.period, ctx.by, ctx.names, ctx.tz)
    if frame.empty:
        st.info("No first responses under these filters.")
        return
    frame = _group_choice(ctx, frame, "n", "response")
    stat = st.radio(
        "Show",
        ["median_minutes", "p90_minutes"],
        format_func=lambda s: s.split("_")[0],
        horizontal=True,
        key="tr_response_stat",
    )
    tooltip = [
        alt.Tooltip("label:N", title=GROUP_LABELS[ctx.by]),
        alt.Tooltip("start:N", title=ctx.period),
        alt.Tooltip("median_minutes:Q", title="median (min)"),
        alt.Tooltip("p90_minutes:Q", title="p90 (min)"),
        alt.Tooltip("n:Q", title="conversations"),
    ]
    picked = _chart(_line(frame, y=stat, title=stat.replace("_", " "), ctx=ctx, tooltip=tooltip), "tr_response_chart")
    table = _dated(frame[["period", "label", "n", "median_minutes", "p90_minutes"]])
    st.dataframe(table, hide_index=True, width="stretch", key="tr_response_table")
    _csv(table, f"trends-first-response-{ctx.period}-{ctx.by}", "tr_response_csv")

    def make(start: str, day: date, group: str) -> tuple[TrendDrill, str]:
        drill = TrendDrill(
            by=ctx.by, group=_group_of(ctx, group), period=ctx.period, start=day, first_response=True, tz=ctx.tz
        )
        return drill, f"with a first response · {_describe(ctx, start, group)}"

    _point_drill(ctx, "response", frame, picked, make)


def _exchanges_section(ctx: _Ctx) -> None:
    st.subheader("Back-and-forth exchanges per conversation")
    frame = trends.exchanges_frame(_exchanges(ctx.url, ctx.filters, ctx.by, ctx.tz), names=ctx.names)
    if frame.empty:
        st.info("No conversations under these filters.")
        return
    frame = _group_choice(ctx, frame, "conversations", "exchanges")
    measure = st.radio("Bars", ["conversations", "share"], horizontal=True, key="tr_exchanges_measure")
    pick = alt.selection_point(name="pick", fields=["exchanges", "group"], on="click")
    color = alt.Color("label:N", title=GROUP_LABELS[ctx.by]) if ctx.by != "all" else alt.value("#4c78a8")
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "bucket:O", sort=sorted(frame["bucket"].unique(), key=lambda b: int(b.rstrip("+"))), title="exchanges"
            ),
            xOffset=alt.XOffset("label:N") if ctx.by != "all" else alt.Undefined,
            y=alt.Y(f"{measure}:Q", axis=alt.Axis(format="%") if measure == "share" else alt.Undefined),
            color=color,
            tooltip=["label", "bucket", "conversations", alt.Tooltip("share:Q", format=".1%")],
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        )
        .add_params(pick)
        .properties(height=300)
    )
    picked = _chart(chart, "tr_exchanges_chart")
    table = frame[["label", "bucket", "conversations", "share"]].round(4)
    st.dataframe(table, hide_index=True, width="stretch", key="tr_exchanges_table")
    _csv(table, f"trends-exchanges-{ctx.by}", "tr_exchanges_csv")
    _apply_pick("exchanges", picked, {"exchanges": "tr_exchanges_pick", "group": "tr_exchanges_pick_group"})
    st.markdown("**Conversations behind a bar**")
    cols = st.columns(2)
    buckets = sorted(frame["exchanges"].unique().tolist())
    if st.session_state.get("tr_exchanges_pick") not in buckets:
        st.session_state.pop("tr_exchanges_pick", None)
    ex = cols[0].selectbox(
        "Exchanges",
        buckets,
        format_func=lambda e: f"{e}+" if e == trends.EXCHANGES_CAP else str(e),
        key="tr_exchanges_pick",
    )
    with cols[1]:
        group = _group_picker(
            ctx, "exchanges", sorted(frame["group"].unique().tolist(), key=lambda g: ctx.label(g).lower())
        )
    if ex is None or group is None:
        return
    capped = ex == trends.EXCHANGES_CAP
    drill = TrendDrill(by=ctx.by, group=_group_of(ctx, group), exchanges=int(ex), exchanges_or_more=capped, tz=ctx.tz)
    who = "" if ctx.by == "all" else f" · {GROUP_LABELS[ctx.by].lower()} {ctx.label(group)}"
    _drill(ctx, "exchanges", drill, f"{ex}{'+' if capped else ''} exchanges{who}")


def _templates_section(ctx: _Ctx) -> None:
    st.subheader("Most used canned replies")
    rows = _templates(ctx.url, ctx.filters, ctx.tz)
    if not rows:
        st.info("No canned replies found (the template_reuse flag) under these filters.")
        return
    frame = trends.templates_frame(rows)
    st.caption(
        "Canned replies found by the template_reuse rule (named by a representative text): replies that used "
        "one, the conversations and the agents (assignees) involved."
    )
    top = frame.head(20)
    pick = alt.selection_point(name="pick", fields=["template"], on="click")
    chart = (
        alt.Chart(top)
        .mark_bar()
        .encode(
            y=alt.Y("template:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
            x=alt.X("uses:Q", title="replies"),
            tooltip=["template", "uses", "conversations", "agents"],
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
        )
        .add_params(pick)
        .properties(height=max(120, 24 * len(top)))
    )
    picked = _chart(chart, "tr_templates_chart")
    st.dataframe(frame, hide_index=True, width="stretch", key="tr_templates_table")
    _csv(frame, "trends-templates", "tr_templates_csv")
    names = frame["template"].tolist()
    _apply_pick("templates", picked, {"template": "tr_templates_pick"})
    if st.session_state.get("tr_templates_pick") not in names:
        st.session_state.pop("tr_templates_pick", None)
    st.markdown("**Conversations behind a bar**")
    name = st.selectbox("Canned reply", names, key="tr_templates_pick")
    ids = next((r["ids"] for r in rows if r["template"] == name), [])
    _drill(ctx, "templates", TrendDrill(ids=tuple(ids), tz=ctx.tz), f"using “{name}”")
