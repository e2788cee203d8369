"""Freshdesk tickets with conversations and satisfaction ratings: API-shaped JSON documents or NDJSON."""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa_toolkit.importers.base import ImportOptions, Item, Rejected, build_conversation, register_importer
from qa_toolkit.importers.zendesk import (
    RecordError,
    as_bool,
    as_dict,
    as_id,
    as_text,
    as_time,
    detect_json_layout,
    iter_json_lines,
    looks_like_bot,
    order_messages,
    read_json_document,
)
from qa_toolkit.normalise import clean_body

# ticket.source (Freshdesk Helpdesk::Source) -> (name kept as channel_raw, normalised channel)
TICKET_SOURCES: dict[int, tuple[str, str]] = {
    1: ("email", "email"),
    2: ("portal", "web_form"),
    3: ("phone", "phone"),
    4: ("forum", "other"),
    5: ("twitter", "social"),
    6: ("facebook", "social"),
    7: ("chat", "chat"),
    8: ("mobihelp", "messaging"),
    9: ("feedback_widget", "web_form"),
    10: ("outbound_email", "email"),
    11: ("ecommerce", "other"),
    12: ("bot", "chat"),
}

# ticket.status -> normalised status; 6 and 7 are the default custom statuses "Waiting on Customer"
# and "Waiting on Third Party"; other custom statuses (>= 8) become "custom_<n>"
STATUSES: dict[int, str] = {2: "open", 3: "pending", 4: "solved", 5: "closed", 6: "pending", 7: "on_hold"}
STATUS_NAMES: dict[str, str] = {
    "open": "open",
    "pending": "pending",
    "resolved": "solved",
    "solved": "solved",
    "closed": "closed",
    "waiting on customer": "pending",
    "waiting on third party": "on_hold",
}

# conversation.source
REPLY, NOTE, TWEET, SURVEY_FEEDBACK, FACEBOOK, FORWARD, PHONE, ECOMMERCE, BOT = 0, 2, 5, 6, 7, 8, 9, 11, 12

SATISFACTION_SCALE = "-103..103"  # ratings.default_question: 103 extremely happy .. -103 extremely unhappy

_CONTAINER_KEYS = ("tickets",)
_SIDELOAD_KEYS = ("agents", "contacts")


def _enum(value: Any, what: str) -> int | None:
    """A numeric enum value (int or digit string); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


@dataclass
class _People:
    """Names by id: agents and contacts (the file's sideloads plus the record's own)."""

    agents: MutableMapping[str, str | None] = field(default_factory=dict)
    contacts: MutableMapping[str, str | None] = field(default_factory=dict)

    def add_agent(self, agent: Any) -> None:
        if isinstance(agent, dict):
            name = as_dict(agent.get("contact")).get("name") or agent.get("name")
            self._add(self.agents, agent.get("id"), name)

    def add_contact(self, contact: Any) -> None:
        if isinstance(contact, dict):
            self._add(self.contacts, contact.get("id"), contact.get("name"))

    @staticmethod
    def _add(into: MutableMapping[str, str | None], pid: Any, name: Any) -> None:
        try:
            key = as_id(pid)
        except RecordError:
            return
        if key is not None:
            into[key] = name if isinstance(name, str) and name.strip() else into.get(key)

    def name(self, pid: str | None) -> str | None:
        if pid is None:
            return None
        return self.agents.get(pid) or self.contacts.get(pid)

    def layer(self) -> _People:
        """A view for one record: what the record adds stays in the record's own layer."""
        return _People(ChainMap({}, self.agents), ChainMap({}, self.contacts))


