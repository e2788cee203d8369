"""Help Scout (Mailbox API 2.0) conversations with embedded threads; FreeScout's API gives the same JSON."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from qa_toolkit.importers.base import ImportOptions, Item, register_importer
from qa_toolkit.importers.intercom import (
    RecordError,
    as_dict,
    as_list,
    as_str,
    as_time,
    order_messages,
    read_conversation_records,
    type_name,
)
from qa_toolkit.normalise import clean_body
from qa_toolkit.types import Role, normalise_channel

_STATUSES = {"active": "open", "open": "open", "pending": "pending", "closed": "closed", "spam": "spam"}
_CHANNELS = {"email": "email", "chat": "chat", "phone": "phone"}
_SKIPPED_STATES = {"draft", "hidden", "deleted"}
_CREATOR_ROLES = {"customer": Role.customer, "user": Role.agent, "system_user": Role.bot}
_FORWARDS = {"forwardparent", "forwardchild"}
_CONTAINERS = (("_embedded", "conversations"), ("conversations",))


@register_importer("helpscout.v1")
class HelpScoutImporter:
    """Help Scout conversations as ``GET /v2/conversations?embed=threads`` returns them.

    Accepts a HAL page ``{"_embedded": {"conversations": [...]}}`` (streamed), pages concatenated
    or one a line (NDJSON), a JSON list of pages or of conversations, or one conversation. Threads
    come newest-first and are put in time order (ties: the older thread in the list first). Thread
    types: ``customer`` is the customer; ``message`` an agent reply; ``note`` an internal agent
    note; ``chat``/``phone`` take their role from ``createdBy.type``; ``forwardparent``/
    ``forwardchild`` are internal agent messages; ``lineitem`` events are dropped; a thread created
    by a ``system_user`` (API v3: AI) is the bot. Draft, hidden and deleted threads, and draft or
    deleted conversations, are skipped without a reject.

    FreeScout: its API & Webhooks module returns the same JSON (``/api/conversations?embed=threads``)
    with small differences this importer also reads: ``customer`` instead of ``primaryCustomer``,
    ``firstName``/``lastName`` instead of ``first``/``last``, tags in ``_embedded.tags[].name``.
    Import it with ``--format helpscout`` and set the source (``ImportOptions.source = "freescout"``)
    to keep its ids apart from Help Scout's. Reads no ImportOptions except ``source``.
    """

    name = "helpscout"
    description = "Help Scout / FreeScout conversations with _embedded.threads (API JSON, HAL pages, NDJSON)"

    _EMBEDDED = re.compile(rb'"_embedded"\s*:')
    _THREADS = re.compile(rb'"threads"\s*:\s*\[')
    _HINTS = (
        re.compile(rb'"primaryCustomer"\s*:'),
        re.compile(rb'"mailboxId"\s*:'),
        re.compile(rb'"createdBy"\s*:'),
        re.compile(rb'"type"\s*:\s*"(?:lineitem|customer|message|note)"'),
    )
    _OTHERS = re.compile(rb'"conversation_parts"\s*:|"conversation_message"\s*:')

    def sniff(self, path: Path, head: bytes) -> float:
        start = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1]
        if start not in (b"{", b"[") or self._OTHERS.search(head):
            return 0.0
        hints = sum(1 for p in self._HINTS if p.search(head))
        if self._EMBEDDED.search(head) and self._THREADS.search(head):
            return 0.9
        if self._EMBEDDED.search(head) and hints >= 1:
            return 0.7
        return 0.5 if hints >= 3 else 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        yield from read_conversation_records(path, _CONTAINERS, _conversation, options.source or self.name)


def _conversation(rec: dict[str, Any]) -> dict[str, Any] | None:
    conv_id = as_str(rec.get("id"), "id")
    if conv_id is None:
        raise RecordError("id: missing (every conversation needs its Help Scout id)")
    state = (as_str(rec.get("state"), "state") or "").lower()
    if state in ("draft", "deleted"):
        return None
    embedded = as_dict(rec.get("_embedded"), "_embedded")
    threads_field = embedded.get("threads")
    if threads_field is None and isinstance(rec.get("threads"), list):  # a bare list; a count is not
        threads_field = rec.get("threads")
    threads = [as_dict(t, f"_embedded.threads[{i}]") for i, t in enumerate(as_list(threads_field, "threads"))]

    times = [as_time(t.get("createdAt"), f"_embedded.threads[{i}].createdAt") for i, t in enumerate(threads)]
    known = [t for t in times if t is not None]
    oldest_first = len(known) >= 2 and known[0] < known[-1]  # the API sends newest-first
    items: list[tuple[datetime | None, int, dict[str, Any]]] = []
    for i, (thread, sent_at) in enumerate(zip(threads, times, strict=True)):
        seq = i if oldest_first else len(threads) - 1 - i
        msg = _thread_message(thread, f"_embedded.threads[{i}]", seq, sent_at)
        if msg is not None:
            items.append((sent_at, seq, msg))

    status_raw = as_str(rec.get("status"), "status")
    channel_raw = as_str(rec.get("type"), "type")
    channel = _CHANNELS.get(channel_raw.lower(), normalise_channel(channel_raw)) if channel_raw else "other"
    customer = _person(rec.get("primaryCustomer"), "primaryCustomer") or _person(rec.get("customer"), "customer")
    return {
        "id": conv_id,
        "channel": channel,
        "channel_raw": channel_raw if channel_raw and channel_raw != channel else None,
        "subject": as_str(rec.get("subject"), "subject"),
        "created_at": as_time(rec.get("createdAt"), "createdAt"),
        "closed_at": as_time(rec.get("closedAt"), "closedAt"),
        "status": _STATUSES.get(status_raw.lower(), status_raw.lower()) if status_raw else None,
        "tags": _tags(rec, embedded),
        "customer": customer or {},
        "assignee": _person(rec.get("assignee"), "assignee"),
        "team": _team(rec),
        "messages": order_messages(items),
    }


def _thread_message(thread: dict[str, Any], where: str, seq: int, sent_at: datetime | None) -> dict[str, Any] | None:
    kind = (as_str(thread.get("type"), f"{where}.type") or "").lower()
    state = (as_str(thread.get("state"), f"{where}.state") or "").lower()
    if kind == "lineitem" or state in _SKIPPED_STATES:
        return None
    creator = as_dict(thread.get("createdBy"), f"{where}.createdBy")
    creator_type = (as_str(creator.get("type"), f"{where}.createdBy.type") or "").lower()
    source = as_dict(thread.get("source"), f"{where}.source")
    via = (as_str(source.get("via"), f"{where}.source.via") or "").lower()
    internal = kind == "note" or kind in _FORWARDS
    if creator_type == "system_user":
        role = Role.bot
    elif kind == "customer":
        role = Role.customer
    elif kind in ("message", "reply", "note") or kind in _FORWARDS:
        role = Role.agent
    else:  # chat, phone and anything newer: who created the thread says who wrote it
        role = _CREATOR_ROLES.get(creator_type) or _CREATOR_ROLES.get(via) or Role.system

    raw = thread.get("body")
    if raw is not None and not isinstance(raw, str):
        raise RecordError(f"{where}.body: expected a string, got {type_name(raw)}")
    text = clean_body(raw) if raw and raw.strip() else ""
    embedded = as_dict(thread.get("_embedded"), f"{where}._embedded")
    attachments = as_list(embedded.get("attachments"), f"{where}._embedded.attachments")
    if not text and not attachments and not (raw and "<img" in raw.lower()):
        return None
    if role is Role.system and not text:
        return None
    action = as_dict(thread.get("action"), f"{where}.action")
    action_type = (as_str(action.get("type"), f"{where}.action.type") or "").lower()
    person = _person(creator, f"{where}.createdBy") or {}
    return {
        "id": as_str(thread.get("id"), f"{where}.id") or f"thread-{seq + 1}",
        "role": role.value,
        "author": person.get("id"),
        "author_name": person.get("name"),
        "sent_at": sent_at,
        "text": text,
        "raw_text": raw,
        "is_internal": internal,
        "is_automated": role is Role.agent and action_type == "automatic-workflow",
    }


def _person(value: Any, where: str) -> dict[str, Any] | None:
    """{id, name} of a Help Scout person (``first``/``last``) or a FreeScout one (``firstName``...)."""
    person = as_dict(value, where)
    person_id = as_str(person.get("id"), f"{where}.id")
    parts = [
        as_str(person.get(key), f"{where}.{key}")
        for key in (("firstName", "lastName") if "firstName" in person or "lastName" in person else ("first", "last"))
    ]
    name = " ".join(p for p in parts if p) or None
    if person_id is None and name is None:
        return None
    return {"id": person_id, "name": name}


def _tags(rec: dict[str, Any], embedded: dict[str, Any]) -> list[str]:
    tags: list[str] = []
    for field, values in (("tags", rec.get("tags")), ("_embedded.tags", embedded.get("tags"))):
        for i, tag in enumerate(as_list(values, field)):
            where = f"{field}[{i}]"
            if isinstance(tag, dict):
                name = as_str(tag.get("tag"), f"{where}.tag") or as_str(tag.get("name"), f"{where}.name")
            else:
                name = as_str(tag, where)
            if name and name not in tags:
                tags.append(name)
    return tags


def _team(rec: dict[str, Any]) -> str | None:
    mailbox = rec.get("mailbox")
    if isinstance(mailbox, dict):
        name = as_str(mailbox.get("name"), "mailbox.name")
        if name:
            return name
    return as_str(rec.get("mailboxName"), "mailboxName") or as_str(rec.get("mailboxId"), "mailboxId")
