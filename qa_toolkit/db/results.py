"""Keyword-only store functions for automatic results, the review queue, reviews and coaching sets.

Automatic results of a conversation (reply labels, flags, the automatic scorecard result and the queue
summary in ``automatic_result``) are written by :func:`save_results`, which replaces them as a whole;
reviews, comments and coaching items are never touched by it. Every function takes an Engine (it opens
its own transaction) or a Connection (the caller's transaction) as its first argument; reads use a fixed
number of queries whatever the size of a page or a thread (no query per row).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from qa_toolkit.db.crud import _conversation_from_rows as conversation_from_rows
from qa_toolkit.db.models import (
    KIND_AUTOMATIC,
    KIND_REVIEWED,
    REVIEW_DONE,
    REVIEW_IN_PROGRESS,
    AutomaticResult,
    CategoryReview,
    CoachingItem,
    CoachingSet,
    Comment,
    Conversation,
    ConversationFlag,
    ConversationScore,
    LabelReview,
    Message,
    ReplyScore,
    Review,
)
from qa_toolkit.errors import QAError
from qa_toolkit.metrics import ThreadMetrics, Wait
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult
from qa_toolkit.schema import ConversationIn, to_utc
from qa_toolkit.scorecard import REPLY_LABELS

CONV = Conversation.__table__  # type: ignore[attr-defined]
MSG = Message.__table__  # type: ignore[attr-defined]
RESULT = AutomaticResult.__table__  # type: ignore[attr-defined]
REPLY = ReplyScore.__table__  # type: ignore[attr-defined]
FLAG = ConversationFlag.__table__  # type: ignore[attr-defined]
SCORE = ConversationScore.__table__  # type: ignore[attr-defined]
REVIEW = Review.__table__  # type: ignore[attr-defined]
LABEL_REVIEW = LabelReview.__table__  # type: ignore[attr-defined]
CATEGORY_REVIEW = CategoryReview.__table__  # type: ignore[attr-defined]
COMMENT = Comment.__table__  # type: ignore[attr-defined]
COACHING_SET = CoachingSet.__table__  # type: ignore[attr-defined]
COACHING_ITEM = CoachingItem.__table__  # type: ignore[attr-defined]

LABEL_NAMES = tuple(REPLY_LABELS)
_CHUNK = 500

Bind = Engine | Connection


class ReviewConflictError(QAError):
    """A review was saved elsewhere (another tab, another process) since this one was loaded."""


@contextmanager
def _write(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    else:
        yield bind


@contextmanager
def _read(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            yield conn
    else:
        yield bind


def _now(now: datetime | None) -> datetime:
    return to_utc(now) if now is not None else datetime.now(UTC)  # type: ignore[return-value]


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# --------------------------------------------------------------------------- automatic results


class ScoreLike(Protocol):
    """What a scorecard result offers (qa_toolkit.scorecard.ScoreResult)."""

    scorecard: str
    value: float | None
    passed: bool | None
    categories: Mapping[str, float | None]


@dataclass
class ConversationResults:
    """Everything computed automatically for one stored conversation.

    ``replies`` name messages by their external id (``ReplyResult.message_id``); ``content_hash`` is the
    stored conversation's digest when it was scored (a changed conversation is scored again)."""

    conversation_id: int
    content_hash: str
    replies: Sequence[ReplyResult] = ()
    flags: Sequence[Flag] = ()
    score: ScoreLike | None = None
    model_versions: Mapping[str, str] = field(default_factory=dict)


def save_results(bind: Bind, *, results: Sequence[ConversationResults], now: datetime | None = None) -> int:
    """Replace the automatic results of these conversations (idempotent; reviews are never touched).

    One transaction when given an Engine; a reply naming a message that is not in its conversation
    raises QAError and nothing is written. Returns the number of conversations written."""
    if not results:
        return 0
    scored_at = _now(now)
    ids = [r.conversation_id for r in results]
    if len(set(ids)) != len(ids):
        raise QAError("save_results: a conversation occurs twice in one batch")
    with _write(bind) as conn:
        _serialise_result_writers(conn)
        message_ids: dict[tuple[int, str], int] = {}
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(MSG.c.id, MSG.c.conversation_id, MSG.c.external_id).where(MSG.c.conversation_id.in_(chunk))
            )
            message_ids.update({(cid, ext): mid for mid, cid, ext in rows})
        for chunk in _chunks(ids):
            conn.execute(delete(REPLY).where(REPLY.c.conversation_id.in_(chunk)))
            conn.execute(delete(FLAG).where(FLAG.c.conversation_id.in_(chunk)))
            conn.execute(delete(SCORE).where(SCORE.c.conversation_id.in_(chunk) & (SCORE.c.kind == KIND_AUTOMATIC)))
            conn.execute(delete(RESULT).where(RESULT.c.conversation_id.in_(chunk)))
        reply_rows: list[dict[str, Any]] = []
        flag_rows: list[dict[str, Any]] = []
        score_rows: list[dict[str, Any]] = []
        result_rows: list[dict[str, Any]] = []
        for res in results:
            cid = res.conversation_id
            for reply in res.replies:
                mid = message_ids.get((cid, reply.message_id))
                if mid is None:
                    raise QAError(f"save_results: message {reply.message_id!r} is not in conversation {cid}")
                for name in LABEL_NAMES:
                    lab: LabelResult = getattr(reply, name)
                    reply_rows.append(
                        {
                            "conversation_id": cid,
                            "message_id": mid,
                            "label_name": name,
                            "label": lab.label,
                            "confidence": float(lab.confidence),
                            "evidence": list(lab.evidence),
                            "model_version": res.model_versions.get(name),
                        }
                    )
            for flag in res.flags:
                flag_rows.append(
                    {
                        "conversation_id": cid,
                        "rule": flag.rule,
                        "score": float(flag.score),
                        "reason": flag.reason,
                        "evidence": list(flag.evidence),
                    }
                )
            if res.score is not None:
                score_rows.append(
                    {
                        "conversation_id": cid,
                        "scorecard": res.score.scorecard,
                        "value": res.score.value,
                        "passed": res.score.passed,
                        "categories": dict(res.score.categories),
                        "kind": KIND_AUTOMATIC,
                        "review_id": None,
                        "created_at": scored_at,
                    }
                )
            result_rows.append(
                {
                    "conversation_id": cid,
                    "content_hash": res.content_hash,
                    "scored_at": scored_at,
                    "model_version": models_key(res.model_versions),
                    "scorecard": res.score.scorecard if res.score is not None else None,
                    "severity": max((float(f.score) for f in res.flags), default=None),
                    "flag_count": len(res.flags),
                    "score": res.score.value if res.score is not None else None,
                    "passed": res.score.passed if res.score is not None else None,
                }
            )
        for table, rows in ((REPLY, reply_rows), (FLAG, flag_rows), (SCORE, score_rows), (RESULT, result_rows)):
            if rows:
                conn.execute(insert(table), rows)
    return len(results)


