"""Keyword-only store functions: bulk upsert of conversations, reading them back, summary queries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from qa_toolkit.db.models import Conversation, Message
from qa_toolkit.metrics import ThreadMetrics, compute_metrics
from qa_toolkit.schema import ConversationIn, MessageIn, Party, Satisfaction, to_utc
from qa_toolkit.types import Role

CONV = Conversation.__table__  # type: ignore[attr-defined]
MSG = Message.__table__  # type: ignore[attr-defined]


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.messages += other.messages


def _sqlite_dt(value: datetime | None) -> str | None:
    """A UTC datetime as SQLAlchemy's SQLite DateTime type stores it (naive ISO text, microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # ConversationIn keeps times in datetime.UTC; this is for values from elsewhere
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_converters(table: Any, cols: Sequence[str]) -> list[tuple[int, Any]]:
    convert = []
    for i, name in enumerate(cols):
        col_type = table.c[name].type
        if isinstance(col_type, DateTime):
            convert.append((i, _sqlite_dt))
        elif isinstance(col_type, JSON):
            convert.append((i, lambda v: None if v is None else orjson.dumps(v).decode()))
    return convert


def _sqlite_params(row: dict[str, Any], convert: Sequence[tuple[int, Any]]) -> tuple:
    """A row as driver parameters, the datetime and JSON columns converted (``_sqlite_converters``)."""
    values = list(row.values())
    for i, fn in convert:
        values[i] = fn(values[i])
    return tuple(values)


@dataclass(frozen=True)
class Stored:
    id: int
    content_hash: str


def existing(conn: Connection, *, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Stored]:
    """Stored conversations among (source, external id) keys: their ids and content digests."""
    out: dict[tuple[str, str], Stored] = {}
    by_source: dict[str, list[str]] = {}
    for source, ext in keys:
        by_source.setdefault(source, []).append(ext)
    for source, ids in by_source.items():
        for i in range(0, len(ids), 500):
            rows = conn.execute(
                select(CONV.c.id, CONV.c.external_id, CONV.c.content_hash).where(
                    (CONV.c.source == source) & CONV.c.external_id.in_(ids[i : i + 500])
                )
            )
            out.update({(source, ext): Stored(cid, digest) for cid, ext, digest in rows})
    return out


def _conversation_row(conv: ConversationIn, digest: str, m: ThreadMetrics, now: datetime) -> dict:
    sat = conv.satisfaction
    return {
        "source": conv.source,
        "external_id": conv.id,
        "channel": conv.channel,
        "channel_raw": conv.channel_raw,
        "subject": conv.subject,
        "created_at": conv.created_at,
        "closed_at": conv.closed_at,
        "status": conv.status,
        "tags": list(conv.tags),
        "customer_id": conv.customer.id,
        "customer_name": conv.customer.name,
        "assignee_id": conv.assignee.id if conv.assignee else None,
        "assignee_name": conv.assignee.name if conv.assignee else None,
        "team": conv.team,
        "csat_score": sat.score if sat else None,
        "csat_scale": sat.scale if sat else None,
        "csat_comment": sat.comment if sat else None,
        "language": conv.language,
        "content_hash": digest,
        "imported_at": now,
        "exchanges": m.exchanges,
        "customer_turns": m.customer_turns,
        "agent_turns": m.agent_turns,
        "customer_messages": m.customer_messages,
        "agent_messages": m.agent_messages,
        "bot_messages": m.bot_messages,
        "automated_messages": m.automated_messages,
        "internal_notes": m.internal_notes,
        "first_response_seconds": m.first_response_seconds,
        "longest_customer_wait_seconds": m.longest_customer_wait_seconds,
        "median_agent_reply_seconds": m.median_agent_reply_seconds,
        "p90_agent_reply_seconds": m.p90_agent_reply_seconds,
        "duration_seconds": m.duration_seconds,
        "unanswered_customer_turns": m.unanswered_customer_turns,
        "customer_waits": [
            {
                "customer_message_id": w.customer_message_id,
                "agent_message_id": w.agent_message_id,
                "seconds": w.seconds,
                "answered": w.answered,
            }
            for w in m.customer_waits
        ],
    }


MESSAGE_COLUMNS = (
    "conversation_id", "seq", "external_id", "role", "author_id", "author_name", "sent_at", "text", "raw_text",
    "is_internal", "is_automated", "language",
)  # fmt: skip


@dataclass
class Prepared:
    """A conversation ready to write: its key, digest, conversation row and message rows.

    On SQLite the rows are already driver parameters (tuples; each message tuple's first value is a
    placeholder for the conversation id); elsewhere they are dicts for SQLAlchemy Core."""

    source: str
    external_id: str
    digest: str
    row: dict[str, Any] | tuple
    messages: list[Any]


