"""E-mail importer: an mbox file, one .eml file, or a directory of .eml files (or a Maildir), threaded.

How it reads, and what it keeps in memory (the trade-off):

* Pass 1 reads only the header block of every message (an mbox is scanned line by line, never loaded
  whole) and keeps a small ``_Meta`` per message: ids, references, subject, date, addresses, thread
  keys, automation flags and where the message's bytes are. Threading and the inference of the
  support addresses need these headers for *all* messages, so this part grows with the number of
  messages (a few hundred bytes each), not with their size.
* Threading (below) then groups the messages into conversations.
* Pass 2 goes conversation by conversation: it re-reads the bytes of that conversation's messages
  (seek + read), parses them fully, keeps only the decoded body and the clean text, yields the
  conversation and forgets it. So at most one conversation's bodies are in memory at a time; a huge
  thread (a mailing list folder) is the one case where this grows.

Threading (docs export-formats.md §2.6), in order of authority:

1. ready-made thread keys: a helpdesk ticket id (an ``X-...-Ticket-Id``-like header or a
   ``[Acme #123]`` / ``[Ticket#123]`` subject tag), Gmail's ``X-GM-THRID``, Outlook's ``Thread-Index``
   (its first 22 bytes); messages sharing a key are one conversation, and a References link between
   two messages with *different* ticket ids is not followed (the helpdesk split them on purpose);
2. the JWZ References / In-Reply-To graph (the last id in References is the parent; In-Reply-To only
   when there is no References; missing messages become empty containers that still join their
   children);
3. for a conversation whose root has neither references nor keys: the same normalised subject
   (Re:/Fwd:/AW:/SV:/RE[2]:/Antw:/ticket tags stripped) within 30 days of an earlier conversation
   whose participants include the root's From and To.

Roles: ``options.support_addresses`` (addresses or ``@domain``) decide agent vs customer; without it
the support side is inferred (see ``_infer_support``). Header-marked auto-replies are automated (role
agent on the support side, else system); bounces and other ``multipart/report`` mail are system.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from qa_toolkit.errors import ImportFileError
from qa_toolkit.groups import DisjointSets
from qa_toolkit.importers.base import (
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    read_head,
    register_importer,
)
from qa_toolkit.normalise import clean_body, html_to_text, mark_auto_replies
from qa_toolkit.schema import ConversationIn

log = logging.getLogger(__name__)

_CHUNK = 65536  # longest piece of a line read at once (keeps memory flat on files without newlines)
_MAX_HEADER_BYTES = 1 << 20  # a header block longer than this is cut (only the start is parsed)
_MAX_REPORT_BYTES = 4 << 20  # bounces up to this size are opened in pass 1 to find the bounced mail
_SUBJECT_WINDOW = timedelta(days=30)

# a header field name as mailers write it: letters, digits and hyphens, then a colon
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9_-]*[ \t]*:")
_ENVELOPE = re.compile(rb"^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
_MAIL_HEADERS = frozenset(
    b"from to cc bcc subject date message-id received return-path mime-version delivered-to in-reply-to "
    b"references content-type reply-to sender x-mailer user-agent x-gm-thrid thread-index thread-topic "
    b"content-transfer-encoding dkim-signature arc-seal x-original-to envelope-to auto-submitted "
    b"x-gmail-labels authentication-results".split()
)
_STRONG_HEADERS = frozenset(b"message-id received mime-version x-gm-thrid dkim-signature arc-seal".split())
_ADDRESS_HEADERS = frozenset(b"from sender return-path delivered-to reply-to to".split())

_TICKET_HEADER = re.compile(r"^x-(?:[a-z0-9]+-)*ticket-?(?:id|number|nr|no)$", re.I)
_SUBJECT_TICKET = re.compile(r"\[[^\[\]#]{0,60}#\s*(\d{1,20})\]")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|doorst|tr|rv)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*"
    r"|\[[^\[\]#]{0,60}#\s*\d{1,20}\]\s*)",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:On|Op|Am|Le|El|Il|Em|Den|På)\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?"
    r"(?:\bwrote|\bschreef|\bschrieb|\ba écrit|\bescribió|\bha scritto|\bescreveu|\bskrev|"
    r"\bhet volgende geschreven)\b[^\n]{0,200}?:[ \t]*$"
    r"|^[ \t]*-{2,}\s*(?:Original Message|Oorspronkelijk bericht|Ursprüngliche Nachricht|"
    r"Message d'origine)\s*-{2,}[ \t]*$",
    re.I | re.M,
)
_ROLE_LOCALPART = re.compile(
    r"^(?:support|help|helpdesk|servicedesk|service|customer[._-]?service|customerservice|customer[._-]?care|"
    r"care|info|contact|hello|team|sales|billing|tickets?|no[._-]?reply|do[._-]?not[._-]?reply|"
    r"notifications?|klantenservice|kundenservice|service[._-]?desk)$"
)
_BOUNCE_LOCALPART = frozenset({"mailer-daemon", "postmaster"})
_FREE_MAIL = frozenset(
    "gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com ymail.com icloud.com me.com "
    "mac.com aol.com gmx.de gmx.net gmx.com web.de proton.me protonmail.com hey.com zoho.com mail.com "
    "yandex.ru mail.ru t-online.de orange.fr free.fr hotmail.co.uk yahoo.co.uk ziggo.nl kpnmail.nl".split()
)


# --------------------------------------------------------------------------- per-message header facts


@dataclass(slots=True)
class _Meta:
    """What pass 1 keeps of one message: enough to thread it, give it a role and find its bytes again."""

    seq: int
    location: str
    path: Path
    start: int  # offset of the message's first header byte
    end: int  # offset just past its last byte; -1 = to the end of the file
    msg_id: str
    refs: tuple[str, ...]
    subject: str
    date: datetime | None
    sender: str | None
    sender_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    keys: frozenset[tuple[str, str]]
    automated: bool
    bounce: bool
    depth: int = 0

    @property
    def ticket_ids(self) -> frozenset[str]:
        return frozenset(v for k, v in self.keys if k == "ticket")

    @property
    def participants(self) -> set[str]:
        return {a for a in (self.sender, *self.to, *self.cc) if a}


def _text(value: object) -> str:
    """A header value as clean str: raw 8-bit bytes (kept as surrogates by the parser) decoded as UTF-8,
    else as Windows-1252 (the usual undeclared charset of 8-bit headers)."""
    text = str(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    raw = text.encode("utf-8", "surrogateescape") if _only_escapes(text) else b""
    if raw:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return text.encode("utf-8", "replace").decode("utf-8")


def _only_escapes(text: str) -> bool:
    """True when every surrogate in ``text`` is a surrogateescape'd byte (U+DC80..U+DCFF)."""
    return all(not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" for ch in text)


def _first_raw(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.strip().lower() == name.lower():
            return value
    return None


def _has_8bit(raw: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in raw)


def _header(msg: Message, name: str) -> str:
    """A decoded header value ('' when absent), RFC 2047 words decoded by the default policy.

    Raw 8-bit values go through ``_text`` (UTF-8, else Windows-1252: the policy would give U+FFFD), and a
    header the policy cannot parse falls back to ``email.header`` decoding of its raw value.
    """
    raw = _first_raw(msg, name)
    if raw is None:
        return ""
    if _has_8bit(raw):
        return " ".join(_text(raw).split())
    try:
        value = str(msg.get(name))
    except Exception:  # the default policy raises on some malformed structured headers
        try:
            value = str(make_header(decode_header(raw)))
        except Exception:  # broken encoded-words: keep the value as it is
            value = raw
    return " ".join(_text(value).split())


_Raw = dict[str, list[str]]


def _raw_headers(msg: Message) -> _Raw:
    """Header name (lower-case) -> raw values, unfolded, in order. Token headers (ids, dates, flags) are
    read from these: the default policy's structured parsing is slow and adds nothing for them."""
    out: _Raw = {}
    for key, value in msg.raw_items():
        out.setdefault(key.strip().lower(), []).append(" ".join(_text(value).split()))
    return out


def _raw(headers: _Raw, name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(address lower-cased, display name) for each address in a header, decoded by the default policy."""
    out: list[tuple[str, str]] = []
    try:
        header = msg.get(name)
        if header is None:
            return []
        if _has_8bit(_first_raw(msg, name) or ""):
            raise ValueError("8-bit header: decoded by _header")
        for addr in getattr(header, "addresses", ()):
            spec = _text(addr.addr_spec or "").strip().strip("<>").lower()
            if spec:
                out.append((spec, _text(addr.display_name or "").strip()))
        if out or not str(header).strip():
            return out
    except Exception:  # malformed address header: fall back to the lenient stdlib splitter
        out = []
    for display, spec in getaddresses([_header(msg, name)]):
        spec = spec.strip().strip("<>").lower()
        if spec:
            out.append((spec, display.strip()))
    return out


def _raw_addresses(headers: _Raw, name: str) -> tuple[str, ...]:
    """Just the addresses of a header (no names, so no decoding needed), lower-cased."""
    pairs = getaddresses(headers.get(name, []))
    return tuple(dict.fromkeys(spec.strip().strip("<>").lower() for _, spec in pairs if spec.strip()))


def _parse_date(value: str, *, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    try:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=ZoneInfo(tz))
        dt = dt.astimezone(UTC)
    except (OverflowError, ValueError, KeyError):
        return None
    return dt if 1971 <= dt.year <= 2200 else None  # 1970-01-01 and year 0 are placeholders


def _message_date(headers: _Raw, *, tz: str) -> datetime | None:
    """Date:, else the date of the topmost Received: header that has one, else None."""
    dt = _parse_date(_raw(headers, "date"), tz=tz)
    if dt is not None:
        return dt
    for value in headers.get("received", []):
        _, _, when = value.rpartition(";")
        dt = _parse_date(when.strip(), tz=tz)
        if dt is not None:
            return dt
    return None


_ID_TOKEN = re.compile(r"<([^<>\s]+)>")


def _ids(value: str) -> list[str]:
    found = _ID_TOKEN.findall(value)
    if not found and value.strip() and " " not in value.strip() and "@" in value:
        found = [value.strip()]
    return found


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes (Re:, Fwd:, AW:, SV:, RE[2]:, Antw: ...) and ticket tags."""
    text = " ".join(subject.split())
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _SUBJECT_TICKET.sub(" ", text)
    return " ".join(text.split())


def _subject_key(subject: str) -> str:
    return clean_subject(subject).casefold()


def _thread_keys(headers: _Raw, subject: str) -> frozenset[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    gm = _raw(headers, "x-gm-thrid")
    if gm:
        keys.add(("gm", gm))
    for name, values in headers.items():
        if _TICKET_HEADER.match(name):
            value = re.sub(r"[^0-9A-Za-z]", "", values[0]).lower()
            if value:
                keys.add(("ticket", value.lstrip("0") or "0"))
    tag = _SUBJECT_TICKET.search(subject)
    if tag:
        keys.add(("ticket", tag.group(1).lstrip("0") or "0"))
    index = _raw(headers, "thread-index")
    if index:
        try:
            raw = base64.b64decode(index + "=" * (-len(index) % 4), validate=False)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) >= 22:
            keys.add(("ti", raw[:22].hex()))
    return frozenset(keys)


def _is_automated(headers: _Raw) -> bool:
    """Auto-reply markers in the headers (RFC 3834 Auto-Submitted, X-Autoreply, Precedence ...)."""
    auto = _raw(headers, "auto-submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return True
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-autoresponder"):
        if name in headers and _raw(headers, name).lower() not in {"no", "false", "0"}:
            return True
    if _raw(headers, "precedence").lower() in {"bulk", "junk", "auto_reply", "auto-reply"}:
        return True
    # Exchange marks its own automatic mail (out-of-office, notices) "All"; other values (OOF, AutoReply)
    # only ask the receiver not to auto-answer and are set on ordinary mail too (Zammad checks /all/ alike)
    suppress = _raw(headers, "x-auto-response-suppress").lower()
    return any(token.strip() == "all" for token in suppress.split(","))


def _is_bounce(headers: _Raw, sender: str | None) -> bool:
    if _raw(headers, "content-type").lower().startswith("multipart/report"):
        return True
    local = (sender or "").partition("@")[0]
    return local in _BOUNCE_LOCALPART


def _header_block(data: bytes) -> tuple[int, int, bool]:
    """(known mail headers, strong ones, well formed) for the header block at the start of ``data``.

    Strong headers are the ones only mail has: Message-ID, Received, MIME-Version, DKIM ..., and
    address headers (From, Return-Path ...) when their value holds an ``@``.
    """
    known = strong = 0
    lines = data.split(b"\n")
    complete = len(lines) > 1
    for i, line in enumerate(lines[:400]):
        line = line.rstrip(b"\r")
        if not line:
            return known, strong, i > 0
        if line[:1] in (b" ", b"\t"):
            if i == 0:
                return known, strong, False
            continue
        if not _HEADER_LINE.match(line):
            last = i == len(lines) - 1 and not data.endswith(b"\n")
            return known, strong, last and i > 0  # a line cut by the head's end is fine
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name in _MAIL_HEADERS:
            known += 1
        if name in _STRONG_HEADERS or (name in _ADDRESS_HEADERS and b"@" in value):
            strong += 1
    return known, strong, complete


def _meta(
    header_bytes: bytes, *, seq: int, location: str, path: Path, start: int, end: int, tz: str
) -> _Meta | Rejected:
    known, strong, _ = _header_block(header_bytes)
    if not known:
        return Rejected(location, "not an e-mail message (no mail headers such as From:, Date:, Subject:)")
    msg = BytesHeaderParser(policy=policy.default).parsebytes(header_bytes)
    headers = _raw_headers(msg)
    subject = _header(msg, "Subject")
    ids = _ids(_raw(headers, "message-id"))
    if ids:
        msg_id = ids[0]
    else:  # a stable id from the header block itself (the same mail twice gives the same id)
        digest = hashlib.sha256(header_bytes.replace(b"\r\n", b"\n").strip()).hexdigest()[:20]
        msg_id = f"sha256-{digest}"
    refs = _ids(_raw(headers, "references")) or _ids(_raw(headers, "in-reply-to"))[:1]
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    sender, sender_name = senders[0] if senders else (None, None)
    return _Meta(
        seq=seq,
        location=location,
        path=path,
        start=start,
        end=end,
        msg_id=msg_id,
        refs=tuple(dict.fromkeys(r for r in refs if r != msg_id)),
        subject=subject,
        date=_message_date(headers, tz=tz),
        sender=sender,
        sender_name=sender_name or None,
        to=_raw_addresses(headers, "to"),
        cc=_raw_addresses(headers, "cc"),
        keys=_thread_keys(headers, subject),
        automated=_is_automated(headers),
        bounce=_is_bounce(headers, sender),
    )


# --------------------------------------------------------------------------- reading the sources


def _scan_mbox(fh: BinaryIO) -> Iterator[tuple[int, int, int, bytes]]:
    """(start, end, line number of the From line, header bytes) per message of an mbox.

    A ``From `` line separates messages when it opens the file, or follows an empty line (or looks
    like an envelope line with a weekday), and is followed by a header line: body lines that start with
    "From " but were not escaped by the writer stay in the body.
    """
    pos = lineno = 0
    at_line_start = prev_blank = True
    candidate: tuple[int, int, int] | None = None  # (From line offset, content offset, line number)
    current: list | None = None  # [content start, line number, header chunks, header size, in headers]

    def finish(cur: list, end: int) -> tuple[int, int, int, bytes]:
        return cur[0], end, cur[1], b"".join(cur[2])

    while True:
        chunk = fh.readline(_CHUNK)
        if not chunk:
            break
        line_start, chunk_pos = at_line_start, pos
        at_line_start = chunk.endswith(b"\n")
        pos += len(chunk)
        if line_start:
            lineno += 1
        if candidate is not None:
            from_pos, content_pos, from_line = candidate
            candidate = None
            if current is None or (line_start and _HEADER_LINE.match(chunk)):
                if current is not None:
                    yield finish(current, from_pos)
                current = [content_pos, from_line, [], 0, True]
        if line_start and chunk.startswith(b"From ") and (current is None or prev_blank or _ENVELOPE.match(chunk)):
            candidate = (chunk_pos, pos, lineno)
        elif current is not None and current[4]:
            if line_start and chunk.strip(b"\r\n") == b"":
                current[4] = False
            elif current[3] < _MAX_HEADER_BYTES:
                current[2].append(chunk)
                current[3] += len(chunk)
        prev_blank = line_start and chunk in (b"\n", b"\r\n")
    if candidate is not None:
        if current is not None:
            yield finish(current, candidate[0])
        current = [candidate[1], candidate[2], [], 0, False]
    if current is not None:
        yield finish(current, pos)


def _read_header_bytes(fh: BinaryIO) -> tuple[bytes, int]:
    """The header block at the start of a single-message file, and the offset the message starts at
    (past a leading mbox-style ``From `` envelope line, which some tools write into .eml files)."""
    first = fh.readline(_CHUNK)
    start = 0
    if first.startswith(b"From ") and not _HEADER_LINE.match(first):
        start = len(first)
        first = fh.readline(_CHUNK)
    chunks, size = [first], len(first)
    line = first
    while line and line.strip(b"\r\n") and size < _MAX_HEADER_BYTES:
        line = fh.readline(_CHUNK)
        chunks.append(line)
        size += len(line)
    return b"".join(chunks), start


def _mail_files(root: Path) -> list[Path]:
    """The message files of a Maildir (cur/ and new/, Maildir++ sub-folders too) or the .eml files below
    a directory, in a stable order."""
    if (root / "cur").is_dir() or (root / "new").is_dir():
        folders = [root, *sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("."))]
        files = [
            f
            for folder in folders
            for sub in ("cur", "new")
            if (folder / sub).is_dir()
            for f in sorted((folder / sub).iterdir())
            if f.is_file() and not f.name.startswith(".")
        ]
        return files
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".eml")


# --------------------------------------------------------------------------- bodies


def _decode_part(part: Message) -> str:
    """A text part's content: the declared charset when it fits, else UTF-8, else charset-normalizer's
    guess, else UTF-8 with replacement characters (a wrong charset never stops the import)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return _text(payload or "")
    charset = (part.get_content_charset() or "utf-8").strip().lower()
    if charset in {"us-ascii", "ascii", "unknown-8bit", "x-unknown", "default"}:
        charset = "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None:
        return str(best)
    return payload.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> tuple[str, bool]:
    """(body text as found, is HTML): text/plain preferred, HTML when there is no non-empty plain part."""
    for preference in (("plain",), ("html",)):
        part = msg.get_body(preferencelist=preference)
        if part is None:
            continue
        text = _decode_part(part).replace("\r\n", "\n").replace("\r", "\n")
        if text.strip():
            return text, preference == ("html",)
    return "", False


def _cut_attribution(text: str) -> str:
    """Text above the first reply attribution ("On ... wrote:", "Op ... schreef ...:", "Am ... schrieb:",
    "-----Original Message-----"). mail-parser-reply misses some of these (Gmail's Dutch "Op <date>
    schreef <name> <addr>:"); a line only counts when it has a date digit and an address or a quote."""
    for match in _ATTRIBUTION.finditer(text):
        if not text[: match.start()].strip():
            continue
        line = match.group(0)
        rest = text[match.end() :].lstrip("\n")
        quoted = rest.startswith(">") or rest.lstrip(" \t").startswith(">")
        if line.lstrip().startswith("-") or (re.search(r"\d", line) and ("@" in line or quoted)):
            return text[: match.start()]
    return text


def _clean(raw: str, *, html: bool) -> str:
    base = html_to_text(raw) if html else raw
    return clean_body(_cut_attribution(base), html=False)


def _bounced_id(msg: EmailMessage) -> str | None:
    """The Message-ID of the mail a delivery report is about (its message/rfc822 or headers part)."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                ids = _ids(_raw(_raw_headers(inner), "message-id"))
                if ids:
                    return ids[0]
        elif ctype == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                inner = BytesHeaderParser(policy=policy.default).parsebytes(payload)
                ids = _ids(_raw(_raw_headers(inner), "message-id"))
                if ids:
                    return ids[0]
    return None


# --------------------------------------------------------------------------- threading


def _ticket_conflict(a: _Meta | None, b: _Meta | None) -> bool:
    if a is None or b is None:
        return False
    ta, tb = a.ticket_ids, b.ticket_ids
    return bool(ta and tb and not ta & tb)


@dataclass
class _Group:
    members: list[_Meta]
    first: datetime | None
    last: datetime | None
    participants: set[str] = field(default_factory=set)

    @property
    def root(self) -> _Meta:
        return min(self.members, key=lambda m: (m.depth, _date_key(m.date), m.seq))


def _date_key(dt: datetime | None) -> tuple[int, datetime]:
    return (1, datetime.min.replace(tzinfo=UTC)) if dt is None else (0, dt)


def _thread_messages(metas: list[_Meta]) -> list[list[_Meta]]:
    """Group messages into conversations (ready-made keys, JWZ references, subject fallback); each
    conversation's messages sorted by (date, depth, file order); conversations in file order."""
    by_id = {m.msg_id: m for m in metas}
    parent: dict[str, str] = {}

    def is_ancestor(node: str, of: str) -> bool:
        seen: set[str] = set()
        current: str | None = of
        while current is not None and current not in seen:
            if current == node:
                return True
            seen.add(current)
            current = parent.get(current)
        return False

    def can_link(par: str, child: str) -> bool:
        if par == child or is_ancestor(child, par):
            return False
        return not _ticket_conflict(by_id.get(par), by_id.get(child))

    for meta in metas:
        refs = list(meta.refs)
        for par, child in zip(refs, refs[1:], strict=False):
            if child not in parent and can_link(par, child):
                parent[child] = par
        if refs and can_link(refs[-1], meta.msg_id):
            parent[meta.msg_id] = refs[-1]

    depth: dict[str, int] = {}
    top: dict[str, str] = {}

    def walk(node: str) -> tuple[int, str]:
        chain: list[str] = []
        current = node
        while current not in depth and current in parent and current not in chain:
            chain.append(current)
            current = parent[current]
        base_depth, base_top = depth.get(current, 0), top.get(current, current)
        for i, item in enumerate(reversed(chain), start=1):
            depth[item], top[item] = base_depth + i, base_top
        depth.setdefault(current, base_depth)
        top.setdefault(current, base_top)
        return depth[node], top[node]

    threads = DisjointSets()
    key_owner: dict[tuple[str, str], str] = {}
    for meta in metas:
        meta.depth, root = walk(meta.msg_id)
        threads.union(root, meta.msg_id)
        for key in sorted(meta.keys):
            if key in key_owner:
                threads.union(key_owner[key], meta.msg_id)
            else:
                key_owner[key] = meta.msg_id

    grouped: dict[str, list[_Meta]] = {}
    for meta in metas:
        grouped.setdefault(threads.find(meta.msg_id), []).append(meta)
    groups = [_new_group(members) for members in grouped.values()]
    groups = _merge_by_subject(groups)
    out = []
    for group in sorted(groups, key=lambda g: min(m.seq for m in g.members)):
        out.append(sorted(group.members, key=lambda m: (_date_key(m.date), m.depth, m.seq)))
    return out


def _new_group(members: list[_Meta]) -> _Group:
    dates = [m.date for m in members if m.date is not None]
    group = _Group(members, min(dates, default=None), max(dates, default=None))
    for meta in members:
        group.participants |= meta.participants
    return group


def _merge_by_subject(groups: list[_Group]) -> list[_Group]:
    """Join a conversation whose root has no references and no thread key to an earlier one with the
    same normalised subject, when its From and To took part in that one and it began within 30 days
    of that one's last message."""
    by_subject: dict[str, list[_Group]] = {}
    kept: list[_Group] = []
    for group in sorted(groups, key=lambda g: (_date_key(g.first), min(m.seq for m in g.members))):
        root = group.root
        key = _subject_key(root.subject)
        lonely = not root.refs and not any(m.keys for m in group.members) and root.date is not None
        target = None
        if lonely and key:
            wanted = {a for a in (root.sender, *root.to) if a}
            for earlier in reversed(by_subject.get(key, [])):
                if (
                    earlier.last is not None
                    and earlier.first is not None
                    and earlier.first <= root.date <= earlier.last + _SUBJECT_WINDOW
                    and wanted
                    and wanted <= earlier.participants
                ):
                    target = earlier
                    break
        if target is None:
            kept.append(group)
            if key:
                by_subject.setdefault(key, []).append(group)
            continue
        target.members.extend(group.members)
        target.participants |= group.participants
        target.last = max(d for d in (target.last, group.last) if d is not None)
    return kept


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class _Support:
    addresses: frozenset[str]
    domains: frozenset[str]

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or not address:
            return False
        return address in self.addresses or address.rpartition("@")[2] in self.domains


def _support_from_options(entries: Iterable[str]) -> _Support:
    addresses, domains = set(), set()
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("@"):
            domains.add(entry[1:])
        elif "@" in entry:
            addresses.add(entry)
        else:  # a bare domain
            domains.add(entry)
    return _Support(frozenset(addresses), frozenset(domains))


def _role_like(address: str) -> bool:
    local = address.partition("@")[0].partition("+")[0]
    return bool(_ROLE_LOCALPART.match(local))


def _infer_support(threads: list[list[_Meta]], *, source: str) -> _Support:
    """The support side when no support addresses are given.

    * the address(es) that receive the first message of most conversations (the To of the roots);
    * every address that looks like a role mailbox (support@, help@, service@, info@, no-reply@ ...);
    * colleagues: other senders at the domain of a receiving address (free-mail domains excepted)
      who never open a conversation themselves.
    """
    roots = [min(t, key=lambda m: (m.depth, _date_key(m.date), m.seq)) for t in threads]
    votes = Counter(addr for root in roots for addr in dict.fromkeys(root.to))
    winners: set[str] = set()
    if votes:
        best = max(votes.values())
        winners = {a for a, n in votes.items() if n == best}
        if len(winners) > 1 and len(threads) > 1:
            log.warning(
                "%s: support address inferred from a tie (%s); pass support_addresses to be sure",
                source,
                ", ".join(sorted(winners)),
            )
        elif len(threads) >= 4 and best * 2 < len(threads):
            log.warning("%s: no address receives most first messages; support inference is weak", source)
    seen = {a for t in threads for m in t for a in (m.sender, *m.to, *m.cc) if a}
    addresses = winners | {a for a in seen if _role_like(a)}
    for addr in sorted(winners):
        if addr.rpartition("@")[2] in _FREE_MAIL:
            log.warning("%s: inferred support address %s is a personal mailbox", source, addr)
    if not addresses:
        log.warning("%s: no support address could be inferred; every sender counts as customer", source)
    domains = {a.rpartition("@")[2] for a in winners if "@" in a} - _FREE_MAIL
    openers = {root.sender for root in roots if root.sender}
    colleagues = {
        m.sender
        for t in threads
        for m in t
        if m.sender and m.sender.rpartition("@")[2] in domains and m.sender not in openers
    }
    return _Support(frozenset(addresses | colleagues), frozenset())


# --------------------------------------------------------------------------- the importer


@register_importer("email.v1")
class EmailImporter:
    name = "email"
    description = "e-mail: an mbox file, one .eml file, or a directory of .eml files / a Maildir"

    def sniff(self, path: Path, head: bytes) -> float:
        if path.is_dir():
            try:
                return 0.8 if _mail_files(path) else 0.0
            except OSError:
                return 0.0
        suffix = path.suffix.lower()
        head = head[:16384]
        if head.startswith(b"From "):
            rest = head.split(b"\n", 1)[1] if b"\n" in head else b""
            known, strong, formed = _header_block(rest)
            if known and strong and formed:
                return 0.95
            return 0.5 if suffix in {".mbox", ".mbx"} else 0.2
        known, strong, formed = _header_block(head)
        if not formed:
            return 0.1 if suffix == ".eml" else 0.0
        if known >= 2 and strong:
            return 0.95 if suffix == ".eml" else 0.85
        if known and suffix == ".eml":
            return 0.6
        return 0.1 if suffix == ".eml" else 0.0

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        yield from self.read_many([path], options)

    def read_many(self, paths: list[Path], options: ImportOptions) -> Iterator[Item]:
        """Thread the mail of several paths (files, mboxes, folders) together: a reply in one .eml file
        joins the conversation its parent started in another."""
        source = options.source or self.name
        metas, rejects = [], []
        for path in paths:
            path = Path(path)
            if path.is_dir():
                found, bad = self._scan_directory(path, options)
            else:
                head = read_head(path)
                if not head.strip():
                    raise ImportFileError(str(path), "the file is empty")
                if head.startswith(b"From "):
                    found, bad = self._scan_mbox_file(path, options)
                else:
                    found, bad = self._scan_single(path, head, options)
            metas.extend(found)
            rejects.extend(bad)
        path = Path(paths[0]) if len(paths) == 1 else Path(", ".join(str(p) for p in paths))
        yield from rejects
        unique: list[_Meta] = []
        seen: set[str] = set()
        for meta in metas:  # the same mail in two folders (or twice in an mbox) is kept once
            if meta.msg_id not in seen:
                seen.add(meta.msg_id)
                unique.append(meta)
        self._link_bounces(unique)
        threads = _thread_messages(unique)
        if options.support_addresses:
            support = _support_from_options(options.support_addresses)
        else:
            support = _infer_support(threads, source=str(path))
        with _Opener() as opener:
            for thread in threads:
                yield from self._conversation(thread, support, source, opener)

    # ---- pass 1

    def _scan_mbox_file(self, path: Path, options: ImportOptions) -> tuple[list[_Meta], list[Rejected]]:
        metas: list[_Meta] = []
        rejects: list[Rejected] = []
        try:
            with open(path, "rb") as fh:
                for start, end, lineno, header_bytes in _scan_mbox(fh):
                    item = _meta(
                        header_bytes,
                        seq=len(metas) + len(rejects),
                        location=f"{path}:{lineno}",
                        path=path,
                        start=start,
                        end=end,
                        tz=options.tz,
                    )
                    (rejects if isinstance(item, Rejected) else metas).append(item)  # type: ignore[arg-type]
        except OSError as exc:
            raise ImportFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None
        if not metas:
            raise ImportFileError(str(path), "starts like an mbox ('From ' line) but holds no e-mail messages")
        return metas, rejects

    def _scan_single(self, path: Path, head: bytes, options: ImportOptions) -> tuple[list[_Meta], list[Rejected]]:
        known, strong, formed = _header_block(head)
        if not (formed and known and (strong or known >= 2)):
            raise ImportFileError(
                str(path), "not an e-mail file (expected an mbox 'From ' line or .eml headers such as From:)"
            )
        try:
            with open(path, "rb") as fh:
                header_bytes, start = _read_header_bytes(fh)
        except OSError as exc:
            raise ImportFileError(str(path), f"cannot be read ({exc.strerror or exc})") from None
        item = _meta(header_bytes, seq=0, location=str(path), path=path, start=start, end=-1, tz=options.tz)
        if isinstance(item, Rejected):
            raise ImportFileError(str(path), item.reason)
        return [item], []

    def _scan_directory(self, path: Path, options: ImportOptions) -> tuple[list[_Meta], list[Rejected]]:
        try:
            files = _mail_files(path)
        except OSError as exc:
            raise ImportFileError(str(path), f"cannot be listed ({exc.strerror or exc})") from None
        if not files:
            raise ImportFileError(str(path), "a directory with no .eml files and not a Maildir (cur/, new/)")
        metas: list[_Meta] = []
        rejects: list[Rejected] = []
        for seq, file in enumerate(files):
            try:
                with open(file, "rb") as fh:
                    header_bytes, start = _read_header_bytes(fh)
            except OSError as exc:
                rejects.append(Rejected(str(file), f"cannot be read ({exc.strerror or exc})"))
                continue
            item = _meta(header_bytes, seq=seq, location=str(file), path=file, start=start, end=-1, tz=options.tz)
            (rejects if isinstance(item, Rejected) else metas).append(item)  # type: ignore[arg-type]
        if not metas:
            raise ImportFileError(str(path), "no e-mail messages among its files")
        return metas, rejects

    def _link_bounces(self, metas: list[_Meta]) -> None:
        """A delivery report without References joins the conversation of the mail it bounced."""
        with _Opener() as opener:
            for meta in metas:
                if not meta.bounce or meta.refs:
                    continue
                try:
                    size = (meta.end - meta.start) if meta.end >= 0 else meta.path.stat().st_size
                    if size > _MAX_REPORT_BYTES:
                        continue
                    msg = BytesParser(policy=policy.default).parsebytes(opener.read(meta))
                    original = _bounced_id(msg)
                except Exception:  # a report we cannot read simply stays on its own
                    continue
                if original and original != meta.msg_id:
                    meta.refs = (original,)

    # ---- pass 2

    def _conversation(self, thread: list[_Meta], support: _Support, source: str, opener: _Opener) -> Iterator[Item]:
        root = min(thread, key=lambda m: (m.depth, _date_key(m.date), m.seq))
        messages: list[dict] = []
        customer: dict[str, str | None] | None = None
        assignee: dict[str, str | None] | None = None
        for meta in thread:
            try:
                msg = BytesParser(policy=policy.default).parsebytes(opener.read(meta))
                raw, is_html = _body(msg)  # type: ignore[arg-type]
                text = _clean(raw, html=is_html)
            except OSError as exc:
                yield Rejected(meta.location, f"cannot be read ({exc.strerror or exc})")
                continue
            except Exception as exc:  # the stdlib parser and the quote strippers are heuristics
                yield Rejected(meta.location, f"message could not be parsed ({type(exc).__name__}: {exc})")
                continue
            if meta.bounce:
                role, automated = "system", True
            elif meta.sender in support:
                role, automated = "agent", meta.automated
            elif meta.automated:
                role, automated = "system", True
            else:
                role, automated = "customer", False
            party = {"id": meta.sender, "name": meta.sender_name}
            if role == "customer" and customer is None:
                customer = party
            if role == "agent" and not automated and assignee is None:
                assignee = party
            messages.append(
                {
                    "id": meta.msg_id,
                    "role": role,
                    "author": meta.sender,
                    "author_name": meta.sender_name,
                    "sent_at": meta.date,
                    "text": text,
                    "raw_text": raw,
                    "is_automated": automated,
                }
            )
        if not messages:
            return
        if customer is None:  # an outbound thread nobody answered: the first outside recipient
            outside = next((a for a in root.to if a not in support), None)
            customer = {"id": outside, "name": None}
        subject = clean_subject(root.subject) or None
        record = {
            "id": root.msg_id,
            "source": source,
            "channel": "email",
            "subject": subject,
            "created_at": messages[0]["sent_at"],
            "customer": customer,
            "assignee": assignee,
            "messages": messages,
        }
        item = build_conversation(record, root.location)
        if isinstance(item, ConversationIn):
            mark_auto_replies(item.messages)
        yield item


class _Opener:
    """Reads a message's bytes again in pass 2, keeping the last file open (an mbox is read by offset)."""

    def __init__(self) -> None:
        self._path: Path | None = None
        self._fh: BinaryIO | None = None

    def __enter__(self) -> _Opener:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read(self, meta: _Meta) -> bytes:
        if self._path != meta.path or self._fh is None:
            if self._fh is not None:
                self._fh.close()
            self._fh = open(meta.path, "rb")  # noqa: SIM115 (closed in __exit__ or on the next file)
            self._path = meta.path
        self._fh.seek(meta.start)
        data = self._fh.read() if meta.end < 0 else self._fh.read(meta.end - meta.start)
        if meta.end >= 0:  # the empty line before the next mbox 'From ' line belongs to the separator
            if data.endswith(b"\r\n"):
                data = data[:-2]
            elif data.endswith(b"\n"):
                data = data[:-1]
        return data
