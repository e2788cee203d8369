"""Trends for managers: scores, traffic, arrivals, flags, response times, exchanges and canned replies,
aggregated in SQL per period and group in a time zone, and the conversations behind a point (drill-down).

Every trend is grouped by a period (the day, the Monday of the week, the first of the month of a
conversation's creation) and a group (everyone, the assigned agent, the team or the channel), so what comes
back is small whatever the size of the store. Periods, hours and weekdays are those of the IANA time zone
``tz`` (default UTC): PostgreSQL converts with ``timezone(tz, col)``; SQLite, which stores naive UTC text,
with the ``qa_local(ts, tz)`` function that db.engine registers on every connection (not called for UTC).
The sidebar's date filter and a drill-down's period run from local midnight to local midnight, converted
to UTC (so a day of a change to or from summer time has 23 or 25 hours). Periods come back as 'YYYY-MM-DD'
strings on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, and_, cast, exists, extract, func, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from qa_toolkit.db.engine import LOCAL_TIME_SQL
from qa_toolkit.db.models import KIND_AUTOMATIC, KIND_REVIEWED, REVIEW_DONE
from qa_toolkit.db.results import _CHUNK, CONV, FLAG, MSG, RESULT, REVIEW, SCORE, Bind, QueueFilters, _read
from qa_toolkit.errors import QAError
from qa_toolkit.schema import to_utc

PERIODS = ("day", "week", "month")
GROUPINGS = ("all", "agent", "team", "channel")
NO_GROUP = "(none)"
DEFAULT_TZ = "UTC"
_UTC_NAMES = frozenset({"UTC", "Etc/UTC"})  # the plain SQL expressions, no conversion


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=64)
def check_timezone(tz: str) -> ZoneInfo:
    """The zone named ``tz`` (an IANA name such as 'Europe/Amsterdam'); a QAError naming it otherwise."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise QAError(
            f"unknown time zone {tz!r}; use an IANA name such as 'Europe/Amsterdam', 'America/New_York' or 'UTC'"
        ) from exc


def local_midnight(day: date, tz: str = DEFAULT_TZ) -> datetime:
    """The instant (UTC) at which ``day`` starts in ``tz``: its first local instant, also when summer time
    starts at midnight."""
    return datetime.combine(day, time.min, tzinfo=check_timezone(tz)).astimezone(UTC)


def _local(col: Any, dialect: str, tz: str) -> Any:
    """``col`` as local time in ``tz``: a timestamp (PostgreSQL) or 'YYYY-MM-DD HH:MM:SS' text (SQLite)."""
    check_timezone(tz)
    if dialect == "sqlite":
        return col if tz in _UTC_NAMES else getattr(func, LOCAL_TIME_SQL)(col, tz)
    return func.timezone(tz, col)


def _period_expr(col: Any, period: str, dialect: str, tz: str = DEFAULT_TZ) -> Any:
    if period not in PERIODS:
        raise QAError(f"unknown period {period!r}; valid: {', '.join(PERIODS)}")
    local = _local(col, dialect, tz)
    if dialect == "sqlite":
        if period == "day":
            return func.date(local)
        if period == "week":
            return func.date(local, "weekday 0", "-6 days")
        return func.strftime("%Y-%m-01", local)
    return func.to_char(func.date_trunc(period, local), "YYYY-MM-DD")


def _hour_expr(col: Any, dialect: str, tz: str = DEFAULT_TZ) -> Any:
    local = _local(col, dialect, tz)
    if dialect == "sqlite":
        return cast(func.strftime("%H", local), Integer)
    return cast(extract("hour", local), Integer)


def _weekday_expr(col: Any, dialect: str, tz: str = DEFAULT_TZ) -> Any:
    """Monday 0 ... Sunday 6."""
    local = _local(col, dialect, tz)
    if dialect == "sqlite":
        return (cast(func.strftime("%w", local), Integer) + 6) % 7
    return (cast(extract("dow", local), Integer) + 6) % 7


