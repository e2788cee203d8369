"""Zendesk Support tickets with comments and users: API-shaped JSON documents and the NDJSON full export."""

from __future__ import annotations

import logging
import re
from collections import ChainMap
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    open_text,
    read_head,
    register_importer,
)
from qa_toolkit.normalise import clean_body, html_to_text, parse_timestamp

log = logging.getLogger(__name__)

# =========================================================================== shared JSON helpers
# Vendor importers that read "API-shaped JSON, as one document or as NDJSON" share these
# (freshdesk imports them); they could move to importers/base.py.


class RecordError(ValueError):
    """A record that cannot become a conversation; the message is the reason."""


_PROBE_CHARS = 1_000_000  # how much of a first line layout detection reads


def detect_json_layout(path: Path, *, container_keys: frozenset[str]) -> str:
    """``"ndjson"`` (one JSON object per line) or ``"document"`` (one JSON value, maybe pretty-printed
    or minified onto one line). A first line that is a complete object holding one of
    ``container_keys`` (such as ``"tickets"``) is a one-line document."""
    lines: list[tuple[str, bool]] = []  # (line, complete)
    try:
        with open_text(path) as fh:
            while len(lines) < 2:
                line = fh.readline(_PROBE_CHARS)
                if not line:
                    break
                if line.strip("\ufeff \t\r\n"):
                    lines.append((line.strip("\ufeff \t\r\n"), line.endswith("\n") or len(line) < _PROBE_CHARS))
    except UnicodeDecodeError as exc:
        raise ImportFileError(str(path), f"bytes that are not valid {exc.encoding} text ({exc.reason})") from None
    if not lines:
        raise ImportFileError(str(path), "the file is empty")
    first, complete = lines[0]
    if first.startswith("[") or first in ("{", "{}"):
        return "document"
    if not complete:  # a very long first line: a minified document or one big record
        pattern = r"\{\s*\"(" + "|".join(re.escape(k) for k in sorted(container_keys)) + r")\""
        return "document" if re.match(pattern, first) else "ndjson"
    obj = _loads_or_none(first)
    if isinstance(obj, dict):
        return "document" if container_keys & obj.keys() else "ndjson"
    if obj is None and len(lines) > 1 and isinstance(_loads_or_none(lines[1][0]), dict):
        return "ndjson"  # a bad first line in an NDJSON file
    return "document"


def _loads_or_none(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def iter_json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """(location, parsed value) per non-blank line; a line that is not JSON gives a Rejected value."""
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        location = f"{path}:{lineno}"
        try:
            yield location, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield location, Rejected(location, f"not valid JSON ({exc})")


class _Utf8Reader:
    """A binary ``read(n)`` over a text stream in another encoding, for ijson (which wants UTF-8)."""

    def __init__(self, path: Path, encoding: str) -> None:
        self._path = path
        self._text = open_text(path, encoding=encoding)
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        try:
            while size < 0 or len(self._buf) < size:
                chunk = self._text.read(65536 if size < 0 else max(size, 8192))
                if not chunk:
                    break
                self._buf += chunk.encode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                str(self._path), f"bytes that are not valid {exc.encoding} text ({exc.reason})"
            ) from None
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> _Utf8Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_json_bytes(path: Path) -> BinaryIO | _Utf8Reader:
    """A UTF-8 byte stream of a JSON file for ijson: a BOM skipped, other encodings transcoded."""
    encoding = detect_encoding(path, read_head(path))
    if encoding not in ("utf-8", "utf-8-sig"):
        return _Utf8Reader(path, encoding)
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if fh.read(3) != b"\xef\xbb\xbf":
        fh.seek(0)
    return fh


