"""Intercom conversations with their conversation_parts (REST API 2.x shape; the 1.x shape is tolerated)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import (
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    detect_encoding,
    iter_lines,
    open_binary,
    open_text,
    read_head,
    register_importer,
)
from qa_toolkit.normalise import clean_body, looks_like_html, parse_timestamp
from qa_toolkit.types import Role, normalise_channel

# =========================================================================== shared JSON helpers
# Used by the Help Scout importer too; they would sit well in importers/base.py.


Containers = tuple[tuple[str, ...], ...]


class RecordError(ValueError):
    """A record whose structure or values are wrong; the message names the field."""


def as_dict(value: Any, where: str) -> dict[str, Any]:
    """``value`` as a dict; None gives {}; any other type is a RecordError naming ``where``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{where}: expected an object, got {type_name(value)}")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    """``value`` as a list; None gives []; any other type is a RecordError naming ``where``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{where}: expected a list, got {type_name(value)}")
    return value


def as_str(value: Any, where: str) -> str | None:
    """A string or number as a stripped string (None when empty); other types are a RecordError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"{where}: expected a string, got {type_name(value)}")
    text = str(value).strip()
    return text or None


def as_time(value: Any, where: str) -> datetime | None:
    """A timestamp (ISO 8601 or unix seconds/milliseconds) as aware UTC, or None when empty."""
    if isinstance(value, dict | list):
        raise RecordError(f"{where}: expected a timestamp, got {type_name(value)}")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise RecordError(f"{where}: {exc}") from None


def type_name(value: Any) -> str:
    """How a JSON value's type reads in a reason: "an object", "a list", "a string", "a number" ..."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def order_messages(items: Sequence[tuple[datetime | None, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Messages sorted by (time, vendor order); one without a time keeps its place after the one
    before it in vendor order."""
    chronological = sorted(items, key=lambda item: item[1])
    keyed = []
    last: datetime | None = None
    for sent_at, seq, msg in chronological:
        last = sent_at or last
        keyed.append(((last is not None, last or datetime.min), seq, msg))
    return [msg for _, _, msg in sorted(keyed, key=lambda k: (k[0], k[1]))]


class _Utf8Reader:
    """A text stream seen as UTF-8 bytes, so ijson can read files in other encodings."""

    def __init__(self, text: Any) -> None:
        self._text = text

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        return self._text.read(size if size > 0 else -1).encode("utf-8")


_MAX_FIRST_LINE = 1024 * 1024  # longer first lines are read by the streaming JSON parser


def _is_ndjson(path: Path) -> bool:
    """True when the first line is a complete JSON object and more non-blank text follows it."""
    try:
        with open_binary(path) as fh:
            first = fh.readline(_MAX_FIRST_LINE)
            if not first.endswith(b"\n"):
                return False
            first = first.removeprefix(codecs.BOM_UTF8).strip()
            if not first.startswith(b"{"):
                return False
            try:
                if not isinstance(orjson.loads(first), dict):
                    return False
            except orjson.JSONDecodeError:
                return False
            while chunk := fh.read(65536):
                if chunk.strip():
                    return True
    except (EOFError, OSError):  # a corrupt compressed file: the JSON reader reports it
        return False
    return False


def _json_error(exc: Exception) -> str:
    msg = exc.args[0] if exc.args else str(exc)
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    first = str(msg).strip().splitlines()[0] if str(msg).strip() else "invalid JSON"
    if "premature EOF" in first:
        return "the file ends in the middle of a JSON value (truncated?)"
    return first


def _dig(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)  # type: ignore[assignment]
    return obj


def _expand(value: Any, containers: Containers) -> Iterator[Any]:
    """Records in an in-memory JSON value: a list's items, a wrapper's container list, or itself."""
    for item in value if isinstance(value, list) else [value]:
        for keys in containers:
            if isinstance(item, dict) and isinstance(inner := _dig(item, keys), list):
                yield from inner
                break
        else:
            yield item


_START = {"start_map", "start_array"}
_END = {"end_map", "end_array"}


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    if event not in _START:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _, ev, val in events:
        builder.event(ev, val)
        if ev in _START:
            depth += 1
        elif ev in _END:
            depth -= 1
            if depth == 0:
                return builder.value
    raise ijson.IncompleteJSONError("premature EOF")


def _walk_map(
    events: Iterator[tuple[str, str, Any]],
    target: dict[str, Any],
    path: tuple[str, ...],
    containers: Containers,
) -> Generator[Any, None, bool]:
    """Fill ``target`` from a map's events; items of a container array are yielded instead of kept.
    Returns True when a container array was found."""
    found = False
    for _, event, value in events:
        if event == "end_map":
            return found
        key = value
        here = (*path, key)
        _, ev, val = next(events, ("", "end_of_file", None))
        if ev == "end_of_file":
            break
        if here in containers and ev == "start_array":
            found = True
            for _, item_ev, item_val in events:
                if item_ev == "end_array":
                    break
                yield _build(events, item_ev, item_val)
        elif ev == "start_map" and any(c[: len(here)] == here for c in containers):
            sub: dict[str, Any] = {}
            target[key] = sub
            found = (yield from _walk_map(events, sub, here, containers)) or found
        else:
            target[key] = _build(events, ev, val)
    raise ijson.IncompleteJSONError("premature EOF")


def _stream_values(events: Iterator[tuple[str, str, Any]], containers: Containers) -> Iterator[Any]:
    def candidate() -> Generator[Any, None, None]:
        target: dict[str, Any] = {}
        if not (yield from _walk_map(events, target, (), containers)):
            yield target

    for _, event, value in events:
        if event == "start_array":
            for _, item_ev, item_val in events:
                if item_ev == "end_array":
                    break
                if item_ev == "start_map":
                    yield from candidate()
                else:
                    yield _build(events, item_ev, item_val)
        elif event == "start_map":
            yield from candidate()
        else:
            yield value


def read_conversation_records(
    path: Path, containers: Containers, convert: Callable[[dict], dict | None], source: str
) -> Iterator[Item]:
    """Conversations from a JSON/NDJSON file of vendor conversation objects: ``convert`` maps one object
    to a canonical record (None to skip it, RecordError to reject it); anything else it raises on odd
    structure becomes a Rejected naming the record, never a traceback."""
    for entry in iter_json_records(path, containers):
        if isinstance(entry, Rejected):
            yield entry
            continue
        location, record = entry
        if not isinstance(record, dict):
            yield Rejected(location, f"expected a conversation object, got {type_name(record)}")
            continue
        try:
            canonical = convert(record)
        except RecordError as exc:
            yield Rejected(location, str(exc))
            continue
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a safety net
            yield Rejected(location, f"unexpected structure ({type(exc).__name__}: {exc})")
            continue
        if canonical is None:  # e.g. a draft or deleted conversation
            continue
        canonical["source"] = source
        yield build_conversation(canonical, location)


def iter_json_records(path: Path, containers: Containers) -> Iterator[tuple[str, Any] | Rejected]:
    """(location, record) for every record in a JSON export, streaming.

    Accepts NDJSON (one value a line: location ``path:line``), or one or more concatenated JSON
    documents read with ijson (location ``path:record N``). Each value may be a record, a list of
    records, or a wrapper object holding them under one of ``containers`` (key paths such as
    ``("conversations",)``); wrappers and lists are opened, everything else is one record. Invalid
    JSON yields a Rejected (NDJSON: that line; otherwise the rest of the file). Raises
    ImportFileError when the file holds no readable JSON at all.
    """
    head = read_head(path)
    if not head.strip():
        raise ImportFileError(str(path), "the file is empty")
    if _is_ndjson(path):
        yield from _ndjson_records(path, containers)
        return
    encoding = detect_encoding(path, head)
    count = 0
    try:
        with _open_json(path, encoding) as fh:
            events = iter(ijson.parse(fh, multiple_values=True, use_float=True))
            for record in _stream_values(events, containers):
                count += 1
                yield f"{path}:record {count}", record
    except (EOFError, OSError) as exc:  # a truncated or corrupt compressed stream
        if count == 0:
            raise ImportFileError(str(path), f"the file is truncated or corrupt ({exc})") from None
        yield Rejected(f"{path}:record {count + 1}", f"the file is truncated or corrupt ({exc})")
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
        reason = (
            f"bytes that are not valid {exc.encoding} text ({exc.reason})"
            if isinstance(exc, UnicodeDecodeError)
            else f"not valid JSON: {_json_error(exc)}"
        )
        if count == 0:
            raise ImportFileError(str(path), reason) from None
        yield Rejected(f"{path}:record {count + 1}", f"{reason}; the rest of the file was not read")


def _open_json(path: Path, encoding: str) -> Any:
    if encoding.lower().replace("_", "-") in {"utf-8", "utf8", "ascii"}:
        return open_binary(path)
    if encoding == "utf-8-sig":
        fh: IO[bytes] = open_binary(path)
        fh.read(3)
        return fh
    return _ClosingReader(open_text(path, encoding=encoding))


class _ClosingReader(_Utf8Reader):
    def __enter__(self) -> _ClosingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._text.close()


def _ndjson_records(path: Path, containers: Containers) -> Iterator[tuple[str, Any] | Rejected]:
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        location = f"{path}:{lineno}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Rejected(location, f"not valid JSON ({exc})")
            continue
        for record in _expand(value, containers):
            yield location, record


# =========================================================================== Intercom

_AUTHOR_ROLES = {
    "user": Role.customer,
    "lead": Role.customer,
    "contact": Role.customer,
    "admin": Role.agent,
    "team": Role.agent,
    "bot": Role.bot,
}
_CUSTOMER_TYPES = {"user", "lead", "contact"}
_CHANNELS = {
    "conversation": "chat",
    "chat": "chat",
    "email": "email",
    "facebook": "social",
    "twitter": "social",
    "instagram": "social",
    "phone_call": "phone",
    "phone_switch": "phone",
    "sms": "messaging",
    "whatsapp": "messaging",
    "push": "messaging",
}
_STATUSES = {"open": "open", "closed": "closed", "snoozed": "pending"}
_MESSAGE_PARTS = {"comment", "note", "note_and_reopen"}
_AUTOMATED_STARTS = {"automated", "campaigns_initiated"}
_REDACTED = "[redacted]"


@register_importer("intercom.v1")
class IntercomImporter:
    """Intercom conversations as the REST API returns them (``GET /conversations/{id}``, API 2.x).

    Accepts one conversation object, a JSON list of them, ``{"conversations": [...]}`` (streamed),
    or NDJSON with one conversation a line. The opening message is ``source`` (1.x:
    ``conversation_message``); ``conversation_parts`` follow: ``comment`` parts are messages,
    ``note`` parts internal notes, events (assignment, open, close, snoozed ...) are dropped unless
    they carry a body. Authors: user/lead/contact are the customer, admin/team agents, bot (and any
    part flagged ``from_ai_agent`` / ``is_ai_answer``) the bot. Reads no ImportOptions except
    ``source``.
    """

    name = "intercom"
    description = "Intercom conversations with conversation_parts (API JSON, JSON list or NDJSON)"

    _STRONG = (re.compile(rb'"conversation_parts"\s*:'), re.compile(rb'"conversation_message"\s*:'))
    _MEDIUM = (
        re.compile(rb'"part_type"\s*:'),
        re.compile(rb'"delivered_as"\s*:'),
        re.compile(rb'"admin_assignee_id"\s*:'),
        re.compile(rb'"type"\s*:\s*"conversation(?:\.list)?"'),
        re.compile(rb'"conversation_rating"\s*:'),
    )

    def sniff(self, path: Path, head: bytes) -> float:
        start = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1]
        if start not in (b"{", b"["):
            return 0.0
        if any(p.search(head) for p in self._STRONG):
            return 0.9
        medium = sum(1 for p in self._MEDIUM if p.search(head))
        return 0.8 if medium >= 2 else 0.4 if medium == 1 else 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        yield from read_conversation_records(path, (("conversations",),), _conversation, options.source or self.name)


def _conversation(rec: dict[str, Any]) -> dict[str, Any]:
    conv_id = as_str(rec.get("id"), "id")
    if conv_id is None:
        raise RecordError("id: missing (every conversation needs its Intercom id)")
    created_at = as_time(rec.get("created_at"), "created_at")
    legacy = "source" not in rec and "conversation_message" in rec
    src_key = "conversation_message" if legacy else "source"
    src = as_dict(rec.get(src_key), src_key)

    parts_field = rec.get("conversation_parts")
    if isinstance(parts_field, dict):
        parts = as_list(parts_field.get("conversation_parts"), "conversation_parts.conversation_parts")
    else:
        parts = as_list(parts_field, "conversation_parts")

    names: dict[str, str] = {}  # author id -> name, from every author we see
    authors = [as_dict(src.get("author"), f"{src_key}.author")]
    for i, part in enumerate(parts):
        where = f"conversation_parts[{i}]"
        authors.append(as_dict(as_dict(part, where).get("author"), f"{where}.author"))
    for author in authors:
        author_id = as_str(author.get("id"), "author.id")
        author_name = as_str(author.get("name"), "author.name")
        if author_id and author_name:
            names.setdefault(author_id, author_name)

    customer = _customer(rec, authors, names)
    status_raw = as_str(rec.get("state"), "state")
    if status_raw is None and isinstance(rec.get("open"), bool):
        status_raw = "open" if rec["open"] else "closed"
    status = _STATUSES.get(status_raw.lower(), status_raw.lower()) if status_raw else None

    items: list[tuple[datetime | None, int, dict[str, Any]]] = []
    part_ids = {as_str(as_dict(p, "part").get("id"), "part.id") for p in parts}
    opening = _opening_message(src, src_key, created_at, customer.get("id"), part_ids)
    if opening is not None:
        items.append((opening["sent_at"], -1, opening))
    for i, part in enumerate(parts):
        msg = _part_message(part, f"conversation_parts[{i}]", i, customer.get("id"))
        if msg is not None:
            items.append((msg["sent_at"], i, msg))

    source_type = as_str(src.get("type"), f"{src_key}.type") if not legacy else None
    channel = _CHANNELS.get(source_type.lower(), normalise_channel(source_type)) if source_type else "other"
    statistics = as_dict(rec.get("statistics"), "statistics")
    closed_at = None
    if status in (None, "closed"):
        closed_at = as_time(statistics.get("last_close_at"), "statistics.last_close_at") or as_time(
            statistics.get("first_close_at"), "statistics.first_close_at"
        )
    return {
        "id": conv_id,
        "channel": channel,
        "channel_raw": source_type if source_type and source_type != channel else None,
        "subject": _subject(rec, src, src_key),
        "created_at": created_at,
        "closed_at": closed_at,
        "status": status,
        "tags": _tags(rec.get("tags")),
        "customer": customer,
        "assignee": _assignee(rec, names),
        "team": as_str(rec.get("team_assignee_id"), "team_assignee_id"),
        "satisfaction": _satisfaction(rec.get("conversation_rating")),
        "messages": order_messages(items),
    }


def _role(author: dict[str, Any], where: str, customer_id: str | None) -> Role:
    if author.get("from_ai_agent") is True or author.get("is_ai_answer") is True:
        return Role.bot
    kind = as_str(author.get("type"), f"{where}.author.type")
    if kind and kind.lower() in _AUTHOR_ROLES:
        return _AUTHOR_ROLES[kind.lower()]
    author_id = as_str(author.get("id"), f"{where}.author.id")
    if author_id is not None and author_id == customer_id:
        return Role.customer
    return Role.system


def _content(raw: Any, attachments: Any, redacted: Any, where: str) -> tuple[str, str | None] | None:
    """(text, raw_text) of a body, or None when the part carries nothing at all."""
    body = raw if isinstance(raw, str) else None
    if raw is not None and body is None:
        raise RecordError(f"{where}.body: expected a string, got {type_name(raw)}")
    text = clean_body(body) if body and body.strip() else ""
    if redacted is True and not text:
        return _REDACTED, body
    if text:
        return text, body
    if as_list(attachments, f"{where}.attachments") or (body and "<img" in body.lower()):
        return "", body
    return None


def _opening_message(
    src: dict[str, Any],
    src_key: str,
    created_at: datetime | None,
    customer_id: str | None,
    part_ids: set[str | None],
) -> dict[str, Any] | None:
    content = _content(src.get("body"), src.get("attachments"), src.get("redacted"), src_key)
    if content is None:
        return None
    author = as_dict(src.get("author"), f"{src_key}.author")
    role = _role(author, src_key, customer_id)
    delivered_as = (as_str(src.get("delivered_as"), f"{src_key}.delivered_as") or "").lower()
    if role is Role.system:  # an author without a type: who started it says who wrote it
        role = Role.customer if delivered_as in ("", "customer_initiated") else Role.agent
    msg_id = as_str(src.get("id"), f"{src_key}.id") or "source"
    if msg_id in part_ids:
        msg_id = f"source-{msg_id}"
    return {
        "id": msg_id,
        "role": role.value,
        "author": as_str(author.get("id"), f"{src_key}.author.id"),
        "author_name": as_str(author.get("name"), f"{src_key}.author.name"),
        "sent_at": created_at,
        "text": content[0],
        "raw_text": content[1],
        "is_automated": role is Role.agent and delivered_as in _AUTOMATED_STARTS,
    }


def _part_message(part: dict[str, Any], where: str, index: int, customer_id: str | None) -> dict[str, Any] | None:
    part_type = (as_str(part.get("part_type"), f"{where}.part_type") or "comment").lower()
    content = _content(part.get("body"), part.get("attachments"), part.get("redacted"), where)
    if content is None:
        return None
    if part_type not in _MESSAGE_PARTS and not content[0]:
        return None  # an event with nothing to read (attachments alone do not make it a message)
    author = as_dict(part.get("author"), f"{where}.author")
    return {
        "id": as_str(part.get("id"), f"{where}.id") or f"part-{index + 1}",
        "role": _role(author, where, customer_id).value,
        "author": as_str(author.get("id"), f"{where}.author.id"),
        "author_name": as_str(author.get("name"), f"{where}.author.name"),
        "sent_at": as_time(part.get("created_at"), f"{where}.created_at"),
        "text": content[0],
        "raw_text": content[1],
        "is_internal": part_type.startswith("note"),
    }


def _customer(rec: dict[str, Any], authors: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """contacts[0] (2.x), customers[0] or user (1.x); else the first author who is a user/lead/contact."""
    candidates: list[Any] = []
    contacts = rec.get("contacts")
    if isinstance(contacts, dict):
        candidates.extend(as_list(contacts.get("contacts"), "contacts.contacts"))
    else:
        candidates.extend(as_list(contacts, "contacts"))
    candidates.extend(as_list(rec.get("customers"), "customers"))
    if rec.get("user") is not None:
        candidates.append(as_dict(rec.get("user"), "user"))
    for author in authors:  # the opening message's author first
        if (as_str(author.get("type"), "author.type") or "").lower() in _CUSTOMER_TYPES:
            candidates.append(author)
    for person in candidates:
        person = as_dict(person, "contacts[]")
        person_id = as_str(person.get("id"), "contact.id")
        if person_id:
            name = as_str(person.get("name"), "contact.name") or names.get(person_id)
            return {"id": person_id, "name": name}
    return {}


def _assignee(rec: dict[str, Any], names: dict[str, str]) -> dict[str, Any] | None:
    admin_id = as_str(rec.get("admin_assignee_id"), "admin_assignee_id")
    if admin_id is None and isinstance(rec.get("assignee"), dict):  # 1.x
        assignee = rec["assignee"]
        if (as_str(assignee.get("type"), "assignee.type") or "admin") == "admin":
            admin_id = as_str(assignee.get("id"), "assignee.id")
    if admin_id is None or admin_id == "0":
        return None
    return {"id": admin_id, "name": names.get(admin_id)}


def _tags(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("tags")
    tags = []
    for i, tag in enumerate(as_list(value, "tags.tags")):
        where = f"tags.tags[{i}]"
        name = as_str(tag.get("name"), f"{where}.name") if isinstance(tag, dict) else as_str(tag, where)
        if name:
            tags.append(name)
    return tags


def _satisfaction(value: Any) -> dict[str, Any] | None:
    rating = as_dict(value, "conversation_rating")
    score = rating.get("rating")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise RecordError(f"conversation_rating.rating: expected a number 1-5, got {type_name(score)}")
    remark = as_str(rating.get("remark"), "conversation_rating.remark")
    if score is None and remark is None:
        return None
    return {"score": score, "scale": "1-5", "comment": remark}


def _subject(rec: dict[str, Any], src: dict[str, Any], src_key: str) -> str | None:
    subject = as_str(rec.get("title"), "title") or as_str(src.get("subject"), f"{src_key}.subject")
    if subject and looks_like_html(subject):
        subject = clean_body(subject, html=True, strip_quotes=False).strip() or None
    return subject
