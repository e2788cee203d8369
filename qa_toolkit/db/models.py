"""All SQLModel tables. A conversation has an integer id and is unique by (source, external id); its
messages are keyed by (conversation id, seq). Integer keys keep bulk inserts append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
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
        # covers the trends' scans of agent replies (role, flags, time, author, conversation: no table reads)
        Index("ix_message_replies", "role", "is_automated", "is_internal", "sent_at", "author_id", "conversation_id"),
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


# --------------------------------------------------------------------------- results, reviews, coaching
#
# Automatic results (ReplyScore, ConversationFlag, ConversationScore kind="automatic", AutomaticResult)
# are replaced as a whole whenever a conversation is scored again; reviews and everything hanging off them
# are never touched by scoring. Reviews name messages by their external id (unique within a conversation),
# not by the message row id, because a re-imported conversation gets new message rows: a review survives
# that, while reply scores (keyed by message row) go with the old messages and are computed again.

KIND_AUTOMATIC = "automatic"
KIND_REVIEWED = "reviewed"
REVIEW_IN_PROGRESS = "in_progress"
REVIEW_DONE = "done"


def _conversation_fk(*, primary_key: bool = False) -> Any:
    return Field(
        sa_column=Column(
            Integer,
            ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
            primary_key=primary_key,
        )
    )


class AutomaticResult(SQLModel, table=True):
    """The latest automatic run on one conversation: what was scored, and the review queue's sort key.

    ``severity`` (the highest flag score; None when nothing was flagged) and ``score`` copy what the flags
    and the automatic ConversationScore hold, so the queue is one indexed join (no aggregate per page)."""

    __tablename__ = "automatic_result"
    __table_args__ = (Index("ix_automatic_result_queue", "severity", "conversation_id"),)

    conversation_id: int = _conversation_fk(primary_key=True)
    content_hash: str = Field(sa_column=Column(String(40), nullable=False))
    scored_at: datetime | None = _dt()
    model_version: str | None = None
    scorecard: str | None = None
    severity: float | None = None
    flag_count: int = 0
    score: float | None = None
    passed: bool | None = None


class ReplyScore(SQLModel, table=True):
    """One classifier label of one agent reply (automatic)."""

    __tablename__ = "reply_score"
    __table_args__ = (
        UniqueConstraint("message_id", "label_name", name="uq_reply_score_message_label"),
        Index("ix_reply_score_conversation", "conversation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = _conversation_fk()
    message_id: int = Field(sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False))
    label_name: str = Field(sa_column=Column(String(32), nullable=False))
    label: str = Field(sa_column=Column(String(32), nullable=False))
    confidence: float
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_version: str | None = None


class ConversationFlag(SQLModel, table=True):
    """One rule's flag on one conversation (automatic)."""

    __tablename__ = "conversation_flag"
    __table_args__ = (
        Index("ix_conversation_flag_conversation", "conversation_id"),
        Index("ix_conversation_flag_rule", "rule", "conversation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = _conversation_fk()
    rule: str = Field(sa_column=Column(String(64), nullable=False))
    score: float
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Review(SQLModel, table=True):
    """One reviewer's review of one conversation. Each reviewer has their own row; ``version`` grows with
    every save, and a save names the version it started from, so two saves of the same review cannot
    silently overwrite each other (see db.results.save_review)."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("conversation_id", "reviewer", name="uq_review_conversation_reviewer"),
        Index("ix_review_conversation_status", "conversation_id", "status"),
        Index("ix_review_reviewer", "reviewer", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = _conversation_fk()
    reviewer: str = Field(sa_column=Column(String(128), nullable=False))
    status: str = Field(default=REVIEW_IN_PROGRESS, sa_column=Column(String(16), nullable=False))
    started_at: datetime | None = _dt()
    updated_at: datetime | None = _dt()
    finished_at: datetime | None = _dt()
    comment: str | None = Field(default=None, sa_column=Column(Text))
    scorecard: str | None = None
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))


class ConversationScore(SQLModel, table=True):
    """A scorecard result for one conversation: the automatic one (one per conversation and scorecard,
    replaced on rescoring) or a reviewed one (one per review, kept apart from the automatic one)."""

    __tablename__ = "conversation_score"
    __table_args__ = (
        Index("ix_conversation_score_conversation", "conversation_id", "kind"),
        Index(
            "uq_conversation_score_automatic",
            "conversation_id",
            "scorecard",
            unique=True,
            sqlite_where=sql_text("kind = 'automatic'"),
            postgresql_where=sql_text("kind = 'automatic'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = _conversation_fk()
    scorecard: str = Field(sa_column=Column(String(64), nullable=False))
    value: float | None = None
    passed: bool | None = None
    categories: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    kind: str = Field(default=KIND_AUTOMATIC, sa_column=Column(String(16), nullable=False))
    review_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("review.id", ondelete="CASCADE"), unique=True)
    )
    created_at: datetime | None = _dt()


class LabelReview(SQLModel, table=True):
    """A reviewer's verdict on one label of one reply: the model's label and theirs (equal = confirmed)."""

    __tablename__ = "label_review"
    __table_args__ = (
        UniqueConstraint("review_id", "message_external_id", "label_name", name="uq_label_review"),
        Index("ix_label_review_label", "label_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=Column(Integer, ForeignKey("review.id", ondelete="CASCADE"), nullable=False))
    message_external_id: str = Field(sa_column=Column(String, nullable=False))
    label_name: str = Field(sa_column=Column(String(32), nullable=False))
    model_label: str | None = None
    reviewer_label: str = Field(sa_column=Column(String(32), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))


class CategoryReview(SQLModel, table=True):
    """A reviewer's verdict on one scorecard category: the automatic value and theirs (0-100; None is N/A).
    ``overridden`` is False when the reviewer kept the category as computed from their own labels."""

    __tablename__ = "category_review"
    __table_args__ = (UniqueConstraint("review_id", "category", name="uq_category_review"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(sa_column=Column(Integer, ForeignKey("review.id", ondelete="CASCADE"), nullable=False))
    category: str = Field(sa_column=Column(String(64), nullable=False))
    model_value: float | None = None
    reviewer_value: float | None = None
    overridden: bool = False
    comment: str | None = Field(default=None, sa_column=Column(Text))


class Comment(SQLModel, table=True):
    """A reviewer's comment on a conversation or on one of its messages (append-only)."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_conversation", "conversation_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = _conversation_fk()
    message_external_id: str | None = None
    review_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("review.id", ondelete="SET NULL"), nullable=True)
    )
    reviewer: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: datetime | None = _dt()
    text: str = Field(default="", sa_column=Column(Text, nullable=False))


class CoachingSet(SQLModel, table=True):
    """A named collection of replies and conversations for training agents."""

    __tablename__ = "coaching_set"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str | None = None
    created_at: datetime | None = _dt()


class CoachingItem(SQLModel, table=True):
    """A conversation (or one reply in it, by message external id) in a coaching set, with a note."""

    __tablename__ = "coaching_item"
    __table_args__ = (
        Index("ix_coaching_item_set", "set_id", "added_at"),
        Index("ix_coaching_item_conversation", "conversation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    set_id: int = Field(sa_column=Column(Integer, ForeignKey("coaching_set.id", ondelete="CASCADE"), nullable=False))
    conversation_id: int = _conversation_fk()
    message_external_id: str | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    added_by: str | None = None
    added_at: datetime | None = _dt()
