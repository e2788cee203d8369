"""The one conversation model every importer produces and every later stage consumes.

``ConversationIn`` and ``MessageIn`` are the canonical JSONL format (see docs/canonical-format.md):
``ConversationIn.model_validate(json_dict)`` reads a line, ``to_canonical()`` writes one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qa_toolkit.types import Role, normalise_channel, normalise_role


def _not_empty(v: str) -> str:
    if not v.strip():  # a score, a flag or a review could not be joined back to it
        raise ValueError("id must not be empty")
    return v


Id = Annotated[str, AfterValidator(_not_empty)]  # a conversation's or a message's id


def to_utc(value: datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value
    if not value.utcoffset():  # pydantic's own UTC tzinfo: use the one datetime.UTC (cheap identity checks)
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time out of range: {value.isoformat()}") from None


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with a ``Z`` suffix, or None."""
    if value is None:
        return None
    return to_utc(value).isoformat().replace("+00:00", "Z")


_ROLES = frozenset(Role.__members__)


# three-letter codes (ISO 639-2 and 639-3) and English names of the languages detected, as exports write them
_LANGUAGE_ALIASES = {
    "eng": "en", "english": "en", "nld": "nl", "dut": "nl", "dutch": "nl", "deu": "de", "ger": "de",
    "german": "de", "fra": "fr", "fre": "fr", "french": "fr", "spa": "es", "spanish": "es", "ita": "it",
    "italian": "it", "por": "pt", "portuguese": "pt",
}  # fmt: skip


def language_code(value: str | None) -> str | None:
    """A language tag as its lower-case primary subtag, the ISO 639-1 code the features and lexicons read:
    "en-US", "EN" and "en_GB" are "en", and so are "eng" and "English" (``_LANGUAGE_ALIASES``); empty is
    None."""
    if value is None:
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return _LANGUAGE_ALIASES.get(code, code) or None


LanguageCode = Annotated[str | None, AfterValidator(language_code)]  # a message's or a conversation's language


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=False, validate_assignment=False, coerce_numbers_to_str=True
    )


