"""Generic CSV (export-formats.md §2.8): one row per message, or one row per conversation with a transcript.

Reading, in short:

* Encoding from ``base.detect_encoding`` (UTF-8, UTF-8 with BOM, UTF-16 with BOM, cp1252/latin-1 ...).
  A file whose first 64 KB are pure ASCII but that has non-UTF-8 bytes later is read as cp1252 (Excel).
* Delimiter ``,`` ``;`` tab or ``|``: counted on the header line, ``csv.Sniffer`` breaks ties; an Excel
  ``sep=;`` first line is honoured.
* Headers are matched case-insensitively with spaces, dashes and camelCase read as underscores, through
  the alias table ``ALIASES``; ``options.column_map`` (canonical name -> file header) comes first.
* Rows of one conversation must be contiguous. The file is read twice: a first pass notes only which
  conversation ids re-appear after other conversations; the second pass builds one conversation at a time
  (memory: the ids, never more than one conversation's rows). A re-appearing id is rejected as a whole.
* A bad row rejects its whole conversation (one ``Rejected`` naming the first bad line). A row without a
  conversation id belongs to the conversation above it (spreadsheet "fill down"), so it rejects that one.
* Line numbers are the physical line where a record starts (quoted fields may span lines).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import (
    ImportOptions,
    Item,
    Rejected,
    build_conversation,
    detect_encoding,
    open_text,
    read_head,
    register_importer,
)
from qa_toolkit.normalise import clean_body, parse_timestamp
from qa_toolkit.types import Role, normalise_role

# --------------------------------------------------------------------------- columns

REQUIRED = ("conversation_id", "role", "text")
REQUIRED_WIDE = ("conversation_id", "transcript")

# canonical name -> header aliases, best first (keys as produced by ``header_key``). A header is
# claimed by the first canonical name (in this order) that lists it.
ALIASES: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "conversation_id", "conversation", "ticket_id", "ticket", "ticket_number", "ticket_no", "case_id",
        "case_number", "thread_id", "chat_id", "session_id", "dialog_id", "dialogue_id", "conv_id",
    ),
    "message_id": ("message_id", "id", "msg_id", "comment_id", "part_id", "reply_id"),
    "timestamp": (
        "timestamp", "created_at", "sent_at", "message_created_at", "date", "time", "datetime", "date_time",
        "sent", "message_timestamp", "message_date", "message_time", "posted_at", "created",
    ),
    "role": (
        "role", "author_type", "sender_type", "message_author_type", "from_type", "author_role",
        "sender_role", "speaker", "speaker_role", "participant_role", "participant_type", "user_type",
        "direction",
    ),
    "author_id": ("author_id", "message_author_id", "sender_id", "from_id"),
    "author_name": (
        "author_name", "message_author_name", "sender_name", "from_name", "speaker_name", "author", "sender",
    ),
    "text": (
        "text", "message_body", "message_text", "body", "body_text", "plain_body", "content",
        "message_content", "message", "comment", "comment_body", "utterance", "html_body",
    ),
    "is_internal": ("is_internal", "internal", "is_private", "private", "is_note", "internal_note"),
    "is_public": ("is_public", "public"),
    "is_automated": ("is_automated", "automated", "is_auto", "auto_reply", "is_auto_reply", "is_automatic"),
    "message_type": ("message_type", "part_type", "message_kind"),
    "channel": ("channel", "conversation_channel", "ticket_channel", "source_channel", "via", "medium"),
    "subject": ("subject", "title", "conversation_subject", "ticket_subject", "conversation_title"),
    "status": ("status", "state", "conversation_state", "conversation_status", "ticket_status"),
    "tags": ("tags", "tag", "labels", "conversation_tags", "ticket_tags"),
    "conversation_created_at": (
        "conversation_created_at", "ticket_created_at", "conversation_started_at", "started_at", "opened_at",
    ),
    "conversation_closed_at": (
        "conversation_closed_at", "closed_at", "ticket_closed_at", "solved_at", "resolved_at",
        "conversation_ended_at", "ended_at",
    ),
    "customer_id": ("customer_id", "requester_id", "contact_id", "end_user_id"),
    "customer_name": ("customer_name", "requester_name", "contact_name", "requester", "customer"),
    "assignee_id": ("assignee_id", "admin_assignee_id", "assigned_to_id", "agent_id", "owner_id"),
    "assignee_name": ("assignee_name", "assignee", "assigned_to", "agent_name", "owner_name", "owner"),
    "team": (
        "team", "team_name", "team_assignee", "team_assignee_name", "group", "group_name", "queue",
        "department",
    ),
    "csat_score": (
        "csat_score", "csat", "csat_rating", "satisfaction_score", "satisfaction_rating", "satisfaction",
        "conversation_rating", "conversation_rating_score", "rating",
    ),
    "csat_scale": ("csat_scale", "satisfaction_scale", "rating_scale"),
    "csat_comment": (
        "csat_comment", "satisfaction_comment", "rating_comment", "rating_remark",
        "conversation_rating_remark",
    ),
    "language": ("language", "lang", "locale"),
    "source": ("source", "source_system"),
    "transcript": (
        "transcript", "conversation_transcript", "chat_transcript", "dialogue", "dialog", "conversation_text",
    ),
}  # fmt: skip

CANONICAL = tuple(ALIASES)

# role names accepted on top of types.normalise_role (Intercom's "team" author type, localised names)
_EXTRA_ROLES = {
    "team": Role.agent,
    "human_agent": Role.agent,
    "live_agent": Role.agent,
    "support_agent": Role.agent,
    "csr": Role.agent,
    "brand": Role.agent,
    "company": Role.agent,
    # Dutch, German and French spreadsheets
    "klant": Role.customer,
    "kunde": Role.customer,
    "medewerker": Role.agent,
    "mitarbeiter": Role.agent,
    "mitarbeiterin": Role.agent,
    "conseiller": Role.agent,
    "conseillère": Role.agent,
}
# message_type values that are events (role system, dropped unless they carry text) and notes
_EVENT_TYPES = {
    "assignment", "open", "close", "closed", "snoozed", "unsnoozed", "timer_unsnooze", "away_mode_assignment",
    "assign_and_reopen", "participant_added", "participant_removed", "event", "lineitem", "activity",
    "status_change", "state_change", "system",
}  # fmt: skip
_NOTE_TYPES = {"note", "internal_note", "private_note", "internal", "private", "comment_private"}

_TRUE = {"true", "t", "yes", "y", "1", "x", "waar", "wahr", "vrai", "ja", "oui"}
_FALSE = {"false", "f", "no", "n", "0", "", "onwaar", "falsch", "faux", "nee", "nein", "non"}
_NO_RATING = {"", "-", "n/a", "na", "none", "null", "offered", "unoffered", "not offered"}

_CONVERSATION_TEXT_COLUMNS = (
    "channel", "subject", "status", "team", "language", "source", "customer_id", "customer_name",
    "assignee_id", "assignee_name", "csat_scale", "csat_comment",
)  # fmt: skip
_DELIMITERS = ",;\t|"
_SEP_LINES = {f"sep={d}" for d in _DELIMITERS}
_TIMESTAMP_HINT = "use ISO 8601 such as 2025-03-03T09:58:11Z, or unix seconds"


def header_key(name: str) -> str:
    """A header as the alias table spells it: ``Conversation ID``, ``conversation-id``, ``conversationId``
    -> ``conversation_id``."""
    name = name.strip().lstrip("\ufeff").removeprefix("ï»¿").strip().strip('"').strip()
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


@dataclass
class Layout:
    """Which file column holds each canonical field."""

    headers: list[str]
    index: dict[str, int]

    @property
    def wide(self) -> bool:
        """One row per conversation: a transcript column and no text column."""
        return "transcript" in self.index and "text" not in self.index

    def get(self, fields: list[str], name: str) -> str:
        i = self.index.get(name)
        return fields[i] if i is not None and i < len(fields) else ""

    def label(self, name: str) -> str:
        """The column as the file calls it, with the canonical name when that differs."""
        header = self.headers[self.index[name]]
        return repr(header) if header_key(header) == name else f"{header!r} ({name})"


def match_columns(headers: list[str], column_map: dict[str, str], path: Path) -> dict[str, int]:
    """Canonical name -> column index: ``column_map`` first, then the aliases. ImportFileError for a
    column_map naming an unknown canonical name or a header the file does not have."""
    keys = [header_key(h) for h in headers]
    index: dict[str, int] = {}
    claimed: set[int] = set()
    for canonical, header in column_map.items():
        if canonical not in ALIASES:
            raise ImportFileError(
                str(path),
                f"column_map: unknown column {canonical!r} (the map goes canonical name -> file header); "
                f"valid names: {', '.join(CANONICAL)}",
            )
        if header in headers:
            i = headers.index(header)
        elif header_key(header) and header_key(header) in keys:
            i = keys.index(header_key(header))
        else:
            raise ImportFileError(
                str(path),
                f"column_map: {canonical} -> {header!r}, but the file has no such column; "
                f"headers found: {', '.join(repr(h) for h in headers)}",
            )
        index[canonical] = i
        claimed.add(i)
    for canonical, aliases in ALIASES.items():
        if canonical in index:
            continue
        for alias in aliases:
            hits = [i for i, k in enumerate(keys) if k == alias and i not in claimed]
            if hits:
                index[canonical] = hits[0]
                claimed.add(hits[0])
                break
    return index


def resolve_columns(headers: list[str], column_map: dict[str, str], path: Path) -> Layout:
    """Map the header row onto canonical names; ImportFileError for a bad column_map or missing columns."""
    layout = Layout(headers=headers, index=match_columns(headers, column_map, path))
    required = REQUIRED_WIDE if layout.wide else REQUIRED
    missing = [c for c in required if c not in layout.index]
    if missing:
        raise ImportFileError(
            f"{path}:1",
            f"missing required column(s) {', '.join(missing)}; headers found: "
            f"{', '.join(repr(h) for h in headers)}; required: {', '.join(REQUIRED)} (or "
            f"{', '.join(REQUIRED_WIDE)} for one row per conversation); name yours with a column map, "
            "e.g. --column text=Body",
        )
    return layout


# --------------------------------------------------------------------------- values


class _BadValue(ValueError):
    """A cell that cannot be read; the message names the column and the value."""


def _timestamp(value: str, label: str, tz: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    text = re.sub(r"\s+(UTC|GMT)$", "+00:00", text, flags=re.I)
    dotted = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    if dotted:  # 03.03.2025 09:58 (European spreadsheets): always day first
        d, mo, y, h, mi, s = (int(g) if g else 0 for g in dotted.groups())
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
    try:
        return parse_timestamp(text, tz=tz)
    except (ValueError, OverflowError) as exc:
        hint = "; dates with slashes are not read: their day/month order is ambiguous" if "/" in text else ""
        raise _BadValue(f"column {label}: not a timestamp: {value.strip()!r}{hint} ({_TIMESTAMP_HINT})") from exc
    except Exception as exc:  # noqa: BLE001  (zoneinfo edge cases must not escape as a traceback)
        raise _BadValue(f"column {label}: cannot read timestamp {value.strip()!r} ({exc})") from exc


def _bool(value: str, label: str) -> bool:
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _BadValue(f"column {label}: not a yes/no value: {value.strip()!r} (use true/false, 1/0 or yes/no)")


def _role(value: str) -> Role | None:
    key = re.sub(r"[\s\-]+", "_", value.strip().lower())
    if not key:
        return None
    return normalise_role(key) or _EXTRA_ROLES.get(key)


def _score(value: str, label: str) -> tuple[float | None, str | None]:
    """(score, implied scale) from a CSAT cell: a number, or good/bad."""
    key = value.strip().lower()
    if key in _NO_RATING:
        return None, None
    if key in {"good", "satisfied", "positive"}:
        return 1.0, "bad/good"
    if key in {"bad", "unsatisfied", "dissatisfied", "negative"}:
        return 0.0, "bad/good"
    try:
        score = float(key.replace(",", "."))
    except ValueError:
        raise _BadValue(f"column {label}: not a rating: {value.strip()!r} (a number, or good/bad)") from None
    if score != score or score in (float("inf"), float("-inf")):
        raise _BadValue(f"column {label}: not a rating: {value.strip()!r}")
    return score, None


def _clean(raw: str) -> str:
    try:
        return clean_body(raw)
    except Exception:  # noqa: BLE001  (a heuristic cleaner must never lose a message or raise out of read)
        return raw.strip()


def _check_width(fields: list[str], layout: Layout) -> None:
    if any(f.strip() for f in fields[len(layout.headers) :]):
        raise _BadValue(
            f"the row has {len(fields)} fields but the header has {len(layout.headers)} "
            "(an unquoted delimiter inside a value?)"
        )


def _tags(value: str) -> list[str]:
    return [t.strip() for t in re.split(r"[;|,]", value) if t.strip()]


# --------------------------------------------------------------------------- records


@dataclass
class _Record:
    line: int  # physical line where the record starts
    row: int  # row number as a spreadsheet counts rows (the header is row 1)
    fields: list[str] | None  # None when not even a lenient parse recovered it
    error: str | None = None  # malformed CSV


class _Tap:
    """The line source for csv.reader; remembers the raw lines of the record being read."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.raw: list[str] = []
        self.count = 0

    def __iter__(self) -> _Tap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.raw.append(line)
        self.count += 1
        return line