RESULT_WRITERS_LOCK = 0x5141_7273  # any constant shared by every writer of automatic results


def _serialise_result_writers(conn: Connection) -> None:
    """One writer of automatic results at a time (a rescoring in the app beside an import or a CLI run):
    on PostgreSQL a transaction-scoped advisory lock, so two delete-then-insert batches on the same
    conversations never interleave; SQLite already lets one write transaction run at a time."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(RESULT_WRITERS_LOCK)))


def models_key(model_versions: Mapping[str, str]) -> str | None:
    """The models behind a conversation's results as one comparable value (automatic_result.model_version)."""
    return ",".join(sorted(set(model_versions.values()))) or None


@dataclass(frozen=True)
class ScoredWith:
    """What automatic results are scored with now: ``models_key`` of the classifiers and the scorecard key.
    Results made with anything else are stale (see ``unscored_conversations`` and ``count_stale``)."""

    models: str | None
    scorecard: str | None

    def stale(self) -> ColumnElement[bool]:
        return RESULT.c.model_version.is_distinct_from(self.models) | RESULT.c.scorecard.is_distinct_from(
            self.scorecard
        )


def unscored_conversations(
    bind: Bind, *, after_id: int = 0, limit: int = 500, rescore_stale: ScoredWith | None = None
) -> list[int]:
    """Ids (ascending, above ``after_id``) of stored conversations without automatic results, or whose
    content changed since they were scored; with ``rescore_stale`` also those scored with other models or
    another scorecard than it names."""
    todo = RESULT.c.conversation_id.is_(None) | (RESULT.c.content_hash != CONV.c.content_hash)
    if rescore_stale is not None:
        todo = todo | rescore_stale.stale()
    with _read(bind) as conn:
        rows = conn.execute(
            select(CONV.c.id)
            .select_from(CONV.outerjoin(RESULT, RESULT.c.conversation_id == CONV.c.id))
            .where((CONV.c.id > after_id) & todo)
            .order_by(CONV.c.id)
            .limit(limit)
        )
        return [r[0] for r in rows]


def count_stale(bind: Bind, scored_with: ScoredWith) -> int:
    """How many conversations have automatic results made with other models or another scorecard."""
    with _read(bind) as conn:
        return int(conn.execute(select(func.count()).select_from(RESULT).where(scored_with.stale())).scalar_one())


def load_conversations(bind: Bind, *, ids: Sequence[int]) -> list[tuple[int, str, ConversationIn]]:
    """(store id, content digest, conversation) for these ids, in id order: two queries per 500 ids."""
    out: list[tuple[int, str, ConversationIn]] = []
    with _read(bind) as conn:
        for chunk in _chunks(sorted(set(ids))):
            rows = conn.execute(select(CONV).where(CONV.c.id.in_(chunk)).order_by(CONV.c.id)).all()
            by_conv: dict[int, list[Any]] = {r.id: [] for r in rows}
            for m in conn.execute(
                select(MSG).where(MSG.c.conversation_id.in_(chunk)).order_by(MSG.c.conversation_id, MSG.c.seq)
            ):
                by_conv[m.conversation_id].append(m)
            out.extend((r.id, r.content_hash, conversation_from_rows(r, by_conv[r.id])) for r in rows)
    return out