@register_importer("freshdesk.v1")
class FreshdeskImporter:
    """Reads ``options.source`` (the recorded source name); Freshdesk times are ISO 8601 with a zone."""

    name = "freshdesk"
    description = (
        "Freshdesk tickets: {ticket, conversations, satisfaction_ratings, requester/agents/contacts} "
        "records as one JSON document (object, list, {tickets: [...]}) or NDJSON"
    )

    _MARKERS = (
        b'"conversations"',
        b'"description_text"',
        b'"responder_id"',
        b'"body_text"',
        b'"incoming"',
        b'"satisfaction_ratings"',
        b'"support_email"',
        b'"default_question"',
        b'"fr_escalated"',
        b'"to_emails"',
        b'"due_by"',
    )
    _OTHER_VENDOR = (
        b'"via"',
        b'"plain_body"',
        b'"html_body"',
        b'"author_id"',
        b'"conversation_parts"',
        b'"threads"',
        b'"assignee_id"',
    )

    def sniff(self, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith((b"{", b"[")):
            return 0.0
        if re.match(rb'\{[^\n]*"messages"\s*:\s*\[', text) and b'"conversations"' not in text:
            return 0.05  # canonical JSONL
        hits = sum(marker in text for marker in self._MARKERS)
        other = sum(marker in text for marker in self._OTHER_VENDOR)
        if b"freshdesk.com" in text and hits >= 1:
            return 0.95
        if other >= 2 and hits < 5:
            return 0.1
        return {0: 0.0, 1: 0.15, 2: 0.5, 3: 0.75}.get(hits, 0.9)

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        path = Path(path)
        people = _People()
        layout = detect_json_layout(path, container_keys=frozenset(_CONTAINER_KEYS))
        if layout == "ndjson":
            records: Iterator[tuple[str, Any]] = iter_json_lines(path)
        else:
            sideloads, records = read_json_document(path, container_keys=_CONTAINER_KEYS, sideload_keys=_SIDELOAD_KEYS)
            for agent in sideloads.get("agents", []):
                people.add_agent(agent)
            for contact in sideloads.get("contacts", []):
                people.add_contact(contact)
        for location, obj in records:
            if isinstance(obj, Rejected):
                yield obj
                continue
            yield self._record(obj, people, options, location)

    def _record(self, obj: Any, people: _People, options: ImportOptions, location: str) -> Item:
        if not isinstance(obj, dict):
            return Rejected(location, f"expected a JSON object, got {type(obj).__name__}")
        try:
            record = self._conversation(obj, people, options)
        except RecordError as exc:
            return Rejected(location, str(exc))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:  # defensive
            return Rejected(location, f"unexpected structure ({type(exc).__name__}: {exc})")
        return build_conversation(record, location)

    # ------------------------------------------------------------------ mapping

    def _conversation(self, obj: dict[str, Any], file_people: _People, options: ImportOptions) -> dict[str, Any]:
        if "ticket" in obj:
            ticket = obj["ticket"]
            if not isinstance(ticket, dict):
                raise RecordError(f'"ticket" must be an object, got {type(ticket).__name__}')
        elif "id" in obj or "description_text" in obj or "requester_id" in obj:
            ticket = obj  # a bare ticket (include=conversations,requester)
        else:
            raise RecordError('not a Freshdesk record: expected {"ticket": {...}, "conversations": [...]}')
        tid = as_id(ticket.get("id"))
        if tid is None:
            raise RecordError("ticket has no id")

        conversations = obj.get("conversations")
        if conversations is None:
            conversations = ticket.get("conversations")
        if conversations is not None and not isinstance(conversations, list):
            raise RecordError(f'"conversations" must be an array, got {type(conversations).__name__}')

        people = file_people.layer()
        for key, add in (("agents", people.add_agent), ("contacts", people.add_contact)):
            value = obj.get(key)
            if value is not None and not isinstance(value, list):
                raise RecordError(f'"{key}" must be an array, got {type(value).__name__}')
            for item in value or []:
                add(item)
        requester = as_dict(obj.get("requester")) or as_dict(ticket.get("requester"))
        requester_id = as_id(ticket.get("requester_id")) or as_id(requester.get("id"))
        if requester_id is not None and requester:
            people.add_contact({**requester, "id": requester_id})
        requester_name = people.name(requester_id)
        responder_id = as_id(ticket.get("responder_id"))

        source = _enum(ticket.get("source"), "source")
        if source is None and isinstance(ticket.get("source"), str):
            channel_raw = ticket["source"].strip().lower() or None
            channel = channel_raw or "other"
        elif source is None:
            channel_raw, channel = None, "other"
        else:
            channel_raw, channel = TICKET_SOURCES.get(source, (f"source_{source}", "other"))

        created_at = as_time(ticket.get("created_at"), "created_at")
        messages = self._description(
            ticket, tid, created_at, source, requester_id, requester_name, responder_id, people
        )
        survey_texts: list[str] = []
        for idx, conv in enumerate(conversations or [], start=1):
            msg = self._message(conv, idx, tid, requester_id, people, survey_texts)
            if msg is not None:
                messages.append(msg)
        if not messages:
            raise RecordError(f"ticket {tid} has no description and no conversations with text")

        stats = as_dict(obj.get("stats")) or as_dict(ticket.get("stats"))
        closed_raw = stats.get("closed_at") or stats.get("resolved_at")
        subject = ticket.get("subject") if isinstance(ticket.get("subject"), str) else None
        group_id = as_id(ticket.get("group_id"))
        group = as_dict(ticket.get("group"))
        return {
            "id": tid,
            "source": options.source or self.name,
            "channel": channel,
            "channel_raw": channel_raw,
            "subject": subject,
            "created_at": created_at,
            "closed_at": as_time(closed_raw, "stats.closed_at") if closed_raw else None,
            "status": self._status(ticket),
            "tags": ticket.get("tags"),
            "customer": {"id": requester_id, "name": requester_name},
            "assignee": {"id": responder_id, "name": people.name(responder_id)} if responder_id else None,
            "team": group.get("name") if isinstance(group.get("name"), str) else group_id,
            "satisfaction": self._satisfaction(obj, ticket, tid, survey_texts),
            "messages": order_messages(messages),
        }

    def _description(
        self,
        ticket: dict[str, Any],
        tid: str,
        created_at: datetime | None,
        source: int | None,
        requester_id: str | None,
        requester_name: str | None,
        responder_id: str | None,
        people: _People,
    ) -> list[dict[str, Any]]:
        text_body = as_text(ticket, "description_text", "ticket")
        html_body = as_text(ticket, "description", "ticket")
        if text_body and text_body.strip():
            raw, is_html = text_body, False
        elif html_body and html_body.strip():
            raw, is_html = html_body, True
        else:
            return []
        if source == 10:  # outbound email: the ticket is opened by an agent writing to the customer
            role, author, author_name = "agent", responder_id, people.name(responder_id)
        else:
            role, author, author_name = "customer", requester_id, requester_name
        return [
            {
                "id": f"{tid}:desc",
                "role": role,
                "author": author,
                "author_name": author_name,
                "sent_at": created_at,
                "text": clean_body(raw, html=is_html),
                "raw_text": raw,
            }
        ]

    def _message(
        self,
        conv: Any,
        idx: int,
        tid: str,
        requester_id: str | None,
        people: _People,
        survey_texts: list[str],
    ) -> dict[str, Any] | None:
        if not isinstance(conv, dict):
            raise RecordError(f"conversation {idx}: expected an object, got {type(conv).__name__}")
        cid = as_id(conv.get("id")) or f"{tid}:conv{idx}"
        what = f"conversation {cid}"
        source = _enum(conv.get("source"), f"{what}: source")
        text_body = as_text(conv, "body_text", what)
        html_body = as_text(conv, "body", what)
        if text_body and text_body.strip():
            raw, is_html = text_body, False
        elif html_body and html_body.strip():
            raw, is_html = html_body, True
        else:
            return None
        if source == SURVEY_FEEDBACK:  # the customer's survey comment, not part of the dialogue
            survey_texts.append(clean_body(raw, html=is_html))
            return None
        user_id = as_id(conv.get("user_id"))
        try:
            incoming = conv.get("incoming")
            incoming = None if incoming is None else as_bool(incoming, default=False)
            private = as_bool(conv.get("private"), default=False)
        except RecordError as exc:
            raise RecordError(f"{what}: {exc}") from None
        if incoming is None:  # not exported: decide by who wrote it
            incoming = user_id is not None and (user_id == requester_id or user_id in people.contacts)
            incoming = incoming and user_id not in people.agents
        author_name = people.name(user_id)
        if incoming:
            role = "customer"
        elif source == BOT or looks_like_bot(author_name):
            role = "bot"
        else:
            role = "agent"
        return {
            "id": cid,
            "role": role,
            "author": user_id,
            "author_name": author_name,
            "sent_at": as_time(conv.get("created_at"), f"{what}: created_at"),
            "text": clean_body(raw, html=is_html),
            "raw_text": raw,
            "is_internal": private or (source == FORWARD and not incoming),
        }

    def _status(self, ticket: dict[str, Any]) -> str | None:
        if ticket.get("spam") is True:
            return "spam"
        raw = ticket.get("status")
        number = _enum(raw, "status")
        if number is not None:
            return STATUSES.get(number, f"custom_{number}")
        if isinstance(raw, str) and raw.strip():
            return STATUS_NAMES.get(raw.strip().lower(), raw.strip().lower())
        return None

    def _satisfaction(
        self, obj: dict[str, Any], ticket: dict[str, Any], tid: str, survey_texts: list[str]
    ) -> dict[str, Any] | None:
        ratings = obj.get("satisfaction_ratings")
        if ratings is None:
            ratings = ticket.get("satisfaction_ratings")
        if isinstance(ratings, dict):
            ratings = [ratings]
        if not isinstance(ratings, list):
            return None
        best: tuple[datetime, int, dict[str, Any]] | None = None
        for idx, rating in enumerate(ratings):
            if not isinstance(rating, dict):
                continue
            try:
                if as_id(rating.get("ticket_id")) not in (None, tid):
                    continue
                when = as_time(rating.get("created_at"), "satisfaction rating: created_at")
            except RecordError:
                continue
            score = _enum(as_dict(rating.get("ratings")).get("default_question"), "default_question")
            if score is None:
                continue
            key = (when or datetime.min.replace(tzinfo=UTC), idx, rating)
            if best is None or key[:2] > best[:2]:
                best = key
        if best is None:
            return None
        rating = best[2]
        comment = rating.get("feedback") if isinstance(rating.get("feedback"), str) else None
        if not (comment and comment.strip()) and survey_texts:
            comment = survey_texts[-1]
        return {
            "score": float(_enum(as_dict(rating.get("ratings")).get("default_question"), "score") or 0),
            "scale": SATISFACTION_SCALE,
            "comment": comment.strip() if comment and comment.strip() else None,
        }