class _DecodeFailed(Exception):
    pass


def _records(path: Path, encoding: str, delimiter: str) -> Iterator[_Record]:
    """Every record of the file (header included) with its start line; malformed CSV records come with
    an error and the fields a lenient parse recovers. Raises _DecodeFailed on undecodable bytes."""
    try:
        with open_text(path, encoding=encoding) as fh:
            tap = _Tap(fh)
            reader = csv.reader(tap, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
            row = 0
            while True:
                start = tap.count + 1
                tap.raw.clear()
                try:
                    fields = next(reader)
                    error = None
                except StopIteration:
                    return
                except csv.Error as exc:
                    fields, error = _lenient("".join(tap.raw), delimiter), str(exc)
                    if error == "unexpected end of data":
                        error = f"the file ends inside a quoted field that starts at line {start} (truncated?)"
                    else:
                        error = f"malformed CSV ({error}); check the quotes on this row"
                row += 1
                if row == 1 and "".join(tap.raw).strip().lower() in _SEP_LINES:
                    row = 0  # Excel's "sep=;" line: not a row
                    continue
                yield _Record(start, row, fields, error)
    except UnicodeDecodeError as exc:
        raise _DecodeFailed(str(exc)) from None


def _lenient(raw: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=False))
    except (csv.Error, StopIteration):
        return None