def _json_error(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


@dataclass
class _Scan:
    kind: str | None = None  # "map", "array", "scalar"
    keys: list[str] = field(default_factory=list)
    key_kinds: dict[str, str] = field(default_factory=dict)  # top-level key -> first event of its value
    sideloads: dict[str, list[Any]] = field(default_factory=dict)
    error: str | None = None


def _scan_document(fh: Any, sideload_keys: tuple[str, ...]) -> _Scan:
    """One streaming pass: the top-level shape and keys, and the (small) sideloaded arrays."""
    scan = _Scan(sideloads={k: [] for k in sideload_keys})
    wanted = {f"{k}.item": k for k in sideload_keys}
    events = ijson.parse(fh, use_float=True)
    try:
        for prefix, event, value in events:
            if prefix == "":
                if scan.kind is None:
                    scan.kind = {"start_map": "map", "start_array": "array"}.get(event, "scalar")
                elif event == "map_key":
                    scan.keys.append(value)
                continue
            if scan.kind == "map" and "." not in prefix and prefix not in scan.key_kinds:
                scan.key_kinds[prefix] = event
            key = wanted.get(prefix)
            if key is None or scan.kind != "map" or event not in ("start_map", "start_array"):
                continue
            builder = ijson.ObjectBuilder()
            end = event.replace("start", "end")
            while True:
                builder.event(event, value)
                prefix2, event, value = next(events)
                if prefix2 == prefix and event == end:
                    builder.event(event, value)
                    break
            scan.sideloads[key].append(builder.value)
    except (ijson.JSONError, ValueError, StopIteration) as exc:
        scan.error = _json_error(exc)
    return scan


def read_json_document(
    path: Path, *, container_keys: tuple[str, ...], sideload_keys: tuple[str, ...] = ()
) -> tuple[dict[str, list[Any]], Iterator[tuple[str, Any]]]:
    """Stream the records of one JSON document: the items of a top-level array, of the first
    ``container_keys`` array present (``{"tickets": [...]}``), or the whole object as one record.

    Returns the top-level ``sideload_keys`` arrays (read in a first pass, so they are known before
    any record wherever they sit in the file) and an iterator of (location, record). A document cut
    off after some records yields a Rejected for the rest; one with no readable record raises
    ImportFileError."""
    with open_json_bytes(path) as fh:
        scan = _scan_document(fh, sideload_keys)
    if scan.kind is None:
        raise ImportFileError(str(path), f"not a JSON document ({scan.error or 'empty'})")
    if scan.kind == "scalar":
        raise ImportFileError(str(path), "expected a JSON object or array, got a single JSON value")
    prefix = ""
    if scan.kind == "array":
        prefix = "item"
    else:
        for key in container_keys:
            if key in scan.keys:
                if scan.key_kinds.get(key) != "start_array":
                    raise ImportFileError(str(path), f'"{key}" must be an array of records')
                prefix = f"{key}.item"
                break
    return scan.sideloads, _iter_document(path, prefix)


def _iter_document(path: Path, prefix: str) -> Iterator[tuple[str, Any]]:
    n = 0
    with open_json_bytes(path) as fh:
        try:
            for n, obj in enumerate(ijson.items(fh, prefix, use_float=True), start=1):  # noqa: B007
                yield f"{path}:record {n}", obj
        except (ijson.JSONError, ValueError) as exc:
            reason = _json_error(exc)
            if n == 0:
                raise ImportFileError(str(path), f"not a complete JSON document ({reason})") from None
            location = f"{path}:record {n + 1}"
            yield (
                location,
                Rejected(
                    location, f"the JSON document is cut off or invalid after record {n} ({reason}); rest not read"
                ),
            )


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict (for optional nested objects)."""
    return value if isinstance(value, dict) else {}


def as_id(value: Any) -> str | None:
    """A vendor id as a string; None when absent (or blank). RecordError for a value that cannot be an id."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"an id must be a string or a number, got {type(value).__name__}")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def as_text(obj: dict[str, Any], key: str, what: str) -> str | None:
    """``obj[key]`` as a string, None when absent or null; RecordError for another type."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RecordError(f"{what}: {key} must be a string, got {type(value).__name__}")


def as_time(value: Any, what: str, *, tz: str = "UTC") -> datetime | None:
    """A vendor timestamp as aware UTC; RecordError naming the field when it cannot be read."""
    if isinstance(value, dict | list):
        raise RecordError(f"{what}: not a timestamp ({type(value).__name__})")
    try:
        return parse_timestamp(value, tz=tz)
    except ValueError as exc:
        raise RecordError(f"{what}: {exc}") from None


def as_bool(value: Any, *, default: bool) -> bool:
    """A JSON boolean, tolerating "true"/"false" strings and 0/1; ``default`` when absent."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise RecordError(f"expected true or false, got {value!r}")


def order_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort message dicts by (sent_at, vendor order); a message without a time keeps its place after
    the message before it."""
    keyed = []
    last: datetime | None = None
    for idx, msg in enumerate(messages):
        sent = msg.get("sent_at")
        if sent is not None:
            last = sent
        keyed.append(((last or datetime.min.replace(tzinfo=UTC)), idx, msg))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [m for _, _, m in keyed]


BOT_NAME = re.compile(
    r"\b(answer ?bot|chat ?bot|bot|ai agent|virtual (agent|assistant)|freddy (ai|bot))\b", re.IGNORECASE
)


def looks_like_bot(name: str | None) -> bool:
    """True for author names such as "Answer Bot", "Zendesk Bot", "AI agent", "Freddy"."""
    return bool(name) and bool(BOT_NAME.search(name or ""))


# =========================================================================== Zendesk vocabulary

# via.channel (string via type or integer via id, see developer.zendesk.com via-types) -> channel
CHANNELS: dict[str, str] = {
    "email": "email",
    "mail": "email",
    "web": "web_form",
    "web_form": "web_form",
    "web_widget": "web_form",
    "dropbox": "web_form",
    "help_center": "web_form",
    "helpcenter": "web_form",
    "chat": "chat",
    "chat_transcript": "chat",
    "native_messaging": "messaging",
    "messaging": "messaging",
    "mobile_sdk": "messaging",
    "sms": "messaging",
    "text_message": "messaging",
    "whatsapp": "messaging",
    "line": "messaging",
    "wechat": "messaging",
    "apple_business_chat": "messaging",
    "telegram": "messaging",
    "twitter": "social",
    "twitter_dm": "social",
    "twitter_favorite": "social",
    "x": "social",
    "facebook": "social",
    "facebook_post": "social",
    "facebook_message": "social",
    "instagram_dm": "social",
    "voice": "phone",
    "voicemail": "phone",
    "phone_call_inbound": "phone",
    "phone_call_outbound": "phone",
    "api_voicemail": "phone",
    "api_phone_call_inbound": "phone",
    "api_phone_call_outbound": "phone",
    "api": "other",
    "web_service": "other",
    "rule": "other",
    "closed_ticket": "other",
    "merge": "other",
    "ticket_sharing": "other",
    "any_channel": "other",
    "sample_ticket": "other",
    "mobile": "other",
    "side_conversation": "other",
    "batch": "other",
    "import": "other",
}

# via ids confirmed in Zendesk's via-types reference (0..41); others are kept as "via:<id>"
VIA_IDS: dict[int, str] = {
    0: "web_form",
    4: "mail",
    5: "web_service",
    8: "rule",
    16: "get_satisfaction",
    17: "dropbox",
    19: "merge",
    20: "batch",
    23: "twitter_favorite",
    24: "topic",
    26: "twitter_dm",
    27: "closed_ticket",
    29: "chat",
    30: "twitter",
    31: "ticket_sharing",
    33: "voicemail",
    34: "phone_call_inbound",
    35: "phone_call_outbound",
    36: "blog",
    37: "text_message",
    38: "facebook_post",
    39: "import",
    40: "github",
    41: "facebook_message",
}

STATUSES: dict[str, str] = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "on-hold": "on_hold",
    "on_hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
    "deleted": "deleted",
}

USER_ROLES: dict[str, str] = {"end-user": "customer", "end_user": "customer", "agent": "agent", "admin": "agent"}

_Users = ChainMap[str, tuple[str | None, str | None]]  # user id -> (Zendesk role, name)

SYSTEM_USER = "-1"  # Zendesk's own author id for trigger/automation comments

_CONTAINER_KEYS = ("tickets",)
_SIDELOAD_KEYS = ("users", "groups")


def via_type(via: Any) -> str | None:
    """The via type string of a ``via`` object (via ids mapped to their names)."""
    channel = as_dict(via).get("channel")
    if channel is None or channel == "":
        return None
    if isinstance(channel, bool):
        return None
    if isinstance(channel, int) or (isinstance(channel, str) and channel.strip().isdigit()):
        number = int(channel)
        return VIA_IDS.get(number, f"via:{number}")
    if isinstance(channel, str):
        return channel.strip().lower()
    return None


# =========================================================================== legacy Zendesk Chat

_CHAT_LINE = re.compile(
    r"^\((?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\)\s?(?P<rest>.*)$"
)
_CHAT_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VISITOR = re.compile(r"^visitor\s*\d+$", re.IGNORECASE)


@dataclass
class ChatLine:
    """One message of a legacy Zendesk Chat transcript."""

    sent_at: datetime
    name: str
    text: str


def split_chat_transcript(text: str, *, day: date, tz: ZoneInfo) -> list[ChatLine]:
    """Split a "Chat started: ..." transcript into messages.

    Lines look like ``(10:02:13 AM) Name: text`` (12- or 24-hour clock, seconds optional); lines
    without a time continue the message before them; ``*** Name joined the chat ***`` and other
    lines without ``Name:`` are events and are dropped. Times are on ``day`` (the date on the
    "Chat started:" line when it has one) in ``tz`` ("UTC" when the header says UTC), rolling over
    to the next day when the clock goes back.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = lines[0] if lines else ""
    m = _CHAT_DATE.search(header)
    if m:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    if re.search(r"\bUTC\b|\bGMT\b", header):
        tz = ZoneInfo("UTC")
    out: list[ChatLine] = []
    current: ChatLine | None = None
    previous: datetime | None = None
    day_offset = 0
    for line in lines[1:]:
        match = _CHAT_LINE.match(line.strip())
        if not match:
            if current is not None and line.strip():
                current.text += "\n" + line.rstrip()
            elif current is not None:
                current.text += "\n"
            continue
        hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
        ampm = (match["ampm"] or "").replace(".", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59 or second > 59:
            current = None
            continue
        local = datetime.combine(day + timedelta(days=day_offset), time(hour, minute, second), tzinfo=tz)
        if previous is not None and local < previous - timedelta(hours=1):
            day_offset += 1
            local += timedelta(days=1)
        previous = local
        rest = match["rest"].strip()
        name, sep, body = rest.partition(": ")
        if rest.startswith("***") or not sep or not name.strip():
            current = None  # an event line ("*** Sam joined the chat ***")
            continue
        current = ChatLine(local.astimezone(UTC), name.strip(), body)
        out.append(current)
    for item in out:
        item.text = item.text.strip()
    return [item for item in out if item.text]


# =========================================================================== the importer


@dataclass
class _Context:
    path: Path
    options: ImportOptions
    tz: ZoneInfo
    users: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # id -> (role, name)
    groups: dict[str, str] = field(default_factory=dict)  # id -> name
    unknown_authors: set[str] = field(default_factory=set)
    _by_name: dict[str, str] | None = None

    def user_by_name(self, name: str, local: _Users) -> str | None:
        """The id of the user called ``name`` (case-insensitive): the ticket's own users first."""
        key = name.casefold()
        for uid, (_, uname) in local.maps[0].items():
            if uname and uname.casefold() == key:
                return uid
        if self._by_name is None:
            self._by_name = {uname.casefold(): uid for uid, (_, uname) in self.users.items() if uname}
        return self._by_name.get(key)

    def add_user(self, user: Any, into: MutableMapping[str, tuple[str | None, str | None]] | None = None) -> None:
        if not isinstance(user, dict):
            return
        try:
            uid = as_id(user.get("id"))
        except RecordError:
            return
        if uid is None:
            return
        role = user.get("role") if isinstance(user.get("role"), str) else None
        name = user.get("name") if isinstance(user.get("name"), str) else None
        if into is None:
            self.users[uid] = (role, name)
            self._by_name = None
        else:
            into[uid] = (role, name)

    def add_group(self, group: Any) -> None:
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            try:
                gid = as_id(group.get("id"))
            except RecordError:
                return
            if gid is not None:
                self.groups[gid] = group["name"]


def _kind(obj: dict[str, Any]) -> str:
    """What an object in an export is: ticket, user, group, organization or unknown."""
    url = obj.get("url") if isinstance(obj.get("url"), str) else ""
    for part, kind in (("/tickets/", "ticket"), ("/users/", "user"), ("/groups/", "group")):
        if part in url:
            return kind
    if "/organizations/" in url:
        return "organization"
    if "ticket" in obj or any(
        k in obj for k in ("requester_id", "comments", "via", "subject", "description", "status")
    ):
        return "ticket"
    if "role" in obj and "name" in obj:
        return "user"
    return "unknown"


@register_importer("zendesk.v1")
class ZendeskImporter:
    """Reads ``options.source`` (the recorded source name) and ``options.tz`` (the zone of legacy chat
    transcript clock times when the "Chat started:" line names none)."""

    name = "zendesk"
    description = (
        "Zendesk Support tickets with comments and users: API JSON ({tickets, users}, one ticket, "
        "{ticket, comments, users}) or the NDJSON full JSON export"
    )

    _STRONG = re.compile(rb"zendesk\.com/api/v2/(tickets|users)/")
    _MARKERS = (
        b'"via"',
        b'"requester_id"',
        b'"assignee_id"',
        b'"submitter_id"',
        b'"plain_body"',
        b'"html_body"',
        b'"author_id"',
        b'"satisfaction_rating"',
        b'"raw_subject"',
        b'"brand_id"',
        b'"ticket_form_id"',
    )
    _OTHER_VENDOR = (
        b'"conversations"',
        b'"description_text"',
        b'"responder_id"',
        b'"body_text"',
        b'"incoming"',
        b'"conversation_parts"',
        b'"threads"',
    )

    def sniff(self, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith((b"{", b"[")):
            return 0.0
        first = _loads_or_none(text.split(b"\n", 1)[0].decode("utf-8", errors="replace"))
        if isinstance(first, dict) and isinstance(first.get("messages"), list):
            return 0.05  # canonical JSONL
        if self._STRONG.search(text):
            return 0.95
        hits = sum(marker in text for marker in self._MARKERS)
        other = sum(marker in text for marker in self._OTHER_VENDOR)
        if other >= 2 and hits < 5:
            return 0.1
        return {0: 0.0, 1: 0.15, 2: 0.5, 3: 0.75}.get(hits, 0.9)

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        path = Path(path)
        try:
            tz = ZoneInfo(options.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportFileError(str(path), f"unknown time zone {options.tz!r} in the import options") from None
        ctx = _Context(path=path, options=options, tz=tz)
        layout = detect_json_layout(path, container_keys=frozenset(_CONTAINER_KEYS))
        if layout == "ndjson":
            self._collect_ndjson_people(ctx)
            records: Iterator[tuple[str, Any]] = iter_json_lines(path)
        else:
            sideloads, records = read_json_document(path, container_keys=_CONTAINER_KEYS, sideload_keys=_SIDELOAD_KEYS)
            for user in sideloads.get("users", []):
                ctx.add_user(user)
            for group in sideloads.get("groups", []):
                ctx.add_group(group)
        for location, obj in records:
            if isinstance(obj, Rejected):
                yield obj
                continue
            item = self._record(obj, ctx, location)
            if item is not None:
                yield item
        if ctx.unknown_authors:
            log.warning(
                "%s: %d comment author(s) not found in the users data; roles were inferred "
                "(requester -> customer, -1 -> system, anyone else -> agent)",
                path,
                len(ctx.unknown_authors),
            )

    # ------------------------------------------------------------------ passes

    def _collect_ndjson_people(self, ctx: _Context) -> None:
        """First pass over an NDJSON export: user and group lines, wherever they are in the file."""
        try:
            for _, line in iter_lines(ctx.path):
                if '"requester_id"' in line or not line.strip():
                    continue  # ticket lines always carry requester_id; skip parsing them here
                obj = _loads_or_none(line)
                if not isinstance(obj, dict):
                    continue
                kind = _kind(obj)
                if kind == "user":
                    ctx.add_user(obj)
                elif kind == "group":
                    ctx.add_group(obj)
        except ImportFileError:
            return  # the second pass reports the unreadable line in its place

    def _record(self, obj: Any, ctx: _Context, location: str) -> Item | None:
        if not isinstance(obj, dict):
            return Rejected(location, f"expected a JSON object, got {type(obj).__name__}")
        kind = _kind(obj)
        if kind == "user":
            ctx.add_user(obj)
            return None
        if kind == "group":
            ctx.add_group(obj)
            return None
        if kind == "organization":
            return None
        if kind == "unknown" and "id" not in obj:
            return Rejected(location, "not a Zendesk ticket, user or group object (no id, subject or comments)")
        try:
            record = self._conversation(obj, ctx)
        except RecordError as exc:
            return Rejected(location, str(exc))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:  # defensive
            return Rejected(location, f"unexpected structure ({type(exc).__name__}: {exc})")
        return build_conversation(record, location)

    # ------------------------------------------------------------------ mapping

    def _conversation(self, obj: dict[str, Any], ctx: _Context) -> dict[str, Any]:
        ticket: Any = obj.get("ticket") if "ticket" in obj else obj
        if not isinstance(ticket, dict):
            raise RecordError(f'"ticket" must be an object, got {type(ticket).__name__}')
        tid = as_id(ticket.get("id"))
        if tid is None:
            raise RecordError("ticket has no id")
        comments = obj.get("comments") if obj.get("comments") is not None else ticket.get("comments")
        if comments is not None and not isinstance(comments, list):
            raise RecordError(f'"comments" must be an array, got {type(comments).__name__}')

        users: _Users = ChainMap({}, ctx.users)  # the ticket's embedded users over the file's
        for source in (obj.get("users"), ticket.get("users") if ticket is not obj else None):
            if source is not None and not isinstance(source, list):
                raise RecordError(f'"users" must be an array, got {type(source).__name__}')
            for user in source or []:
                ctx.add_user(user, into=users)
        for source in (obj.get("groups"),):
            for group in source if isinstance(source, list) else []:
                ctx.add_group(group)

        via = as_dict(ticket.get("via"))
        channel_raw = via_type(via)
        requester_id = as_id(ticket.get("requester_id"))
        requester = as_dict(ticket.get("requester"))
        requester_name = (
            users.get(requester_id or "", (None, None))[1]
            or (requester.get("name") if isinstance(requester.get("name"), str) else None)
            or _source_from_name(via)
        )
        if requester_id is None and requester:
            requester_id = as_id(requester.get("id"))

        status_raw = ticket.get("status")
        status = None
        if isinstance(status_raw, str) and status_raw.strip():
            status = STATUSES.get(status_raw.strip().lower(), status_raw.strip().lower())

        created_at = as_time(ticket.get("created_at"), "created_at")
        subject = ticket.get("subject") if isinstance(ticket.get("subject"), str) else None
        if not subject and isinstance(ticket.get("raw_subject"), str):
            subject = ticket["raw_subject"]

        messages: list[dict[str, Any]] = []
        if comments:
            for idx, comment in enumerate(comments, start=1):
                messages.extend(
                    self._comment_messages(
                        comment,
                        idx,
                        tid=tid,
                        requester_id=requester_id,
                        requester_name=requester_name,
                        users=users,
                        ctx=ctx,
                        created_at=created_at,
                    )
                )
        else:
            description = as_text(ticket, "description", "ticket")
            if description and description.strip():
                messages.append(
                    {
                        "id": f"{tid}:desc",
                        "role": "customer",
                        "author": requester_id,
                        "author_name": requester_name,
                        "sent_at": created_at,
                        "text": clean_body(description),
                        "raw_text": description,
                    }
                )
        if not messages:
            raise RecordError(f"ticket {tid} has no comments with text and no description")

        return {
            "id": tid,
            "source": ctx.options.source or self.name,
            "channel": CHANNELS.get(channel_raw or "", "other"),
            "channel_raw": channel_raw,
            "subject": subject,
            "created_at": created_at,
            "closed_at": self._closed_at(ticket, status),
            "status": status,
            "tags": ticket.get("tags"),
            "customer": {"id": requester_id, "name": requester_name},
            "assignee": self._assignee(ticket, users),
            "team": self._team(ticket, ctx),
            "satisfaction": self._satisfaction(ticket.get("satisfaction_rating")),
            "messages": order_messages(messages),
        }

    def _comment_messages(
        self,
        comment: Any,
        idx: int,
        *,
        tid: str,
        requester_id: str | None,
        requester_name: str | None,
        users: _Users,
        ctx: _Context,
        created_at: datetime | None,
    ) -> list[dict[str, Any]]:
        if not isinstance(comment, dict):
            raise RecordError(f"comment {idx}: expected an object, got {type(comment).__name__}")
        cid = as_id(comment.get("id")) or f"{tid}:c{idx}"
        what = f"comment {cid}"
        author = as_id(comment.get("author_id"))
        sent_at = as_time(comment.get("created_at"), f"{what}: created_at")
        try:
            is_internal = not as_bool(comment.get("public"), default=True)
        except RecordError as exc:
            raise RecordError(f"{what}: public: {exc}") from None
        via = via_type(comment.get("via"))
        role, author_name = self._author_role(author, requester_id, users, ctx)
        if author_name is None and author is not None and author == requester_id:
            author_name = requester_name
        if via is not None and via.startswith("answer_bot") and role != "customer":
            role = "bot"
        is_automated = via == "rule" or author == SYSTEM_USER

        plain = as_text(comment, "plain_body", what)
        body = as_text(comment, "body", what)
        html = as_text(comment, "html_body", what)
        if plain and plain.strip():
            raw, is_html = plain, False
        elif body and body.strip():
            raw, is_html = body, None
        elif html and html.strip():
            raw, is_html = html, True
        else:
            return []  # no text: attachments only, or an empty event

        transcript = raw if is_html is not True else html_to_text(raw)
        if transcript.lstrip().startswith("Chat started:"):
            split = self._chat_messages(
                transcript,
                cid,
                requester_id=requester_id,
                requester_name=requester_name,
                users=users,
                ctx=ctx,
                day_from=sent_at or created_at,
                is_internal=is_internal,
            )
            if split:
                return split

        text = clean_body(raw, html=is_html)
        if role == "system" and not text.strip():
            return []
        return [
            {
                "id": cid,
                "role": role,
                "author": author,
                "author_name": author_name,
                "sent_at": sent_at,
                "text": text,
                "raw_text": raw,
                "is_internal": is_internal,
                "is_automated": is_automated,
            }
        ]

    def _author_role(
        self,
        author: str | None,
        requester_id: str | None,
        users: _Users,
        ctx: _Context,
    ) -> tuple[str, str | None]:
        if author == SYSTEM_USER:
            return "system", None
        if author is not None and author in users:
            user_role, name = users[author]
            role = USER_ROLES.get((user_role or "").lower(), "agent")
            if role == "agent" and looks_like_bot(name):
                role = "bot"
            return role, name
        ctx.unknown_authors.add(author or "?")
        if author is not None and author == requester_id:
            return "customer", None
        return "agent", None

    def _chat_messages(
        self,
        transcript: str,
        cid: str,
        *,
        requester_id: str | None,
        requester_name: str | None,
        users: _Users,
        ctx: _Context,
        day_from: datetime | None,
        is_internal: bool,
    ) -> list[dict[str, Any]]:
        day = (day_from or datetime.now(UTC)).astimezone(ctx.tz).date()
        lines = split_chat_transcript(transcript.lstrip(), day=day, tz=ctx.tz)
        out = []
        requester = (requester_name or "").casefold().strip()
        first_speaker = lines[0].name.casefold() if lines else None
        for n, line in enumerate(lines, start=1):
            key = line.name.casefold().strip()
            is_requester = bool(requester) and (key == requester or requester.split()[0] == key
                                                or requester.startswith(key + " "))  # fmt: skip
            known_agent = ctx.user_by_name(line.name, users) is not None
            if (
                is_requester
                or _VISITOR.match(line.name)
                or (not requester and key == first_speaker and not known_agent and not looks_like_bot(line.name))
            ):
                role, author = "customer", requester_id
            elif looks_like_bot(line.name):
                role, author = "bot", ctx.user_by_name(line.name, users)
            else:
                role, author = "agent", ctx.user_by_name(line.name, users)
            out.append(
                {
                    "id": f"{cid}:{n}",
                    "role": role,
                    "author": author,
                    "author_name": line.name,
                    "sent_at": line.sent_at,
                    "text": line.text,
                    "is_internal": is_internal,
                }
            )
        return out

    def _assignee(self, ticket: dict[str, Any], users: _Users) -> dict[str, Any] | None:
        assignee = as_dict(ticket.get("assignee"))
        aid = as_id(ticket.get("assignee_id")) or as_id(assignee.get("id"))
        if aid is None:
            return None
        name = users.get(aid, (None, None))[1] or (
            assignee.get("name") if isinstance(assignee.get("name"), str) else None
        )
        return {"id": aid, "name": name}

    def _team(self, ticket: dict[str, Any], ctx: _Context) -> str | None:
        group = ticket.get("group")
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            return group["name"]
        if isinstance(group, str) and group.strip():
            return group
        if isinstance(ticket.get("group_name"), str) and ticket["group_name"].strip():
            return ticket["group_name"]
        gid = as_id(ticket.get("group_id"))
        if gid is None:
            return None
        return ctx.groups.get(gid, gid)

    def _closed_at(self, ticket: dict[str, Any], status: str | None) -> datetime | None:
        metric_set = as_dict(ticket.get("metric_set"))
        for value, what in (
            (metric_set.get("solved_at"), "metric_set.solved_at"),
            (ticket.get("solved_at"), "solved_at"),
        ):
            if value:
                return as_time(value, what)
        if status in ("solved", "closed"):
            return as_time(ticket.get("updated_at"), "updated_at")
        return None

    def _satisfaction(self, rating: Any) -> dict[str, Any] | None:
        if isinstance(rating, str):
            rating = {"score": rating}
        if not isinstance(rating, dict) or not isinstance(rating.get("score"), str):
            return None  # null, offered/unoffered, or not a rating at all
        score = rating["score"].strip().lower()
        if score.startswith("good"):
            value = 1.0
        elif score.startswith("bad"):
            value = 0.0
        else:
            return None
        comment = rating.get("comment") if isinstance(rating.get("comment"), str) else None
        return {"score": value, "scale": "bad/good", "comment": comment or None}


def _source_from_name(via: dict[str, Any]) -> str | None:
    name = as_dict(as_dict(via.get("source")).get("from")).get("name")
    return name if isinstance(name, str) and name.strip() else None