# --------------------------------------------------------------------------- the review queue


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; an empty tuple or None means "any"."""

    rules: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    score_min: float | None = None
    score_max: float | None = None
    min_severity: float | None = None


@dataclass(frozen=True)
class QueueItem:
    conversation_id: int
    source: str
    external_id: str
    channel: str
    team: str | None
    language: str | None
    created_at: datetime | None
    subject: str | None
    agent: str | None
    exchanges: int
    first_response_seconds: float | None
    severity: float
    flag_count: int
    score: float | None
    passed: bool | None
    flags: tuple[tuple[str, float], ...] = ()
    in_review_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueCounts:
    waiting: int
    in_progress: int
    reviewed: int
    by_rule: dict[str, int]
    not_scored: int


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _filter_conditions(f: QueueFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.rules:
        conds.append(RESULT.c.conversation_id.in_(select(FLAG.c.conversation_id).where(FLAG.c.rule.in_(f.rules))))
    if f.agents:
        by_author = select(MSG.c.conversation_id).where(MSG.c.author_id.in_(f.agents) & (MSG.c.role == "agent"))
        conds.append(or_(CONV.c.assignee_id.in_(f.agents), CONV.c.id.in_(by_author)))
    if f.teams:
        conds.append(CONV.c.team.in_(f.teams))
    if f.channels:
        conds.append(CONV.c.channel.in_(f.channels))
    if f.languages:
        conds.append(CONV.c.language.in_(f.languages))
    if f.date_from is not None:
        conds.append(CONV.c.created_at >= _day_start(f.date_from))
    if f.date_to is not None:
        conds.append(CONV.c.created_at < _day_start(f.date_to + timedelta(days=1)))
    if f.score_min is not None:
        conds.append(RESULT.c.score >= f.score_min)
    if f.score_max is not None:
        conds.append(RESULT.c.score <= f.score_max)
    if f.min_severity is not None:
        conds.append(RESULT.c.severity >= f.min_severity)
    return conds


def _reviewed(status: str = REVIEW_DONE) -> ColumnElement[bool]:
    return exists().where((REVIEW.c.conversation_id == RESULT.c.conversation_id) & (REVIEW.c.status == status))


_QUEUE_FROM = RESULT.join(CONV, CONV.c.id == RESULT.c.conversation_id)


def list_queue(bind: Bind, *, filters: QueueFilters | None = None, limit: int = 50, offset: int = 0) -> list[QueueItem]:
    """Flagged conversations without a finished review, most severe first (highest flag score), one page.

    Three queries per page: the page itself, the flags of its conversations, the reviews in progress."""
    f = filters or QueueFilters()
    with _read(bind) as conn:
        rows = conn.execute(
            select(
                RESULT.c.conversation_id,
                RESULT.c.severity,
                RESULT.c.flag_count,
                RESULT.c.score,
                RESULT.c.passed,
                CONV.c.source,
                CONV.c.external_id,
                CONV.c.channel,
                CONV.c.team,
                CONV.c.language,
                CONV.c.created_at,
                CONV.c.subject,
                func.coalesce(CONV.c.assignee_name, CONV.c.assignee_id).label("agent"),
                CONV.c.exchanges,
                CONV.c.first_response_seconds,
            )
            .select_from(_QUEUE_FROM)
            .where(and_(RESULT.c.severity.is_not(None), ~_reviewed(), *_filter_conditions(f)))
            .order_by(RESULT.c.severity.desc(), RESULT.c.conversation_id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        ids = [r.conversation_id for r in rows]
        flags: dict[int, list[tuple[str, float]]] = {i: [] for i in ids}
        reviewers: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for cid, rule, score in conn.execute(
                select(FLAG.c.conversation_id, FLAG.c.rule, FLAG.c.score)
                .where(FLAG.c.conversation_id.in_(ids))
                .order_by(FLAG.c.conversation_id, FLAG.c.score.desc(), FLAG.c.rule)
            ):
                flags[cid].append((rule, score))
            for cid, who in conn.execute(
                select(REVIEW.c.conversation_id, REVIEW.c.reviewer)
                .where(REVIEW.c.conversation_id.in_(ids) & (REVIEW.c.status == REVIEW_IN_PROGRESS))
                .order_by(REVIEW.c.conversation_id, REVIEW.c.reviewer)
            ):
                reviewers[cid].append(who)
    return [
        QueueItem(
            conversation_id=r.conversation_id,
            source=r.source,
            external_id=r.external_id,
            channel=r.channel,
            team=r.team,
            language=r.language,
            created_at=to_utc(r.created_at),
            subject=r.subject,
            agent=r.agent,
            exchanges=r.exchanges,
            first_response_seconds=r.first_response_seconds,
            severity=r.severity,
            flag_count=r.flag_count,
            score=r.score,
            passed=r.passed,
            flags=tuple(flags[r.conversation_id]),
            in_review_by=tuple(reviewers[r.conversation_id]),
        )
        for r in rows
    ]


def queue_counts(bind: Bind, *, filters: QueueFilters | None = None) -> QueueCounts:
    """What is waiting under these filters: in total, in review, per flag rule; and what was reviewed."""
    f = filters or QueueFilters()
    conds = [RESULT.c.severity.is_not(None), *_filter_conditions(f)]
    waiting = and_(*conds, ~_reviewed())
    with _read(bind) as conn:
        n_waiting, n_progress, n_done = conn.execute(
            select(
                func.count().filter(waiting),
                func.count().filter(and_(waiting, _reviewed(REVIEW_IN_PROGRESS))),
                func.count().filter(_reviewed()),
            )
            .select_from(_QUEUE_FROM)
            .where(and_(*conds))
        ).one()
        by_rule = conn.execute(
            select(FLAG.c.rule, func.count(func.distinct(FLAG.c.conversation_id)))
            .select_from(_QUEUE_FROM.join(FLAG, FLAG.c.conversation_id == RESULT.c.conversation_id))
            .where(waiting)
            .group_by(FLAG.c.rule)
            .order_by(func.count(func.distinct(FLAG.c.conversation_id)).desc(), FLAG.c.rule)
        ).all()
        not_scored = conn.execute(
            select(func.count())
            .select_from(CONV.outerjoin(RESULT, RESULT.c.conversation_id == CONV.c.id))
            .where(RESULT.c.conversation_id.is_(None))
        ).scalar_one()
    return QueueCounts(
        waiting=n_waiting or 0,
        in_progress=n_progress or 0,
        reviewed=n_done or 0,
        by_rule={rule: n for rule, n in by_rule},
        not_scored=not_scored,
    )


@dataclass(frozen=True)
class FilterOptions:
    """The values the queue's filters can take (from what is stored)."""

    rules: list[str]
    agents: list[tuple[str, str]]  # (id, display name)
    teams: list[str]
    channels: list[str]
    languages: list[str]
    first_day: date | None
    last_day: date | None