def _blank(fields: list[str] | None) -> bool:
    return fields is not None and not any(f.strip() for f in fields)


def _bad_byte_line(path: Path, encoding: str) -> int:
    """The line with the first bytes ``encoding`` cannot decode (only called after a decoding error)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        return 1
    with open(path, "rb") as fh:
        for lineno, chunk in enumerate(fh, start=1):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return lineno
    return 1


# Latin-script single-byte code pages that charset-normalizer picks for short cp1252 samples
_LATIN_NEIGHBOURS = re.compile(
    r"^(cp125[0478]|cp437|cp85[02]|cp775|cp858|iso8859_(1|2|3|4|9|10|13|14|15|16)|latin_1|hp_roman8"
    r"|mac_(roman|iceland|turkish|latin2|centeuro|croatian|romanian))$"
)
# characters that a Western text decoded as cp1252 hardly ever has, but a cp1250/cp1257 text does
_CP1252_UNLIKELY = set("¹³¯Ÿ¦¨¸¼¾¤ˆ˜‡†‰‹›")


def csv_encoding(path: Path, head: bytes) -> str:
    """``base.detect_encoding``, except that a guess of another Latin single-byte code page (cp1250,
    cp1257, mac_roman ...) becomes cp1252 when the head reads as plausible cp1252: on short Western
    European samples charset-normalizer often picks a neighbour that turns à into ą."""
    encoding = detect_encoding(path, head)
    name = codecs.lookup(encoding).name.replace("-", "_") if _known(encoding) else encoding
    if not _LATIN_NEIGHBOURS.match(name):
        return encoding
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 1:
            return encoding
        text = head[: exc.start].decode("cp1252")
    if _CP1252_UNLIKELY.intersection(text):
        return encoding
    letters = [c for c in text if c.isalpha()]
    non_ascii = sum(1 for c in letters if not c.isascii())
    return "cp1252" if letters and non_ascii <= 0.3 * len(letters) else encoding


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def _decode_for_sniff(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", "replace")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "replace")
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return head[: exc.start].decode("utf-8")
        return head.decode("cp1252", "replace")


def sample_delimiter(sample: str) -> str:
    """The delimiter of the text at the start of a file: an Excel ``sep=X`` line, else a guess."""
    sample = sample.lstrip("\ufeff")
    if sample[:5].lower() in _SEP_LINES:
        return sample[4]
    return guess_delimiter(sample)


def guess_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the candidate found most often in the header line (outside
    quotes); ``csv.Sniffer`` breaks a tie."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    header = re.sub(r'"[^"]*"', "", lines[0])
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [d for d in _DELIMITERS if counts[d] == best]
    if len(tied) > 1:
        try:
            sniffed = csv.Sniffer().sniff("\n".join(lines[:10])[:8192], delimiters=_DELIMITERS).delimiter
        except csv.Error:
            sniffed = ""
        if sniffed in tied:
            return sniffed
    return tied[0]


# --------------------------------------------------------------------------- conversations


@dataclass
class _Group:
    """The rows of one conversation while it is being read."""

    cid: str
    line: int
    skip: bool = False  # rejected already (split over the file): rows are dropped unread
    error: tuple[int, str] | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    conv: dict[str, Any] = field(default_factory=dict)

    def fail(self, line: int, reason: str) -> None:
        if self.error is None:
            self.error = (line, reason)
        self.messages.clear()


@register_importer("csv.v1")
class CsvImporter:
    name = "csv"
    description = "generic CSV: one row per message (or one row per conversation with a transcript column)"

    # ------------------------------------------------------------------ sniff

    def sniff(self, path: Path, head: bytes) -> float:
        text = _decode_for_sniff(head)
        if text is None:
            return 0.0
        text = text.lstrip()
        if not text or text[0] in "{[<":
            return 0.0
        delimiter = sample_delimiter(text)
        if text[:5].lower() in _SEP_LINES:
            text = text.split("\n", 1)[1] if "\n" in text else ""
        try:
            headers = next(csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter))
        except (csv.Error, StopIteration):
            return 0.0
        if len(headers) < 2:
            return 0.0
        keys = {header_key(h) for h in headers}
        if "tweet_id" in keys or "in_response_to_tweet_id" in keys or "response_tweet_id" in keys:
            return 0.05  # TWCS and its relatives: the twcs importers own those
        index = match_columns(headers, {}, path)
        if "conversation_id" in index and ("transcript" in index or {"role", "text"} <= index.keys()):
            return 0.9
        if "conversation_id" in index and "text" in index:
            return 0.35  # ours, with the role column named in a way we do not know
        return 0.1 if len(index) >= 2 else 0.02

    # ------------------------------------------------------------------ read

    def read(self, path: Path, options: ImportOptions) -> Iterator[Item]:
        self._check_options(path, options)
        head = read_head(path)
        if not head.strip():
            raise ImportFileError(str(path), "the file is empty")
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(str(path), "not a CSV text file (it contains NUL bytes: binary data?)")
        encoding = csv_encoding(path, head)
        delimiter = sample_delimiter(head.decode(encoding, "replace"))
        try:
            layout, split = self._scan(path, encoding, delimiter, options)
        except _DecodeFailed:
            if encoding not in ("utf-8", "ascii") or not head.isascii():
                raise self._decode_error(path, encoding) from None
            encoding = "cp1252"  # ASCII head, Excel's Windows-1252 further on
            try:
                layout, split = self._scan(path, encoding, delimiter, options)
            except _DecodeFailed:
                raise self._decode_error(path, encoding) from None
        try:
            yield from self._build_all(path, encoding, delimiter, layout, split, options)
        except _DecodeFailed:
            raise self._decode_error(path, encoding) from None

    @staticmethod
    def _check_options(path: Path, options: ImportOptions) -> None:
        if options.unknown_role not in ("error", "customer", "skip"):
            raise ImportFileError(
                str(path), f"unknown_role must be error, customer or skip, not {options.unknown_role!r}"
            )
        try:
            ZoneInfo(options.tz)
        except Exception:  # noqa: BLE001  (ZoneInfoNotFoundError, ValueError for odd keys)
            raise ImportFileError(
                str(path), f"unknown time zone {options.tz!r} (use an IANA name such as Europe/Amsterdam)"
            ) from None

    @staticmethod
    def _decode_error(path: Path, encoding: str) -> ImportFileError:
        line = _bad_byte_line(path, encoding)
        return ImportFileError(
            f"{path}:{line}", f"bytes that are not valid {encoding} text; save the file as UTF-8 and retry"
        )

    def _header(self, path: Path, records: Iterator[_Record], options: ImportOptions) -> Layout:
        for rec in records:
            if rec.fields is not None and _blank(rec.fields):
                continue
            if rec.error or rec.fields is None:
                raise ImportFileError(f"{path}:{rec.line}", f"the header row is not readable: {rec.error}")
            return resolve_columns([h.strip() for h in rec.fields], dict(options.column_map), path)
        raise ImportFileError(str(path), "the file has no header row")

    def _scan(self, path: Path, encoding: str, delimiter: str, options: ImportOptions) -> tuple[Layout, dict[str, str]]:
        """First pass: the layout, and for each conversation id that is not contiguous, the reason."""
        records = _records(path, encoding, delimiter)
        layout = self._header(path, records, options)
        ended: dict[str, int] = {}
        split: dict[str, str] = {}
        current, last_line = None, 0
        for rec in records:
            cid = layout.get(rec.fields or [], "conversation_id").strip()
            if not cid:
                continue
            if cid != current or layout.wide:
                if current is not None:
                    ended[current] = last_line
                if cid in ended and cid not in split:
                    column = layout.headers[layout.index["conversation_id"]]
                    split[cid] = (
                        f"conversation {cid!r} is on two rows (lines {ended[cid]} and {rec.line}); a transcript "
                        "file has one row per conversation"
                        if layout.wide
                        else f"conversation {cid!r} already ended at line {ended[cid]} and appears again at line "
                        f"{rec.line}; its rows must be together: sort the file by {column}"
                    )
                current = cid
            last_line = rec.line
        return layout, split

    def _build_all(
        self,
        path: Path,
        encoding: str,
        delimiter: str,
        layout: Layout,
        split: dict[str, str],
        options: ImportOptions,
    ) -> Iterator[Item]:
        records = _records(path, encoding, delimiter)
        self._header(path, records, options)
        cid_label = layout.label("conversation_id")
        group: _Group | None = None
        announced: set[str] = set()
        for rec in records:
            fields = rec.fields
            if fields is not None and _blank(fields) and not rec.error:
                continue
            cid = layout.get(fields or [], "conversation_id").strip()
            if not cid:
                reason = rec.error or f"column {cid_label} is empty"
                if group is not None and not layout.wide:
                    if not group.skip:
                        group.fail(rec.line, f"{reason} (a row without an id, taken as part of {group.cid!r})")
                else:
                    yield Rejected(f"{path}:{rec.line}", reason)
                continue
            if group is None or cid != group.cid or layout.wide:
                if group is not None:
                    yield from self._finish(path, group, layout, options)
                group = _Group(cid=cid, line=rec.line)
                if cid in split:
                    group.skip = True
                    if cid not in announced:
                        announced.add(cid)
                        yield Rejected(f"{path}:{rec.line}", split[cid])
            if group.skip or group.error:
                continue
            if rec.error or fields is None:
                group.fail(rec.line, rec.error or "malformed CSV")
                continue
            try:
                if layout.wide:
                    self._add_transcript(group, rec, fields, layout, options)
                else:
                    self._add_row(group, rec, fields, layout, options)
            except _BadValue as exc:
                group.fail(rec.line, str(exc))
        if group is not None:
            yield from self._finish(path, group, layout, options)

    # ------------------------------------------------------------------ rows

    def _add_conversation_values(
        self, group: _Group, fields: list[str], layout: Layout, options: ImportOptions
    ) -> None:
        """Conversation-level columns: the first non-empty value wins."""
        conv = group.conv
        for name in _CONVERSATION_TEXT_COLUMNS:
            if name not in conv and name in layout.index:
                value = layout.get(fields, name).strip()
                if value:
                    conv[name] = value
        if "tags" not in conv and "tags" in layout.index:
            tags = _tags(layout.get(fields, "tags"))
            if tags:
                conv["tags"] = tags
        for name, key in (("conversation_created_at", "created_at"), ("conversation_closed_at", "closed_at")):
            if key not in conv and name in layout.index:
                value = _timestamp(layout.get(fields, name), layout.label(name), options.tz)
                if value is not None:
                    conv[key] = value
        if "csat_score" not in conv and "csat_score" in layout.index:
            score, scale = _score(layout.get(fields, "csat_score"), layout.label("csat_score"))
            if score is not None:
                conv["csat_score"] = score
                if scale:
                    conv.setdefault("csat_implied_scale", scale)

    def _add_row(self, group: _Group, rec: _Record, fields: list[str], layout: Layout, options: ImportOptions) -> None:
        _check_width(fields, layout)
        self._add_conversation_values(group, fields, layout, options)
        raw_role = layout.get(fields, "role").strip()
        role = _role(raw_role)
        if role is None:
            if options.unknown_role == "skip":
                return
            if options.unknown_role != "customer":
                what = f"unknown role {raw_role!r}" if raw_role else "empty role"
                raise _BadValue(
                    f"column {layout.label('role')}: {what}; valid: customer, agent, bot, system (or a usual "
                    "synonym such as user, admin, teammate); or import with unknown_role customer|skip"
                )
            role = Role.customer
        is_internal = False
        if "is_internal" in layout.index:
            is_internal = _bool(layout.get(fields, "is_internal"), layout.label("is_internal"))
        elif "is_public" in layout.index and layout.get(fields, "is_public").strip():
            is_internal = not _bool(layout.get(fields, "is_public"), layout.label("is_public"))
        kind = re.sub(r"[\s\-]+", "_", layout.get(fields, "message_type").strip().lower())
        if kind in _NOTE_TYPES:
            is_internal = True
        elif kind in _EVENT_TYPES:
            role = Role.system
        is_automated = False
        if "is_automated" in layout.index:
            is_automated = _bool(layout.get(fields, "is_automated"), layout.label("is_automated"))
        sent_at = None
        if "timestamp" in layout.index:
            sent_at = _timestamp(layout.get(fields, "timestamp"), layout.label("timestamp"), options.tz)
        raw = layout.get(fields, "text")
        text = _clean(raw)
        if role is Role.system and not text:
            return  # an event without text: nothing to keep
        message_id = layout.get(fields, "message_id").strip() or str(rec.row)
        group.messages.append(
            {
                "id": message_id,
                "role": role.value,
                "author": layout.get(fields, "author_id").strip() or None,
                "author_name": layout.get(fields, "author_name").strip() or None,
                "sent_at": sent_at,
                "text": text,
                "raw_text": raw,
                "is_internal": is_internal,
                "is_automated": is_automated,
                "language": layout.get(fields, "language").strip() or None,
            }
        )
        group.lines.append(rec.line)

    def _add_transcript(
        self, group: _Group, rec: _Record, fields: list[str], layout: Layout, options: ImportOptions
    ) -> None:
        _check_width(fields, layout)
        self._add_conversation_values(group, fields, layout, options)
        if "created_at" not in group.conv and "timestamp" in layout.index:
            value = _timestamp(layout.get(fields, "timestamp"), layout.label("timestamp"), options.tz)
            if value is not None:
                group.conv["created_at"] = value
        label = layout.label("transcript")
        turns = split_transcript(layout.get(fields, "transcript"), label)
        for n, (role, name, raw) in enumerate(turns, start=1):
            text = _clean(raw)
            if role is Role.system and not text:
                continue
            group.messages.append(
                {"id": str(n), "role": role.value, "author_name": name, "text": text, "raw_text": raw}
            )
            group.lines.append(rec.line)

    # ------------------------------------------------------------------ build

    def _finish(self, path: Path, group: _Group, layout: Layout, options: ImportOptions) -> Iterator[Item]:
        if group.skip:
            return
        if group.error is not None:
            line, reason = group.error
            yield Rejected(f"{path}:{line}", f"{reason}; all of conversation {group.cid!r} is rejected")
            return
        location = f"{path}:{group.line}"
        if not group.messages:
            yield Rejected(location, f"conversation {group.cid!r} has no messages (only events without text?)")
            return
        seen: dict[str, int] = {}
        for msg, line in zip(group.messages, group.lines, strict=True):
            if msg["id"] in seen:
                yield Rejected(
                    f"{path}:{line}",
                    f"message id {msg['id']!r} occurs twice (lines {seen[msg['id']]} and {line}); "
                    f"all of conversation {group.cid!r} is rejected",
                )
                return
            seen[msg["id"]] = line
        messages = group.messages
        if all(m.get("sent_at") is not None for m in messages):
            messages = sorted(messages, key=lambda m: m["sent_at"])  # stable: file order breaks ties
        conv = group.conv
        customer = {"id": conv.get("customer_id"), "name": conv.get("customer_name")}
        if customer["id"] is None and customer["name"] is None:
            first = next((m for m in messages if m["role"] == Role.customer.value), None)
            if first is not None:
                customer = {"id": first.get("author"), "name": first.get("author_name")}
        assignee = None
        if conv.get("assignee_id") or conv.get("assignee_name"):
            assignee = {"id": conv.get("assignee_id"), "name": conv.get("assignee_name")}
        satisfaction = None
        if "csat_score" in conv or "csat_comment" in conv:
            satisfaction = {
                "score": conv.get("csat_score"),
                "scale": conv.get("csat_scale") or conv.get("csat_implied_scale"),
                "comment": conv.get("csat_comment"),
            }
        record: dict[str, Any] = {
            "id": group.cid,
            "source": options.source or conv.get("source") or self.name,
            "channel": conv.get("channel"),
            "subject": conv.get("subject"),
            "status": conv.get("status"),
            "created_at": conv.get("created_at"),
            "closed_at": conv.get("closed_at"),
            "tags": conv.get("tags", []),
            "customer": customer,
            "assignee": assignee,
            "team": conv.get("team"),
            "satisfaction": satisfaction,
            "language": conv.get("language"),
            "messages": messages,
        }
        yield build_conversation(record, location)


# --------------------------------------------------------------------------- transcripts

_TURN = re.compile(
    r"^\s*(?:[\[(](?P<time>[0-9][0-9:./T -]{2,24}(?:\s?[AaPp][Mm])?)[\])]\s*)?"
    r"(?P<who>[^\W\d][\w .'&-]{0,40}?)\s*(?:\((?P<paren>[^()]{1,80})\))?\s*:(?:\s|$)(?P<text>.*)$"
)


def split_transcript(transcript: str, label: str = "'transcript'") -> list[tuple[Role, str | None, str]]:
    """``Customer: ...`` / ``Agent (Sam): ...`` / ``[10:02] Bot: ...`` lines -> (role, name, text) turns.

    A line that does not start with a known role continues the turn before it. Times of day in the
    lines are dropped (they carry no date)."""
    turns: list[tuple[Role, str | None, list[str]]] = []
    for lineno, line in enumerate(transcript.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        m = _TURN.match(line)
        role = name = None
        if m:
            who, paren = m.group("who").strip(), (m.group("paren") or "").strip()
            role, name = _role(who), paren or None
            if role is None and paren and _role(paren) is not None:  # "Sam (Agent): ..."
                role, name = _role(paren), who
        if role is not None and m:
            turns.append((role, name, [m.group("text").strip()]))
        elif turns:
            turns[-1][2].append(line)
        elif line.strip():
            raise _BadValue(
                f"column {label}: line {lineno} of the transcript does not start with a role "
                f"(expected e.g. 'Customer: ...' or 'Agent (Sam): ...'): {line.strip()[:60]!r}"
            )
    if not turns:
        raise _BadValue(f"column {label}: the transcript is empty")
    return [(role, name, "\n".join(parts).strip()) for role, name, parts in turns]