def prepare(conv: ConversationIn, *, dialect: str = "sqlite") -> Prepared:
    """Metrics, rows and content digest for a conversation (pure work: it runs in the import's worker).

    The digest covers every stored value but the import time, so an unchanged conversation gets the same
    digest on every import, whatever the database."""
    row = _conversation_row(conv, "", compute_metrics(conv.messages), datetime.now(UTC))
    messages = [
        (0, seq, m.id, m.role, m.author, m.author_name, m.sent_at, m.text, m.raw_text if m.raw_text != m.text else None,
         m.is_internal, m.is_automated, m.language)
        for seq, m in enumerate(conv.messages)
    ]  # fmt: skip
    stored = [v for k, v in row.items() if k not in ("imported_at", "content_hash")]
    digest = hashlib.blake2b(orjson.dumps([stored, messages]), digest_size=20).hexdigest()
    row["content_hash"] = digest
    if dialect == "sqlite":
        dt = _sqlite_dt
        return Prepared(
            conv.source, conv.id, digest, _sqlite_params(row, _CONV_CONVERT),
            [(*m[:6], dt(m[6]), *m[7:]) for m in messages],
        )  # fmt: skip
    return Prepared(
        conv.source,
        conv.id,
        digest,
        row,
        [dict(zip(MESSAGE_COLUMNS, (*m[:3], m[3].value, *m[4:]), strict=True)) for m in messages],
    )


def _insert_conversations(conn: Connection, rows: list[Any]) -> list[int]:
    """Insert conversation rows (prepared for this dialect); their new ids, in order."""
    if conn.dialect.name == "sqlite":
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        ids = []
        for params in rows:
            cur.execute(_CONV_INSERT_SQL, params)
            ids.append(cur.lastrowid)
        return ids
    result = conn.execute(insert(CONV).returning(CONV.c.id, sort_by_parameter_order=True), rows)
    return [r[0] for r in result]


def write_prepared(
    conn: Connection, *, new: Sequence[Prepared], changed: Sequence[tuple[Prepared, int]]
) -> UpsertCounts:
    """Insert new conversations and replace changed ones (``changed`` pairs each with its stored id),
    with their messages and metrics. The caller decided which is which (see ``existing``)."""
    counts = UpsertCounts(new=len(new), updated=len(changed))
    sqlite = conn.dialect.name == "sqlite"
    pending: list[tuple[Prepared, int]] = list(changed)
    if changed:
        ids = [cid for _, cid in changed]
        for i in range(0, len(ids), 500):
            conn.execute(delete(MSG).where(MSG.c.conversation_id.in_(ids[i : i + 500])))
        for prep, cid in changed:
            row = dict(zip(_CONV_COLUMNS, prep.row, strict=True)) if sqlite else prep.row
            if sqlite:
                conn.exec_driver_sql(_CONV_UPDATE_SQL, (*prep.row, cid))
            else:
                conn.execute(update(CONV).where(CONV.c.id == cid).values(**row))
    if new:
        pending.extend(zip(new, _insert_conversations(conn, [p.row for p in new]), strict=True))
    if sqlite:
        params = [(cid, *m[1:]) for prep, cid in pending for m in prep.messages]
        if params:
            conn.exec_driver_sql(_MSG_INSERT_SQL, params)
    else:
        params = [{**m, "conversation_id": cid} for prep, cid in pending for m in prep.messages]
        if params:
            conn.execute(insert(MSG), params)
    counts.messages = len(params)
    return counts


_CONV_COLUMNS = [c.name for c in CONV.columns if c.name != "id"]
_CONV_CONVERT = _sqlite_converters(CONV, _CONV_COLUMNS)
_CONV_INSERT_SQL = (
    f"INSERT INTO conversation ({', '.join(_CONV_COLUMNS)}) VALUES ({', '.join('?' * len(_CONV_COLUMNS))})"
)
_CONV_UPDATE_SQL = f"UPDATE conversation SET {', '.join(f'{c} = ?' for c in _CONV_COLUMNS)} WHERE id = ?"
_MSG_INSERT_SQL = f"INSERT INTO message ({', '.join(MESSAGE_COLUMNS)}) VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})"


# --------------------------------------------------------------------------- reading back


def _conversation_from_rows(row: Any, messages: Iterable[Any]) -> ConversationIn:
    sat = None
    if row.csat_score is not None or row.csat_comment:
        sat = Satisfaction(score=row.csat_score, scale=row.csat_scale, comment=row.csat_comment)
    assignee = None
    if row.assignee_id or row.assignee_name:
        assignee = Party(id=row.assignee_id, name=row.assignee_name)
    return ConversationIn.model_construct(
        id=row.external_id,
        source=row.source,
        channel=row.channel,
        channel_raw=row.channel_raw,
        subject=row.subject,
        created_at=to_utc(row.created_at),
        closed_at=to_utc(row.closed_at),
        status=row.status,
        tags=list(row.tags or []),
        customer=Party(id=row.customer_id, name=row.customer_name),
        assignee=assignee,
        team=row.team,
        satisfaction=sat,
        language=row.language,
        messages=[
            MessageIn.model_construct(
                id=m.external_id,
                role=Role(m.role),
                author=m.author_id,
                author_name=m.author_name,
                sent_at=to_utc(m.sent_at),
                text=m.text,
                raw_text=m.raw_text,
                is_internal=bool(m.is_internal),
                is_automated=bool(m.is_automated),
                language=m.language,
            )
            for m in messages
        ],
    )


