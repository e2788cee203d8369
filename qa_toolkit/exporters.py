"""Writing conversations out: canonical JSONL (round-trips through import) and one-row-per-message CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

import orjson

from qa_toolkit.schema import ConversationIn, iso

CSV_COLUMNS = [
    "conversation_id", "message_id", "timestamp", "role", "author_id", "author_name", "text",
    "is_internal", "is_automated", "language", "source", "channel", "subject", "status", "tags",
    "conversation_created_at", "conversation_closed_at", "customer_id", "customer_name",
    "assignee_id", "assignee_name", "team", "csat_score", "csat_scale", "csat_comment",
]  # fmt: skip


def write_jsonl(convs: Iterable[ConversationIn], out: IO[bytes]) -> int:
    """Canonical JSONL, one conversation per line; returns the number written."""
    n = 0
    for conv in convs:
        out.write(orjson.dumps(conv.to_canonical()) + b"\n")
        n += 1
    return n


def _safe_cell(value: str) -> str:
    """Defuse spreadsheet formula injection in text cells (a leading = + - @ becomes text)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def write_csv(convs: Iterable[ConversationIn], out: IO[str], *, defuse_formulas: bool = False) -> int:
    """One row per message with the generic CSV importer's column names; returns conversations written.

    ``defuse_formulas`` prefixes cells starting with = + - @ for spreadsheet users (the file then no
    longer round-trips byte-for-byte)."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    n = 0
    for conv in convs:
        n += 1
        sat = conv.satisfaction
        for msg in conv.messages:
            text = _safe_cell(msg.text) if defuse_formulas else msg.text
            writer.writerow(
                {
                    "conversation_id": conv.id,
                    "message_id": msg.id,
                    "timestamp": iso(msg.sent_at) or "",
                    "role": msg.role.value,
                    "author_id": msg.author or "",
                    "author_name": msg.author_name or "",
                    "text": text,
                    "is_internal": "true" if msg.is_internal else "false",
                    "is_automated": "true" if msg.is_automated else "false",
                    "language": msg.language or "",
                    "source": conv.source,
                    "channel": conv.channel_raw or conv.channel,
                    "subject": conv.subject or "",
                    "status": conv.status or "",
                    "tags": ";".join(conv.tags),
                    "conversation_created_at": iso(conv.created_at) or "",
                    "conversation_closed_at": iso(conv.closed_at) or "",
                    "customer_id": conv.customer.id or "",
                    "customer_name": conv.customer.name or "",
                    "assignee_id": (conv.assignee.id or "") if conv.assignee else "",
                    "assignee_name": (conv.assignee.name or "") if conv.assignee else "",
                    "team": conv.team or "",
                    "csat_score": "" if not sat or sat.score is None else f"{sat.score:g}",
                    "csat_scale": (sat.scale or "") if sat else "",
                    "csat_comment": (sat.comment or "") if sat else "",
                }
            )
    return n
