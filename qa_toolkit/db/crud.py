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


def conversation_key(source: str, external_id: str) -> str:
    return f"{source}:{external_id}"


def content_hash(conv: ConversationIn) -> str:
    """A digest of everything the importer produced for a conversation (unchanged -> same digest)."""
    data = orjson.dumps(conv.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=20).hexdigest()


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
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def bulk_insert(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows. On SQLite the rows go straight to the driver's executemany (SQLAlchemy's
    per-row parameter processing costs more than SQLite's insert itself); elsewhere through Core."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    cols = list(rows[0])
    convert = []
    for i, name in enumerate(cols):
        col_type = table.c[name].type
        if isinstance(col_type, DateTime):
            convert.append((i, _sqlite_dt))
        elif isinstance(col_type, JSON):
            convert.append((i, lambda v: None if v is None else orjson.dumps(v).decode()))
    params = []
    for row in rows:
        values = list(row.values())
        for i, fn in convert:
            values[i] = fn(values[i])
        params.append(tuple(values))
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    conn.exec_driver_sql(sql, params)


def existing_hashes(conn: Connection, *, keys: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = conn.execute(select(CONV.c.key, CONV.c.content_hash).where(CONV.c.key.in_(chunk)))
        out.update({k: h for k, h in rows})
    return out


def _conversation_row(conv: ConversationIn, key: str, digest: str, m: ThreadMetrics, now: datetime) -> dict:
    sat = conv.satisfaction
    return {
        "key": key,
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


def _message_rows(conv: ConversationIn, key: str) -> list[dict]:
    return [
        {
            "conversation_key": key,
            "seq": seq,
            "external_id": msg.id,
            "role": msg.role.value,
            "author_id": msg.author,
            "author_name": msg.author_name,
            "sent_at": msg.sent_at,
            "text": msg.text,
            "raw_text": msg.raw_text if msg.raw_text != msg.text else None,
            "is_internal": msg.is_internal,
            "is_automated": msg.is_automated,
            "language": msg.language,
        }
        for seq, msg in enumerate(conv.messages)
    ]


def write_conversations(
    conn: Connection,
    *,
    new: Sequence[tuple[ConversationIn, str]],
    changed: Sequence[tuple[ConversationIn, str]],
) -> UpsertCounts:
    """Insert new and replace changed conversations (with their messages and metrics).

    ``new`` and ``changed`` hold (conversation, content hash); the caller decided which is which
    (see ``existing_hashes``) and has already enriched them (languages, auto-replies)."""
    now = datetime.now(UTC)
    counts = UpsertCounts(new=len(new), updated=len(changed))
    if changed:
        keys = [conversation_key(c.source, c.id) for c, _ in changed]
        for i in range(0, len(keys), 500):
            conn.execute(delete(MSG).where(MSG.c.conversation_key.in_(keys[i : i + 500])))
        for conv, digest in changed:
            key = conversation_key(conv.source, conv.id)
            row = _conversation_row(conv, key, digest, compute_metrics(conv.messages), now)
            conn.execute(update(CONV).where(CONV.c.key == key).values(**row))
    if new:
        rows = [
            _conversation_row(c, conversation_key(c.source, c.id), d, compute_metrics(c.messages), now) for c, d in new
        ]
        bulk_insert(conn, CONV, rows)
    msg_rows: list[dict] = []
    for conv, _ in (*new, *changed):
        msg_rows.extend(_message_rows(conv, conversation_key(conv.source, conv.id)))
    bulk_insert(conn, MSG, msg_rows)
    counts.messages = len(msg_rows)
    return counts


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
                raw_text=m.raw_text if m.raw_text is not None else m.text,
                is_internal=bool(m.is_internal),
                is_automated=bool(m.is_automated),
                language=m.language,
            )
            for m in messages
        ],
    )


def iter_conversations(engine: Engine, *, batch_size: int = 500) -> Iterator[ConversationIn]:
    """Every stored conversation, in key order, streamed in batches (memory stays flat)."""
    last: str | None = None
    with engine.connect() as conn:
        while True:
            query = select(CONV).order_by(CONV.c.key).limit(batch_size)
            if last is not None:
                query = query.where(CONV.c.key > last)
            rows = conn.execute(query).all()
            if not rows:
                return
            keys = [r.key for r in rows]
            by_conv: dict[str, list[Any]] = {k: [] for k in keys}
            msgs = conn.execute(
                select(MSG).where(MSG.c.conversation_key.in_(keys)).order_by(MSG.c.conversation_key, MSG.c.seq)
            )
            for m in msgs:
                by_conv[m.conversation_key].append(m)
            for row in rows:
                yield _conversation_from_rows(row, by_conv[row.key])
            last = keys[-1]


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
                func.count(func.distinct(MSG.c.conversation_key)),
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