def iter_conversations(engine: Engine, *, batch_size: int = 500) -> Iterator[ConversationIn]:
    """Every stored conversation, in import order, streamed in batches (memory stays flat)."""
    last = 0
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(CONV).where(CONV.c.id > last).order_by(CONV.c.id).limit(batch_size)).all()
            if not rows:
                return
            ids = [r.id for r in rows]
            by_conv: dict[int, list[Any]] = {i: [] for i in ids}
            msgs = conn.execute(
                select(MSG).where(MSG.c.conversation_id.in_(ids)).order_by(MSG.c.conversation_id, MSG.c.seq)
            )
            for m in msgs:
                by_conv[m.conversation_id].append(m)
            for row in rows:
                yield _conversation_from_rows(row, by_conv[row.id])
            last = ids[-1]


def count_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "conversations": conn.execute(select(func.count()).select_from(CONV)).scalar_one(),
            "messages": conn.execute(select(func.count()).select_from(MSG)).scalar_one(),
        }


def _counts_by(conn: Connection, column: Any) -> list[tuple[str, int]]:
    rows = conn.execute(select(column, func.count()).group_by(column).order_by(func.count().desc()))
    return [(str(v) if v is not None else "(none)", n) for v, n in rows]


def store_stats(engine: Engine, *, top_agents: int = 25) -> dict[str, Any]:
    """Counts by source, channel, team and agent, and summaries of the thread metrics."""
    from qa_toolkit.metrics import percentile

    with engine.connect() as conn:
        totals = {
            "conversations": conn.execute(select(func.count()).select_from(CONV)).scalar_one(),
            "messages": conn.execute(select(func.count()).select_from(MSG)).scalar_one(),
        }
        by_role = dict(_counts_by(conn, MSG.c.role))
        answers = (MSG.c.role == "agent") & (MSG.c.is_internal.is_(False)) & (MSG.c.is_automated.is_(False))
        agent_col = func.coalesce(MSG.c.author_name, MSG.c.author_id)
        agents = conn.execute(
            select(
                MSG.c.author_id,
                func.max(MSG.c.author_name),
                func.count(),
                func.count(func.distinct(MSG.c.conversation_id)),
            )
            .where(answers)
            .group_by(MSG.c.author_id)
            .order_by(func.count().desc())
            .limit(top_agents)
        ).all()
        n_agents = conn.execute(select(func.count(func.distinct(agent_col))).where(answers)).scalar_one()
        metric_cols = {
            "exchanges": CONV.c.exchanges,
            "first_response_seconds": CONV.c.first_response_seconds,
            "longest_customer_wait_seconds": CONV.c.longest_customer_wait_seconds,
            "median_agent_reply_seconds": CONV.c.median_agent_reply_seconds,
            "duration_seconds": CONV.c.duration_seconds,
        }
        metrics: dict[str, dict[str, float | int | None]] = {}
        for name, col in metric_cols.items():
            values = [v for (v,) in conn.execute(select(col).where(col.is_not(None)))]
            metrics[name] = {
                "known": len(values),
                "mean": (sum(values) / len(values)) if values else None,
                "median": percentile(values, 50),
                "p90": percentile(values, 90),
                "max": max(values) if values else None,
            }
        unanswered = conn.execute(
            select(func.count()).select_from(CONV).where(CONV.c.unanswered_customer_turns > 0)
        ).scalar_one()
        no_answer = conn.execute(select(func.count()).select_from(CONV).where(CONV.c.agent_turns == 0)).scalar_one()
        return {
            **totals,
            "by_source": _counts_by(conn, CONV.c.source),
            "by_channel": _counts_by(conn, CONV.c.channel),
            "by_team": _counts_by(conn, CONV.c.team),
            "by_language": _counts_by(conn, CONV.c.language),
            "messages_by_role": by_role,
            "automated_messages": conn.execute(
                select(func.count()).select_from(MSG).where(MSG.c.is_automated.is_(True))
            ).scalar_one(),
            "internal_notes": conn.execute(
                select(func.count()).select_from(MSG).where(MSG.c.is_internal.is_(True))
            ).scalar_one(),
            "agents": n_agents,
            "by_agent": [{"agent_id": a, "agent_name": n, "replies": r, "conversations": c} for a, n, r, c in agents],
            "metrics": metrics,
            "conversations_with_unanswered_turn": unanswered,
            "conversations_without_human_answer": no_answer,
        }