class Party(_Model):
    """A customer or assignee: an id and, when the export has one, a name."""

    id: str | None = None
    name: str | None = None

    @field_validator("id", "name", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return None if v is None or v == "" else str(v) if isinstance(v, int | float) else v


class Satisfaction(_Model):
    """A satisfaction (CSAT) rating: the raw score on its scale, and the customer's comment."""

    score: float | None = None
    scale: str | None = Field(default=None, description='the scale, e.g. "1-5", "good/bad", "-103..103"')
    comment: str | None = None

    @property
    def normalised(self) -> float | None:
        """The score mapped onto [0, 1]: numeric scales ("1-5", "0-10", "-103..103"), ordered label
        scales ("bad/good", "not-good/ok/great": the score is the label's position, from 0), and
        Freshdesk's seven-point survey (-103..103, where 100 is neutral)."""
        if self.score is None or not self.scale:
            return None
        scale = self.scale.strip()
        if scale == "-103..103" and self.score in _FRESHDESK_STEPS:
            return _FRESHDESK_STEPS[self.score]
        if "/" in scale:
            steps = [p for p in scale.split("/") if p]
            if len(steps) >= 2 and 0 <= self.score <= len(steps) - 1:
                return self.score / (len(steps) - 1)
            return None
        for sep in ("..", "–", "-"):
            lo, found, hi = scale.rpartition(sep) if sep == "-" else scale.partition(sep)
            if not found:
                continue
            try:
                low, high = float(lo), float(hi)
            except ValueError:
                continue
            if high > low:
                return min(1.0, max(0.0, (self.score - low) / (high - low)))
        return None


# Freshdesk's survey answers: 103 extremely happy ... 100 neutral ... -103 extremely unhappy
_FRESHDESK_STEPS = {103: 1.0, 102: 5 / 6, 101: 4 / 6, 100: 0.5, -101: 2 / 6, -102: 1 / 6, -103: 0.0}


class MessageIn(_Model):
    """One message. ``text`` is clean (quoted history and signatures stripped); ``raw_text`` as exported."""

    id: Id
    role: Role
    author: str | None = Field(
        default=None, description="author id", validation_alias=AliasChoices("author", "author_id")
    )
    author_name: str | None = None
    sent_at: datetime | None = None
    text: str = ""
    raw_text: str | None = None
    is_internal: bool = False
    is_automated: bool = False
    language: LanguageCode = None

    @field_validator("role", mode="before")
    @classmethod
    def _role_synonyms(cls, v: Any) -> Any:
        if isinstance(v, str) and v not in _ROLES:
            mapped = normalise_role(v)
            if mapped is None:
                raise ValueError(f"unknown role {v!r}; valid: customer, agent, bot, system (or a usual synonym)")
            return mapped
        return v

    @field_validator("author", mode="before")
    @classmethod
    def _empty_author(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("sent_at", mode="after")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return to_utc(v)

    @field_validator("text", mode="before")
    @classmethod
    def _text_none(cls, v: Any) -> Any:
        if v is None:
            return ""
        return v.replace("\x00", "") if isinstance(v, str) and "\x00" in v else v

    @field_validator("raw_text", mode="after")
    @classmethod
    def _raw_text_only_when_different(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None or v == info.data.get("text"):
            return None  # runs only when raw_text is given; equal to text means nothing extra to keep
        return v.replace("\x00", "") if "\x00" in v else v

    @property
    def is_answer(self) -> bool:
        """True for a message that counts as a human agent answer (not bot, auto-reply or note)."""
        return self.role is Role.agent and not self.is_internal and not self.is_automated


class ConversationIn(_Model):
    """One conversation with its messages in order."""

    id: Id
    source: str = "jsonl"
    channel: str = "other"
    channel_raw: str | None = None
    subject: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    status: str | None = None
    tags: list[str] = Field(default_factory=list)
    customer: Party = Field(default_factory=Party)
    assignee: Party | None = None
    team: str | None = None
    satisfaction: Satisfaction | None = None
    language: LanguageCode = None
    messages: list[MessageIn]

    @model_validator(mode="before")
    @classmethod
    def _channel(cls, data: Any) -> Any:
        if isinstance(data, dict) and "channel" in data:
            raw = data.get("channel")
            if raw is not None and not isinstance(raw, str):
                raise ValueError(f"channel must be a string, got {type(raw).__name__}")
            data = {**data, "channel": normalise_channel(raw)}
            if raw and data["channel"] != raw and not data.get("channel_raw"):
                data["channel_raw"] = raw
        return data

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [t.strip() for t in v.replace("|", ";").replace(",", ";").split(";") if t.strip()]
        return v

    @field_validator("created_at", "closed_at", mode="after")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return to_utc(v)

    @model_validator(mode="after")
    def _check_messages(self) -> ConversationIn:
        if not self.messages:
            raise ValueError("a conversation needs at least one message")
        seen: set[str] = set()
        for msg in self.messages:
            if msg.id in seen:
                raise ValueError(f"message id {msg.id!r} occurs twice in conversation {self.id!r}")
            seen.add(msg.id)
        if self.created_at is None:
            known = [m.sent_at for m in self.messages if m.sent_at is not None]
            self.created_at = min(known) if known else None
        return self

    def to_canonical(self) -> dict[str, Any]:
        """The canonical JSONL record (JSON-ready: times as ISO strings, empty optionals dropped)."""
        out: dict[str, Any] = {"id": self.id, "source": self.source, "channel": self.channel}
        if self.channel_raw:
            out["channel_raw"] = self.channel_raw
        for key in ("subject", "status", "team", "language"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["created_at"] = iso(self.created_at)
        if self.closed_at is not None:
            out["closed_at"] = iso(self.closed_at)
        if self.tags:
            out["tags"] = list(self.tags)
        out["customer"] = self.customer.model_dump(exclude_none=True)
        if self.assignee is not None:
            out["assignee"] = self.assignee.model_dump(exclude_none=True)
        if self.satisfaction is not None:
            out["satisfaction"] = self.satisfaction.model_dump(exclude_none=True)
        out["messages"] = [
            {
                "id": m.id,
                "role": m.role.value,
                "author": m.author,
                **({"author_name": m.author_name} if m.author_name else {}),
                "sent_at": iso(m.sent_at),
                "text": m.text,
                **({"raw_text": m.raw_text} if m.raw_text is not None and m.raw_text != m.text else {}),
                **({"is_internal": True} if m.is_internal else {}),
                **({"is_automated": True} if m.is_automated else {}),
                **({"language": m.language} if m.language else {}),
            }
            for m in self.messages
        ]
        return out
