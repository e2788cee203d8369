"""All SQLModel tables. A conversation has an integer id and is unique by (source, external id); its
messages are keyed by (conversation id, seq). Integer keys keep bulk inserts append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _dt(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_conversation_source_id"),
        Index("ix_conversation_created", "created_at"),
        Index("ix_conversation_team_channel", "team", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_column=Column(String, nullable=False))
    external_id: str = Field(sa_column=Column(String, nullable=False))
    channel: str = Field(default="other", index=True)
    channel_raw: str | None = None
    subject: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = _dt()
    closed_at: datetime | None = _dt()
    status: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    customer_id: str | None = None
    customer_name: str | None = None
    assignee_id: str | None = Field(default=None, index=True)
    assignee_name: str | None = None
    team: str | None = None
    csat_score: float | None = None
    csat_scale: str | None = None
    csat_comment: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = None
    content_hash: str = Field(sa_column=Column(String(40), nullable=False))
    imported_at: datetime | None = _dt()
    # thread metrics (qa_toolkit.metrics), stored with the conversation
    exchanges: int = 0
    customer_turns: int = 0
    agent_turns: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    bot_messages: int = 0
    automated_messages: int = 0
    internal_notes: int = 0
    first_response_seconds: float | None = None
    longest_customer_wait_seconds: float | None = None
    median_agent_reply_seconds: float | None = None
    p90_agent_reply_seconds: float | None = None
    duration_seconds: float | None = None
    unanswered_customer_turns: int = 0
    customer_waits: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_message_conversation_seq"),
        Index("ix_message_author", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False)
    )
    seq: int
    external_id: str
    role: str
    author_id: str | None = None
    author_name: str | None = None
    sent_at: datetime | None = _dt()
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw_text: str | None = Field(default=None, sa_column=Column(Text))
    is_internal: bool = False
    is_automated: bool = False
    language: str | None = None


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    path: str
    format: str
    started_at: datetime | None = _dt()
    finished_at: datetime | None = _dt()
    conversations_new: int = 0
    conversations_updated: int = 0
    conversations_unchanged: int = 0
    messages: int = 0
    rejected: int = 0