def filter_options(bind: Bind) -> FilterOptions:
    """Distinct rules, agents (assignees and authors of agent messages), teams, channels, languages, days."""
    with _read(bind) as conn:

        def distinct(col: Any) -> list[str]:
            return [v for (v,) in conn.execute(select(col).where(col.is_not(None)).distinct().order_by(col))]

        agents: dict[str, str] = {}
        for aid, name in conn.execute(
            select(MSG.c.author_id, func.max(MSG.c.author_name))
            .where((MSG.c.role == "agent") & MSG.c.author_id.is_not(None) & MSG.c.is_automated.is_(False))
            .group_by(MSG.c.author_id)
        ):
            agents[aid] = name or aid
        for aid, name in conn.execute(
            select(CONV.c.assignee_id, func.max(CONV.c.assignee_name))
            .where(CONV.c.assignee_id.is_not(None))
            .group_by(CONV.c.assignee_id)
        ):
            agents.setdefault(aid, name or aid)
        first, last = conn.execute(select(func.min(CONV.c.created_at), func.max(CONV.c.created_at))).one()
        return FilterOptions(
            rules=distinct(FLAG.c.rule),
            agents=sorted(agents.items(), key=lambda kv: (kv[1].lower(), kv[0])),
            teams=distinct(CONV.c.team),
            channels=distinct(CONV.c.channel),
            languages=distinct(CONV.c.language),
            first_day=_as_datetime(first).date() if first is not None else None,
            last_day=_as_datetime(last).date() if last is not None else None,
        )


def _as_datetime(value: Any) -> datetime:
    """A datetime from the driver (SQLite gives a string for func.min/max over a DateTime column)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return to_utc(value)  # type: ignore[return-value]


# --------------------------------------------------------------------------- one conversation


@dataclass(frozen=True)
class MessageView:
    id: int
    external_id: str
    seq: int
    role: str
    author_id: str | None
    author_name: str | None
    sent_at: datetime | None
    text: str
    is_internal: bool
    is_automated: bool
    language: str | None


@dataclass(frozen=True)
class StoredLabel:
    label: str
    confidence: float
    evidence: tuple[str, ...]
    model_version: str | None


@dataclass(frozen=True)
class StoredScore:
    scorecard: str
    value: float | None
    passed: bool | None
    categories: dict[str, float | None]
    kind: str
    review_id: int | None = None
    reviewer: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class LabelVerdict:
    """A reviewer's label on one reply (the input of save_review, and what load_conversation returns)."""

    message_external_id: str
    label_name: str
    reviewer_label: str
    model_label: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class CategoryVerdict:
    """A reviewer's value for one scorecard category: 0-100, or None for N/A."""

    category: str
    reviewer_value: float | None
    model_value: float | None = None
    overridden: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class NewComment:
    text: str
    message_external_id: str | None = None


@dataclass(frozen=True)
class CommentView:
    id: int
    reviewer: str
    created_at: datetime | None
    text: str
    message_external_id: str | None
    review_id: int | None


@dataclass(frozen=True)
class ReviewView:
    id: int
    reviewer: str
    status: str
    started_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None
    comment: str | None
    scorecard: str | None
    version: int
    labels: dict[tuple[str, str], LabelVerdict]
    categories: dict[str, CategoryVerdict]


@dataclass
class ConversationView:
    """One stored conversation with everything the conversation view shows."""

    id: int
    conv: RowMapping
    messages: list[MessageView]
    labels: dict[str, dict[str, StoredLabel]]  # message external id -> label name -> label
    flags: list[Flag]
    result: RowMapping | None
    automatic: StoredScore | None
    reviewed: list[StoredScore]
    reviews: list[ReviewView]
    comments: list[CommentView]

    def review_by(self, reviewer: str) -> ReviewView | None:
        return next((r for r in self.reviews if r.reviewer == reviewer), None)

    @property
    def metrics(self) -> ThreadMetrics:
        """The stored thread metrics."""
        c = self.conv
        return ThreadMetrics(
            exchanges=c["exchanges"],
            customer_turns=c["customer_turns"],
            agent_turns=c["agent_turns"],
            customer_messages=c["customer_messages"],
            agent_messages=c["agent_messages"],
            bot_messages=c["bot_messages"],
            automated_messages=c["automated_messages"],
            internal_notes=c["internal_notes"],
            first_response_seconds=c["first_response_seconds"],
            longest_customer_wait_seconds=c["longest_customer_wait_seconds"],
            median_agent_reply_seconds=c["median_agent_reply_seconds"],
            p90_agent_reply_seconds=c["p90_agent_reply_seconds"],
            duration_seconds=c["duration_seconds"],
            unanswered_customer_turns=c["unanswered_customer_turns"],
            customer_waits=[Wait(**w) for w in c["customer_waits"] or []],
        )

    def reply_results(self) -> list[ReplyResult]:
        """The stored automatic labels as the scoring contract (replies with all four labels only)."""
        out = []
        for msg in self.messages:
            labels = self.labels.get(msg.external_id, {})
            if all(name in labels for name in LABEL_NAMES):
                out.append(
                    ReplyResult(
                        message_id=msg.external_id,
                        conversation_id=self.conv["external_id"],
                        **{
                            name: LabelResult(
                                label=labels[name].label,
                                confidence=labels[name].confidence,
                                evidence=list(labels[name].evidence),
                            )
                            for name in LABEL_NAMES
                        },
                    )
                )
        return out


def _score_from_row(row: Any, reviewer: str | None = None) -> StoredScore:
    return StoredScore(
        scorecard=row.scorecard,
        value=row.value,
        passed=row.passed,
        categories=dict(row.categories or {}),
        kind=row.kind,
        review_id=row.review_id,
        reviewer=reviewer,
        created_at=to_utc(row.created_at),
    )