def _dow_hour_expr(col: Any, dialect: str, tz: str = DEFAULT_TZ) -> Any:
    """The day of the week (Sunday 0) times 100 plus the hour, as one number: on SQLite the local time is
    computed once per row instead of twice (see :func:`_dow_hour`)."""
    local = _local(col, dialect, tz)
    if dialect == "sqlite":
        return cast(func.strftime("%w%H", local), Integer)
    return cast(extract("dow", local), Integer) * 100 + cast(extract("hour", local), Integer)


def _dow_hour(value: int) -> tuple[int, int]:
    """(weekday Monday 0, hour) of a :func:`_dow_hour_expr` value."""
    return (value // 100 + 6) % 7, value % 100


# --------------------------------------------------------------------------- aggregates


def _group_expr(by: str, *, author: bool = False) -> Any:
    """The group of a conversation (or, ``author``, of an agent message for the agent grouping)."""
    if by == "all":
        return literal("all")
    if by == "agent":
        return func.coalesce(MSG.c.author_id if author else CONV.c.assignee_id, NO_GROUP)
    if by == "team":
        return func.coalesce(CONV.c.team, NO_GROUP)
    if by == "channel":
        return CONV.c.channel
    raise QAError(f"unknown grouping {by!r}; valid: {', '.join(GROUPINGS)}")


def _trend_conditions(f: QueueFilters | None, *, dates: bool = True, tz: str = DEFAULT_TZ) -> list[ColumnElement[bool]]:
    """The sidebar filters that make sense for trends: agents, teams, channels, languages, dates (days in
    ``tz``)."""
    f = f or QueueFilters()
    conds: list[ColumnElement[bool]] = []
    if f.agents:
        by_author = select(MSG.c.conversation_id).where(MSG.c.author_id.in_(f.agents) & (MSG.c.role == "agent"))
        conds.append(or_(CONV.c.assignee_id.in_(f.agents), CONV.c.id.in_(by_author)))
    if f.teams:
        conds.append(CONV.c.team.in_(f.teams))
    if f.channels:
        conds.append(CONV.c.channel.in_(f.channels))
    if f.languages:
        conds.append(CONV.c.language.in_(f.languages))
    if dates:
        conds.extend(_date_conditions(CONV.c.created_at, f, tz))
    return conds


def _date_conditions(col: Any, f: QueueFilters | None, tz: str) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f is not None and f.date_from is not None:
        conds.append(col >= local_midnight(f.date_from, tz))
    if f is not None and f.date_to is not None:
        conds.append(col < local_midnight(f.date_to + timedelta(days=1), tz))
    return conds


def _reply_conditions(f: QueueFilters | None, *, by: str, tz: str) -> tuple[list[ColumnElement[bool]], Any]:
    """Conditions on human agent replies (sent within the date filter) and what to select them from: the
    messages alone, or joined to their conversation when a filter or the grouping needs it (a join over
    every reply costs as much again as the scan)."""
    conv_conds = _trend_conditions(f, dates=False)
    conds = [
        MSG.c.role == "agent",
        MSG.c.is_automated.is_(False),
        MSG.c.is_internal.is_(False),
        MSG.c.sent_at.is_not(None),
        *conv_conds,
        *_date_conditions(MSG.c.sent_at, f, tz),
    ]
    if conv_conds or by in ("team", "channel"):
        return conds, MSG.join(CONV, CONV.c.id == MSG.c.conversation_id)
    return conds, MSG


def _reviewed_scores() -> Any:
    """Per conversation: the mean of its reviewed scores from finished reviews."""
    return (
        select(SCORE.c.conversation_id, func.avg(SCORE.c.value).label("value"))
        .select_from(SCORE.join(REVIEW, REVIEW.c.id == SCORE.c.review_id))
        .where((SCORE.c.kind == KIND_REVIEWED) & (REVIEW.c.status == REVIEW_DONE) & SCORE.c.value.is_not(None))
        .group_by(SCORE.c.conversation_id)
        .subquery("reviewed")
    )


def trend_scores(
    bind: Bind,
    *,
    filters: QueueFilters | None = None,
    period: str = "week",
    by: str = "all",
    tz: str = DEFAULT_TZ,
) -> list[dict[str, Any]]:
    """Scorecard scores per period (in ``tz``) and group, automatic and reviewed apart: for each (period,
    group, kind) the number of conversations ``n``, the sum and the sum of squares of their scores (so the
    mean and its interval are computed exactly afterwards). A conversation reviewed by several reviewers
    counts once, with the mean of their scores. Two queries."""
    with _read(bind) as conn:
        dialect = conn.dialect.name
        per = _period_expr(CONV.c.created_at, period, dialect, tz).label("period")
        grp = _group_expr(by).label("group")
        out: list[dict[str, Any]] = []
        reviewed = _reviewed_scores()
        for kind, value, source in (
            (KIND_AUTOMATIC, RESULT.c.score, CONV.join(RESULT, RESULT.c.conversation_id == CONV.c.id)),
            (KIND_REVIEWED, reviewed.c.value, CONV.join(reviewed, reviewed.c.conversation_id == CONV.c.id)),
        ):
            rows = conn.execute(
                select(
                    per,
                    grp,
                    func.count(value).label("n"),
                    func.sum(value).label("total"),
                    func.sum(value * value).label("total_sq"),
                )
                .select_from(source)
                .where(and_(value.is_not(None), CONV.c.created_at.is_not(None), *_trend_conditions(filters, tz=tz)))
                .group_by(per, grp)
            ).mappings()
            out.extend({**dict(r), "kind": kind} for r in rows)
    return out


def trend_traffic(
    bind: Bind,
    *,
    filters: QueueFilters | None = None,
    period: str = "day",
    by: str = "all",
    tz: str = DEFAULT_TZ,
) -> list[dict[str, Any]]:
    """Conversations (by creation) and human agent replies (by when they were sent; for the agent grouping,
    by their author) per period (in ``tz``) and group: rows of period, group, conversations, replies. Two
    queries."""
    with _read(bind) as conn:
        dialect = conn.dialect.name
        per = _period_expr(CONV.c.created_at, period, dialect, tz).label("period")
        grp = _group_expr(by).label("group")
        convs = conn.execute(
            select(per, grp, func.count().label("conversations"))
            .where(and_(CONV.c.created_at.is_not(None), *_trend_conditions(filters, tz=tz)))
            .group_by(per, grp)
        ).all()
        mper = _period_expr(MSG.c.sent_at, period, dialect, tz).label("period")
        mgrp = _group_expr(by, author=True).label("group")
        conds, source = _reply_conditions(filters, by=by, tz=tz)
        if filters is not None and filters.agents:
            conds.append(MSG.c.author_id.in_(filters.agents))
        replies = conn.execute(
            select(mper, mgrp, func.count().label("replies"))
            .select_from(source)
            .where(and_(*conds))
            .group_by(mper, mgrp)
        ).all()
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for p, g, n in convs:
        merged.setdefault((p, g), {"period": p, "group": g, "conversations": 0, "replies": 0})["conversations"] = n
    for p, g, n in replies:
        merged.setdefault((p, g), {"period": p, "group": g, "conversations": 0, "replies": 0})["replies"] = n
    return sorted(merged.values(), key=lambda r: (r["period"], r["group"]))


def arrivals_by_hour(bind: Bind, *, filters: QueueFilters | None = None, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    """When conversations arrive and agents reply, by local weekday (Monday 0) and hour in ``tz``: rows of
    weekday, hour, conversations, replies, and the sum and count of first response times of the
    conversations that arrived then. Two queries."""
    with _read(bind) as conn:
        dialect = conn.dialect.name
        key = _dow_hour_expr(CONV.c.created_at, dialect, tz).label("dow_hour")
        convs = conn.execute(
            select(
                key,
                func.count().label("conversations"),
                func.sum(CONV.c.first_response_seconds).label("first_response_total"),
                func.count(CONV.c.first_response_seconds).label("first_response_n"),
            )
            .where(and_(CONV.c.created_at.is_not(None), *_trend_conditions(filters, tz=tz)))
            .group_by(key)
        ).mappings()
        cells: dict[tuple[int, int], dict[str, Any]] = {}
        for r in convs:
            weekday, hour = _dow_hour(int(r["dow_hour"]))
            cells[(weekday, hour)] = {
                "weekday": weekday,
                "hour": hour,
                "conversations": r["conversations"],
                "first_response_total": r["first_response_total"],
                "first_response_n": r["first_response_n"],
                "replies": 0,
            }
        mkey = _dow_hour_expr(MSG.c.sent_at, dialect, tz).label("dow_hour")
        conds, source = _reply_conditions(filters, by="all", tz=tz)
        for value, n in conn.execute(select(mkey, func.count()).select_from(source).where(and_(*conds)).group_by(mkey)):
            weekday, hour = _dow_hour(int(value))
            cell = cells.setdefault(
                (weekday, hour),
                {"weekday": weekday, "hour": hour, "conversations": 0, "first_response_total": None,
                 "first_response_n": 0},
            )  # fmt: skip
            cell["replies"] = n
    return [c for _, c in sorted(cells.items())]


def trend_flags(
    bind: Bind,
    *,
    filters: QueueFilters | None = None,
    period: str = "week",
    by: str = "all",
    tz: str = DEFAULT_TZ,
) -> list[dict[str, Any]]:
    """Flag counts per period (in ``tz``), group and rule, with the scored conversations of the period and
    group (the denominator of a flag rate): rows of period, group, scored, and rule/flagged (rule None: no
    flag that period). Two queries."""
    with _read(bind) as conn:
        dialect = conn.dialect.name
        per = _period_expr(CONV.c.created_at, period, dialect, tz).label("period")
        grp = _group_expr(by).label("group")
        base = CONV.join(RESULT, RESULT.c.conversation_id == CONV.c.id)
        conds = [CONV.c.created_at.is_not(None), *_trend_conditions(filters, tz=tz)]
        scored = {
            (p, g): n
            for p, g, n in conn.execute(
                select(per, grp, func.count()).select_from(base).where(and_(*conds)).group_by(per, grp)
            )
        }
        flagged = conn.execute(
            select(per, grp, FLAG.c.rule, func.count(func.distinct(FLAG.c.conversation_id)))
            .select_from(base.join(FLAG, FLAG.c.conversation_id == CONV.c.id))
            .where(and_(*conds))
            .group_by(per, grp, FLAG.c.rule)
        ).all()
    out = [
        {"period": p, "group": g, "scored": scored.get((p, g), 0), "rule": r, "flagged": n} for p, g, r, n in flagged
    ]
    seen = {(r["period"], r["group"]) for r in out}
    out.extend(
        {"period": p, "group": g, "scored": n, "rule": None, "flagged": 0}
        for (p, g), n in scored.items()
        if (p, g) not in seen
    )
    return sorted(out, key=lambda r: (r["period"], r["group"], r["rule"] or ""))


def first_response_values(
    bind: Bind,
    *,
    filters: QueueFilters | None = None,
    period: str = "week",
    by: str = "all",
    tz: str = DEFAULT_TZ,
) -> list[tuple[str, str, float]]:
    """(period in ``tz``, group, first response seconds) of every conversation that had a first response:
    one number per conversation (percentiles are not portable SQL), for the median and p90 per point."""
    with _read(bind) as conn:
        dialect = conn.dialect.name
        per = _period_expr(CONV.c.created_at, period, dialect, tz)
        rows = conn.execute(
            select(per, _group_expr(by), CONV.c.first_response_seconds).where(
                and_(
                    CONV.c.created_at.is_not(None),
                    CONV.c.first_response_seconds.is_not(None),
                    *_trend_conditions(filters, tz=tz),
                )
            )
        ).all()
    return [(p, g, float(s)) for p, g, s in rows]


def exchanges_counts(
    bind: Bind, *, filters: QueueFilters | None = None, by: str = "all", tz: str = DEFAULT_TZ
) -> list[dict[str, Any]]:
    """How many conversations had each number of back-and-forth exchanges, per group: rows of group,
    exchanges, conversations (``tz``: the zone of the date filter's days)."""
    check_timezone(tz)
    with _read(bind) as conn:
        grp = _group_expr(by).label("group")
        rows = conn.execute(
            select(grp, CONV.c.exchanges.label("exchanges"), func.count().label("conversations"))
            .where(and_(true(), *_trend_conditions(filters, tz=tz)))
            .group_by(grp, CONV.c.exchanges)
            .order_by(grp, CONV.c.exchanges)
        ).mappings()
        return [dict(r) for r in rows]


def template_uses(
    bind: Bind,
    *,
    filters: QueueFilters | None = None,
    rule_prefix: str = "template_reuse.",
    max_ids: int = 500,
    tz: str = DEFAULT_TZ,
) -> list[dict[str, Any]]:
    """The canned replies found by the template_reuse rule, most used first: rows of template (its name,
    from the flag's evidence), uses (replies), conversations, agents (distinct assignees) and up to
    ``max_ids`` conversation ids (newest first) for the drill-down (``tz``: the zone of the date filter's
    days). One query over the template flags."""
    check_timezone(tz)
    with _read(bind) as conn:
        rows = conn.execute(
            select(FLAG.c.conversation_id, FLAG.c.evidence, CONV.c.assignee_id)
            .select_from(FLAG.join(CONV, CONV.c.id == FLAG.c.conversation_id))
            .where(and_(FLAG.c.rule.like(f"{rule_prefix}%"), *_trend_conditions(filters, tz=tz)))
            .order_by(CONV.c.created_at.desc(), CONV.c.id.desc())
        ).all()
    found: dict[str, dict[str, Any]] = {}
    for cid, evidence, agent in rows:
        items = [str(e) for e in evidence or []]
        names = [e.strip('"') for e in items if e.startswith('"')]
        name = names[-1] if names else "?"
        entry = found.setdefault(name, {"template": name, "uses": 0, "conversations": 0, "agents": set(), "ids": []})
        entry["uses"] += max(1, sum(1 for e in items if not e.startswith('"')))
        entry["conversations"] += 1
        if agent is not None:
            entry["agents"].add(agent)
        if len(entry["ids"]) < max_ids:
            entry["ids"].append(cid)
    out = [{**e, "agents": len(e["agents"])} for e in found.values()]
    return sorted(out, key=lambda e: (-e["uses"], -e["conversations"], e["template"]))


@dataclass(frozen=True)
class TrendDrill:
    """Which conversations are behind a point, bar or cell of a trend chart.

    ``by``/``group``: the grouping and its value; ``period``/``start``: the period (day, week or month)
    starting that day; ``rule``: flagged by that rule; ``weekday``/``hour``: created then (Monday 0);
    ``exchanges`` (with ``exchanges_or_more``): that many exchanges; ``scored``: only those with an
    automatic or a reviewed score; ``first_response``: only those with a first response; ``ids``: exactly
    these; ``replies``: period and agent are those of a human agent reply in the conversation, not of
    its creation; ``tz``: the IANA time zone of the period, the weekday and the hour (and of the date
    filter's days)."""

    by: str = "all"
    group: str | None = None
    period: str | None = None
    start: date | None = None
    rule: str | None = None
    weekday: int | None = None
    hour: int | None = None
    exchanges: int | None = None
    exchanges_or_more: bool = False
    scored: str | None = None
    first_response: bool = False
    ids: tuple[int, ...] | None = None
    replies: bool = False
    tz: str = DEFAULT_TZ


def period_bounds(period: str, start: date, tz: str = DEFAULT_TZ) -> tuple[datetime, datetime]:
    """[start, end) of a day, week or month starting on ``start`` in ``tz``: its local midnights as UTC
    instants (a week or month over a change to or from summer time is an hour shorter or longer)."""
    if period == "day":
        end = start + timedelta(days=1)
    elif period == "week":
        end = start + timedelta(days=7)
    elif period == "month":
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    else:
        raise QAError(f"unknown period {period!r}; valid: {', '.join(PERIODS)}")
    return local_midnight(start, tz), local_midnight(end, tz)


def _drill_conditions(drill: TrendDrill, dialect: str) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    tz = drill.tz
    check_timezone(tz)
    bounds = period_bounds(drill.period, drill.start, tz) if drill.period and drill.start else None
    if drill.replies:
        mconds = [
            MSG.c.conversation_id == CONV.c.id,
            MSG.c.role == "agent",
            MSG.c.is_automated.is_(False),
            MSG.c.is_internal.is_(False),
        ]
        if bounds is not None:
            mconds += [MSG.c.sent_at >= bounds[0], MSG.c.sent_at < bounds[1]]
        if drill.by == "agent" and drill.group is not None:
            mconds.append(MSG.c.author_id.is_(None) if drill.group == NO_GROUP else MSG.c.author_id == drill.group)
        mconds += _cell_conditions(MSG.c.sent_at, drill, dialect)
        conds.append(exists().where(and_(*mconds)))
    else:
        if bounds is not None:
            conds += [CONV.c.created_at >= bounds[0], CONV.c.created_at < bounds[1]]
        conds += _cell_conditions(CONV.c.created_at, drill, dialect)
    if drill.group is not None and not (drill.replies and drill.by == "agent") and drill.by != "all":
        col = {"agent": CONV.c.assignee_id, "team": CONV.c.team, "channel": CONV.c.channel}.get(drill.by)
        if col is None:
            raise QAError(f"unknown grouping {drill.by!r}; valid: {', '.join(GROUPINGS)}")
        conds.append(col.is_(None) if drill.group == NO_GROUP else col == drill.group)
    if drill.rule is not None:
        conds.append(exists().where((FLAG.c.conversation_id == CONV.c.id) & (FLAG.c.rule == drill.rule)))
    if drill.exchanges is not None:
        conds.append(
            CONV.c.exchanges >= drill.exchanges if drill.exchanges_or_more else CONV.c.exchanges == drill.exchanges
        )
    if drill.first_response:
        conds.append(CONV.c.first_response_seconds.is_not(None))
    if drill.ids is not None:
        conds.append(CONV.c.id.in_(list(drill.ids)[:_CHUNK]))
    return conds


def _cell_conditions(col: Any, drill: TrendDrill, dialect: str) -> list[ColumnElement[bool]]:
    """``col`` on the drill's weekday and/or hour (one local time per row when both are asked for)."""
    if drill.weekday is not None and drill.hour is not None:
        return [_dow_hour_expr(col, dialect, drill.tz) == ((drill.weekday + 1) % 7) * 100 + drill.hour]
    if drill.weekday is not None:
        return [_weekday_expr(col, dialect, drill.tz) == drill.weekday]
    if drill.hour is not None:
        return [_hour_expr(col, dialect, drill.tz) == drill.hour]
    return []


def trend_conversations(
    bind: Bind, *, filters: QueueFilters | None = None, drill: TrendDrill | None = None, limit: int = 200
) -> tuple[list[dict[str, Any]], int]:
    """The conversations behind a point of a trend (newest first, at most ``limit``) and how many there
    are: id, source, external id, created (UTC), subject, agent, team, channel, exchanges, first response,
    automatic score, reviewed score (mean of finished reviews), flags. The drill's ``tz`` also sets the
    date filter's days. Two queries."""
    drill = drill or TrendDrill()
    reviewed = _reviewed_scores()
    with _read(bind) as conn:
        conds = [*_trend_conditions(filters, tz=drill.tz), *_drill_conditions(drill, conn.dialect.name)]
        source = CONV.outerjoin(RESULT, RESULT.c.conversation_id == CONV.c.id).outerjoin(
            reviewed, reviewed.c.conversation_id == CONV.c.id
        )
        if drill.scored == KIND_AUTOMATIC:
            conds.append(RESULT.c.score.is_not(None))
        elif drill.scored == KIND_REVIEWED:
            conds.append(reviewed.c.value.is_not(None))
        total = conn.execute(select(func.count()).select_from(source).where(and_(true(), *conds))).scalar_one()
        rows = conn.execute(
            select(
                CONV.c.id,
                CONV.c.source,
                CONV.c.external_id,
                CONV.c.created_at,
                CONV.c.subject,
                func.coalesce(CONV.c.assignee_name, CONV.c.assignee_id).label("agent"),
                CONV.c.team,
                CONV.c.channel,
                CONV.c.exchanges,
                CONV.c.first_response_seconds,
                RESULT.c.score.label("score"),
                reviewed.c.value.label("reviewed_score"),
                RESULT.c.flag_count,
            )
            .select_from(source)
            .where(and_(true(), *conds))
            .order_by(CONV.c.created_at.desc(), CONV.c.id.desc())
            .limit(limit)
        ).mappings()
        out = [{**dict(r), "created_at": to_utc(r["created_at"])} for r in rows]
    return out, int(total)