def load_conversation(bind: Bind, *, conversation_id: int) -> ConversationView | None:
    """A conversation with its messages, reply labels, flags, automatic and reviewed scores, reviews and
    comments, in a fixed number of queries; None when there is no such conversation."""
    with _read(bind) as conn:
        conv = conn.execute(select(CONV).where(CONV.c.id == conversation_id)).mappings().first()
        if conv is None:
            return None
        messages = [
            _message_view(m)
            for m in conn.execute(select(MSG).where(MSG.c.conversation_id == conversation_id).order_by(MSG.c.seq))
        ]
        by_id = {m.id: m.external_id for m in messages}
        labels: dict[str, dict[str, StoredLabel]] = {}
        for r in conn.execute(select(REPLY).where(REPLY.c.conversation_id == conversation_id)):
            ext = by_id.get(r.message_id)
            if ext is not None:
                labels.setdefault(ext, {})[r.label_name] = StoredLabel(
                    r.label, r.confidence, tuple(r.evidence or ()), r.model_version
                )
        flags = [
            Flag(rule=r.rule, score=r.score, reason=r.reason, evidence=list(r.evidence or []))
            for r in conn.execute(
                select(FLAG).where(FLAG.c.conversation_id == conversation_id).order_by(FLAG.c.score.desc(), FLAG.c.rule)
            )
        ]
        result = conn.execute(select(RESULT).where(RESULT.c.conversation_id == conversation_id)).mappings().first()
        review_rows = conn.execute(
            select(REVIEW).where(REVIEW.c.conversation_id == conversation_id).order_by(REVIEW.c.started_at, REVIEW.c.id)
        ).all()
        review_ids = [r.id for r in review_rows]
        label_verdicts: dict[int, dict[tuple[str, str], LabelVerdict]] = {i: {} for i in review_ids}
        category_verdicts: dict[int, dict[str, CategoryVerdict]] = {i: {} for i in review_ids}
        if review_ids:
            for r in conn.execute(select(LABEL_REVIEW).where(LABEL_REVIEW.c.review_id.in_(review_ids))):
                label_verdicts[r.review_id][(r.message_external_id, r.label_name)] = LabelVerdict(
                    r.message_external_id, r.label_name, r.reviewer_label, r.model_label, r.comment
                )
            for r in conn.execute(select(CATEGORY_REVIEW).where(CATEGORY_REVIEW.c.review_id.in_(review_ids))):
                category_verdicts[r.review_id][r.category] = CategoryVerdict(
                    r.category, r.reviewer_value, r.model_value, bool(r.overridden), r.comment
                )
        reviewer_of = {r.id: r.reviewer for r in review_rows}
        automatic = None
        reviewed = []
        for r in conn.execute(
            select(SCORE).where(SCORE.c.conversation_id == conversation_id).order_by(SCORE.c.created_at, SCORE.c.id)
        ):
            if r.kind == KIND_AUTOMATIC:
                automatic = _score_from_row(r)
            else:
                reviewed.append(_score_from_row(r, reviewer_of.get(r.review_id)))
        comments = [
            CommentView(r.id, r.reviewer, to_utc(r.created_at), r.text, r.message_external_id, r.review_id)
            for r in conn.execute(
                select(COMMENT)
                .where(COMMENT.c.conversation_id == conversation_id)
                .order_by(COMMENT.c.created_at, COMMENT.c.id)
            )
        ]
    reviews = [
        ReviewView(
            id=r.id,
            reviewer=r.reviewer,
            status=r.status,
            started_at=to_utc(r.started_at),
            updated_at=to_utc(r.updated_at),
            finished_at=to_utc(r.finished_at),
            comment=r.comment,
            scorecard=r.scorecard,
            version=r.version,
            labels=label_verdicts[r.id],
            categories=category_verdicts[r.id],
        )
        for r in review_rows
    ]
    return ConversationView(
        id=conversation_id,
        conv=conv,
        messages=messages,
        labels=labels,
        flags=flags,
        result=result,
        automatic=automatic,
        reviewed=reviewed,
        reviews=reviews,
        comments=comments,
    )


# --------------------------------------------------------------------------- saving a review


@dataclass(frozen=True)
class SavedReview:
    review_id: int
    version: int
    status: str


def save_review(
    bind: Bind,
    *,
    conversation_id: int,
    reviewer: str,
    expected_version: int | None,
    labels: Sequence[LabelVerdict] = (),
    categories: Sequence[CategoryVerdict] = (),
    comments: Sequence[NewComment] = (),
    comment: str | None = None,
    done: bool = False,
    score: ScoreLike | None = None,
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> SavedReview:
    """Save ``reviewer``'s review of a conversation in one transaction.

    Each reviewer has their own review row, so reviewers never overwrite each other. ``expected_version``
    is the version the reviewer started from (None: they had no review yet); when the stored review has
    moved on (saved from another tab or process), nothing is written and ReviewConflictError is raised.
    Label and category verdicts replace earlier ones for the same reply label or category; comments are
    appended; ``score`` (the reviewed scorecard result) replaces this review's reviewed score; ``done``
    marks the review finished (the conversation leaves the queue), otherwise it stays in progress.
    """
    reviewer = reviewer.strip()
    if not reviewer:
        raise QAError("a review needs a reviewer name")
    _check_verdicts(labels, categories)
    at = _now(now)
    status = REVIEW_DONE if done else REVIEW_IN_PROGRESS
    values: dict[str, Any] = {
        "status": status,
        "updated_at": at,
        "finished_at": at if done else None,
        "comment": comment,
    }
    if score is not None:
        values["scorecard"] = score.scorecard
    try:
        with _write(bind) as conn:
            if conn.execute(select(CONV.c.id).where(CONV.c.id == conversation_id)).first() is None:
                raise QAError(f"no conversation with id {conversation_id}")
            current = conn.execute(
                select(REVIEW.c.id, REVIEW.c.version).where(
                    (REVIEW.c.conversation_id == conversation_id) & (REVIEW.c.reviewer == reviewer)
                )
            ).first()
            if current is None:
                if expected_version is not None:
                    raise ReviewConflictError(
                        f"{reviewer}'s review of conversation {conversation_id} no longer exists; reload it"
                    )
                review_id = conn.execute(
                    insert(REVIEW).values(
                        conversation_id=conversation_id,
                        reviewer=reviewer,
                        started_at=_now(started_at) if started_at else at,
                        version=1,
                        **values,
                    )
                ).inserted_primary_key[0]
                version = 1
            else:
                review_id = current.id
                if expected_version != current.version:
                    raise _conflict(reviewer, conversation_id)
                changed = conn.execute(
                    update(REVIEW)
                    .where((REVIEW.c.id == review_id) & (REVIEW.c.version == expected_version))
                    .values(version=REVIEW.c.version + 1, **values)
                ).rowcount
                if changed != 1:  # another transaction saved between our read and our update
                    raise _conflict(reviewer, conversation_id)
                version = expected_version + 1
            _replace_verdicts(conn, review_id=review_id, labels=labels, categories=categories)
            comment_rows = [
                {
                    "conversation_id": conversation_id,
                    "message_external_id": c.message_external_id,
                    "review_id": review_id,
                    "reviewer": reviewer,
                    "created_at": at,
                    "text": c.text.strip(),
                }
                for c in comments
                if c.text.strip()
            ]
            if comment_rows:
                conn.execute(insert(COMMENT), comment_rows)
            if score is not None:
                conn.execute(delete(SCORE).where(SCORE.c.review_id == review_id))
                conn.execute(
                    insert(SCORE).values(
                        conversation_id=conversation_id,
                        scorecard=score.scorecard,
                        value=score.value,
                        passed=score.passed,
                        categories=dict(score.categories),
                        kind=KIND_REVIEWED,
                        review_id=review_id,
                        created_at=at,
                    )
                )
    except IntegrityError as exc:  # two first saves of the same reviewer's review at once
        raise _conflict(reviewer, conversation_id) from exc
    return SavedReview(review_id=review_id, version=version, status=status)


def _check_verdicts(labels: Sequence[LabelVerdict], categories: Sequence[CategoryVerdict]) -> None:
    for v in labels:
        allowed = REPLY_LABELS.get(v.label_name)
        if allowed is None:
            raise QAError(f"unknown label {v.label_name!r}; valid: {', '.join(REPLY_LABELS)}")
        if v.reviewer_label not in allowed:
            raise QAError(f"{v.label_name} label {v.reviewer_label!r} is not valid; valid: {', '.join(allowed)}")
    for c in categories:
        if c.reviewer_value is not None and not 0 <= c.reviewer_value <= 100:
            raise QAError(f"category {c.category!r}: {c.reviewer_value} is not valid; valid: 0-100, or None for N/A")


def _conflict(reviewer: str, conversation_id: int) -> ReviewConflictError:
    return ReviewConflictError(
        f"{reviewer}'s review of conversation {conversation_id} was saved elsewhere (another tab or session) "
        "since it was opened; nothing was saved. Reload the conversation to see that version, then save again."
    )


def _replace_verdicts(
    conn: Connection, *, review_id: int, labels: Sequence[LabelVerdict], categories: Sequence[CategoryVerdict]
) -> None:
    if labels:
        keys = {(v.message_external_id, v.label_name) for v in labels}
        old = [
            rid
            for rid, mid, name in conn.execute(
                select(LABEL_REVIEW.c.id, LABEL_REVIEW.c.message_external_id, LABEL_REVIEW.c.label_name).where(
                    LABEL_REVIEW.c.review_id == review_id
                )
            )
            if (mid, name) in keys
        ]
        for chunk in _chunks(old):
            conn.execute(delete(LABEL_REVIEW).where(LABEL_REVIEW.c.id.in_(chunk)))
        latest = {(v.message_external_id, v.label_name): v for v in labels}
        conn.execute(
            insert(LABEL_REVIEW),
            [
                {
                    "review_id": review_id,
                    "message_external_id": v.message_external_id,
                    "label_name": v.label_name,
                    "model_label": v.model_label,
                    "reviewer_label": v.reviewer_label,
                    "comment": v.comment,
                }
                for v in latest.values()
            ],
        )
    if categories:
        latest_cat = {v.category: v for v in categories}
        conn.execute(
            delete(CATEGORY_REVIEW).where(
                (CATEGORY_REVIEW.c.review_id == review_id) & CATEGORY_REVIEW.c.category.in_(list(latest_cat))
            )
        )
        conn.execute(
            insert(CATEGORY_REVIEW),
            [
                {
                    "review_id": review_id,
                    "category": v.category,
                    "model_value": v.model_value,
                    "reviewer_value": v.reviewer_value,
                    "overridden": v.overridden,
                    "comment": v.comment,
                }
                for v in latest_cat.values()
            ],
        )


# --------------------------------------------------------------------------- coaching sets


def create_coaching_set(
    bind: Bind, *, name: str, description: str | None = None, created_by: str | None = None, now: datetime | None = None
) -> int:
    """A new coaching set; its id. The name must be new (QAError otherwise)."""
    name = name.strip()
    if not name:
        raise QAError("a coaching set needs a name")
    try:
        with _write(bind) as conn:
            return conn.execute(
                insert(COACHING_SET).values(
                    name=name, description=description, created_by=created_by, created_at=_now(now)
                )
            ).inserted_primary_key[0]
    except IntegrityError as exc:
        raise QAError(f"a coaching set named {name!r} exists already; choose another name") from exc


def add_to_coaching_set(
    bind: Bind,
    *,
    set_id: int,
    conversation_id: int,
    message_external_id: str | None = None,
    note: str = "",
    added_by: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add a conversation (or one reply in it) to a coaching set with a note; the item's id."""
    try:
        with _write(bind) as conn:
            return conn.execute(
                insert(COACHING_ITEM).values(
                    set_id=set_id,
                    conversation_id=conversation_id,
                    message_external_id=message_external_id,
                    note=note,
                    added_by=added_by,
                    added_at=_now(now),
                )
            ).inserted_primary_key[0]
    except IntegrityError as exc:
        raise QAError(f"no coaching set {set_id} or no conversation {conversation_id}") from exc


def list_coaching_sets(bind: Bind) -> list[dict[str, Any]]:
    """Every coaching set with its number of items, by name."""
    with _read(bind) as conn:
        n_items = (
            select(COACHING_ITEM.c.set_id, func.count().label("items")).group_by(COACHING_ITEM.c.set_id).subquery()
        )
        rows = conn.execute(
            select(COACHING_SET, func.coalesce(n_items.c["items"], 0).label("items"))
            .select_from(COACHING_SET.outerjoin(n_items, n_items.c.set_id == COACHING_SET.c.id))
            .order_by(COACHING_SET.c.name)
        ).mappings()
        return [dict(r) for r in rows]


def list_coaching_items(bind: Bind, *, set_id: int) -> list[dict[str, Any]]:
    """The items of one coaching set, oldest first, with their conversation's source and external id."""
    with _read(bind) as conn:
        rows = conn.execute(
            select(COACHING_ITEM, CONV.c.source, CONV.c.external_id)
            .select_from(COACHING_ITEM.join(CONV, CONV.c.id == COACHING_ITEM.c.conversation_id))
            .where(COACHING_ITEM.c.set_id == set_id)
            .order_by(COACHING_ITEM.c.added_at, COACHING_ITEM.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def rename_coaching_set(bind: Bind, *, set_id: int, name: str | None = None, description: str | None = None) -> None:
    """Give a coaching set a new name and/or description (None keeps it); a taken name raises QAError."""
    values: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise QAError("a coaching set needs a name")
        values["name"] = name
    if description is not None:
        values["description"] = description.strip() or None
    if not values:
        return
    try:
        with _write(bind) as conn:
            changed = conn.execute(update(COACHING_SET).where(COACHING_SET.c.id == set_id).values(**values)).rowcount
    except IntegrityError as exc:
        raise QAError(f"a coaching set named {name!r} exists already; choose another name") from exc
    if changed != 1:
        raise QAError(f"no coaching set {set_id}")


def delete_coaching_set(bind: Bind, *, set_id: int) -> int:
    """Delete a coaching set and its items (never the conversations); the number of items deleted."""
    with _write(bind) as conn:
        items = conn.execute(delete(COACHING_ITEM).where(COACHING_ITEM.c.set_id == set_id)).rowcount
        if conn.execute(delete(COACHING_SET).where(COACHING_SET.c.id == set_id)).rowcount != 1:
            raise QAError(f"no coaching set {set_id}")
    return items


def remove_coaching_item(bind: Bind, *, item_id: int) -> None:
    """Take one item out of its coaching set."""
    with _write(bind) as conn:
        if conn.execute(delete(COACHING_ITEM).where(COACHING_ITEM.c.id == item_id)).rowcount != 1:
            raise QAError(f"no coaching item {item_id}")


def update_coaching_note(bind: Bind, *, item_id: int, note: str) -> None:
    """Replace the note of one coaching item."""
    with _write(bind) as conn:
        if conn.execute(update(COACHING_ITEM).where(COACHING_ITEM.c.id == item_id).values(note=note)).rowcount != 1:
            raise QAError(f"no coaching item {item_id}")


def find_conversation(bind: Bind, *, ref: str) -> int | None:
    """The store id of a conversation named by its id (``42``), ``source/external id`` or external id."""
    ref = ref.strip().lstrip("#")
    if not ref:
        return None
    with _read(bind) as conn:
        if ref.isdigit():
            found = conn.execute(select(CONV.c.id).where(CONV.c.id == int(ref))).scalar()
            if found is not None:
                return int(found)
        if "/" in ref:
            source, ext = ref.split("/", 1)
            found = conn.execute(
                select(CONV.c.id).where((CONV.c.source == source) & (CONV.c.external_id == ext))
            ).scalar()
            if found is not None:
                return int(found)
        found = conn.execute(select(CONV.c.id).where(CONV.c.external_id == ref).order_by(CONV.c.id).limit(1)).scalar()
        return int(found) if found is not None else None


def agent_replies(bind: Bind, *, conversation_id: int) -> list[MessageView]:
    """The human agent replies of one conversation (not automated, not internal notes), in order."""
    with _read(bind) as conn:
        return [
            _message_view(m)
            for m in conn.execute(
                select(MSG)
                .where(
                    (MSG.c.conversation_id == conversation_id)
                    & (MSG.c.role == "agent")
                    & MSG.c.is_automated.is_(False)
                    & MSG.c.is_internal.is_(False)
                )
                .order_by(MSG.c.seq)
            )
        ]


def _message_view(m: Any) -> MessageView:
    return MessageView(
        id=m.id,
        external_id=m.external_id,
        seq=m.seq,
        role=m.role,
        author_id=m.author_id,
        author_name=m.author_name,
        sent_at=to_utc(m.sent_at),
        text=m.text,
        is_internal=bool(m.is_internal),
        is_automated=bool(m.is_automated),
        language=m.language,
    )


@dataclass
class CoachingContents:
    """One coaching set with everything an export or the coaching page shows, loaded in a fixed number
    of queries per 500 conversations: its items, their conversations and messages, the automatic labels
    of the replies and the labels reviewers gave them (from finished reviews, the latest one winning)."""

    set: dict[str, Any]
    items: list[dict[str, Any]]
    conversations: dict[int, dict[str, Any]]
    messages: dict[int, list[MessageView]]
    labels: dict[tuple[int, str], dict[str, StoredLabel]]  # (conversation, message external id) -> labels
    reviewed_labels: dict[tuple[int, str], dict[str, str]]  # (conversation, message external id) -> labels


def coaching_set_contents(bind: Bind, *, set_id: int) -> CoachingContents | None:
    """A coaching set with its items in context (see CoachingContents); None when there is no such set."""
    with _read(bind) as conn:
        row = conn.execute(select(COACHING_SET).where(COACHING_SET.c.id == set_id)).mappings().first()
        if row is None:
            return None
        items = [
            dict(r)
            for r in conn.execute(
                select(COACHING_ITEM)
                .where(COACHING_ITEM.c.set_id == set_id)
                .order_by(COACHING_ITEM.c.added_at, COACHING_ITEM.c.id)
            ).mappings()
        ]
        for item in items:
            item["added_at"] = to_utc(item["added_at"])
        ids = sorted({item["conversation_id"] for item in items})
        conversations: dict[int, dict[str, Any]] = {}
        messages: dict[int, list[MessageView]] = {cid: [] for cid in ids}
        labels: dict[tuple[int, str], dict[str, StoredLabel]] = {}
        reviewed: dict[tuple[int, str], dict[str, str]] = {}
        for chunk in _chunks(ids):
            for c in conn.execute(select(CONV).where(CONV.c.id.in_(chunk))).mappings():
                conversations[c["id"]] = {**dict(c), "created_at": to_utc(c["created_at"])}
            ext_of: dict[int, tuple[int, str]] = {}
            for m in conn.execute(
                select(MSG).where(MSG.c.conversation_id.in_(chunk)).order_by(MSG.c.conversation_id, MSG.c.seq)
            ):
                messages[m.conversation_id].append(_message_view(m))
                ext_of[m.id] = (m.conversation_id, m.external_id)
            for r in conn.execute(select(REPLY).where(REPLY.c.conversation_id.in_(chunk))):
                key = ext_of.get(r.message_id)
                if key is not None:
                    labels.setdefault(key, {})[r.label_name] = StoredLabel(
                        r.label, r.confidence, tuple(r.evidence or ()), r.model_version
                    )
            for cid, mid, name, label in conn.execute(
                select(
                    REVIEW.c.conversation_id,
                    LABEL_REVIEW.c.message_external_id,
                    LABEL_REVIEW.c.label_name,
                    LABEL_REVIEW.c.reviewer_label,
                )
                .select_from(LABEL_REVIEW.join(REVIEW, REVIEW.c.id == LABEL_REVIEW.c.review_id))
                .where(REVIEW.c.conversation_id.in_(chunk) & (REVIEW.c.status == REVIEW_DONE))
                .order_by(REVIEW.c.finished_at, REVIEW.c.id)
            ):
                reviewed.setdefault((cid, mid), {})[name] = label
    return CoachingContents(
        set=dict(row),
        items=items,
        conversations=conversations,
        messages=messages,
        labels=labels,
        reviewed_labels=reviewed,
    )


# --------------------------------------------------------------------------- verdicts (agreement, learning)


def _verdict_columns() -> list[Any]:
    return [
        REVIEW.c.id.label("review_id"),
        REVIEW.c.reviewer,
        REVIEW.c.status,
        REVIEW.c.finished_at,
        REVIEW.c.updated_at,
        CONV.c.id.label("conversation_id"),
        CONV.c.source,
        CONV.c.external_id,
        CONV.c.created_at,
        CONV.c.team,
        CONV.c.channel,
        CONV.c.language,
    ]


def label_verdict_rows(bind: Bind, *, done_only: bool = True) -> list[dict[str, Any]]:
    """Every reviewer's verdict on a reply label (of finished reviews, unless ``done_only`` is False), one
    query: review (id, reviewer, status, finished_at), conversation (id, source, external id, created_at,
    team, channel, language), the reply (message external id; ``agent_id`` and ``agent``: its author, else
    the conversation's assignee), label name, model label and reviewer label. Oldest review first."""
    join = (
        LABEL_REVIEW.join(REVIEW, REVIEW.c.id == LABEL_REVIEW.c.review_id)
        .join(CONV, CONV.c.id == REVIEW.c.conversation_id)
        .outerjoin(
            MSG,
            (MSG.c.conversation_id == REVIEW.c.conversation_id)
            & (MSG.c.external_id == LABEL_REVIEW.c.message_external_id),
        )
    )
    query = (
        select(
            *_verdict_columns(),
            LABEL_REVIEW.c.message_external_id,
            LABEL_REVIEW.c.label_name,
            LABEL_REVIEW.c.model_label,
            LABEL_REVIEW.c.reviewer_label,
            func.coalesce(MSG.c.author_id, CONV.c.assignee_id).label("agent_id"),
            func.coalesce(MSG.c.author_name, MSG.c.author_id, CONV.c.assignee_name, CONV.c.assignee_id).label("agent"),
        )
        .select_from(join)
        .order_by(REVIEW.c.finished_at, REVIEW.c.id, LABEL_REVIEW.c.id)
    )
    if done_only:
        query = query.where(REVIEW.c.status == REVIEW_DONE)
    with _read(bind) as conn:
        return [_verdict_row(r) for r in conn.execute(query).mappings()]


def category_verdict_rows(bind: Bind, *, done_only: bool = True) -> list[dict[str, Any]]:
    """Every reviewer's verdict on a scorecard category (of finished reviews, unless ``done_only`` is
    False), one query: the review and conversation columns of :func:`label_verdict_rows`, ``agent_id`` and
    ``agent`` (the conversation's assignee), category, model value, reviewer value (None = N/A), overridden."""
    query = (
        select(
            *_verdict_columns(),
            REVIEW.c.scorecard,
            CATEGORY_REVIEW.c.category,
            CATEGORY_REVIEW.c.model_value,
            CATEGORY_REVIEW.c.reviewer_value,
            CATEGORY_REVIEW.c.overridden,
            CONV.c.assignee_id.label("agent_id"),
            func.coalesce(CONV.c.assignee_name, CONV.c.assignee_id).label("agent"),
        )
        .select_from(
            CATEGORY_REVIEW.join(REVIEW, REVIEW.c.id == CATEGORY_REVIEW.c.review_id).join(
                CONV, CONV.c.id == REVIEW.c.conversation_id
            )
        )
        .order_by(REVIEW.c.finished_at, REVIEW.c.id, CATEGORY_REVIEW.c.id)
    )
    if done_only:
        query = query.where(REVIEW.c.status == REVIEW_DONE)
    with _read(bind) as conn:
        return [_verdict_row(r) for r in conn.execute(query).mappings()]


def _verdict_row(row: RowMapping) -> dict[str, Any]:
    out = dict(row)
    for key in ("finished_at", "updated_at", "created_at"):
        out[key] = to_utc(out[key])
    if "overridden" in out:
        out["overridden"] = bool(out["overridden"])
    return out
