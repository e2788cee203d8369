"""Coaching set exports (pure): a set's items in context as a Markdown handout, CSV and JSONL, with
personal data masked by default (qa_toolkit.pii).

``build_set`` turns what the store holds (db.results.coaching_set_contents, or anything shaped like it)
into a :class:`CoachingSetExport`: each item is a reply in its context (the messages before it and the
customer's answer after it) or a whole conversation, with its labels, note, who added it and when.
``masked`` returns a copy with every message, note, subject and name masked; the writers never mask by
themselves, so what is exported is exactly what was shown.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from qa_toolkit.pii import NAME, mask_text
from qa_toolkit.trends import csv_safe

LABEL_NAMES = ("tone", "personalisation", "apology", "resolution")
CONTEXT_BEFORE = 3
"""Messages shown before a reply (internal notes and automated messages not counted)."""

KIND_REPLY = "reply"
KIND_CONVERSATION = "conversation"


@dataclass(frozen=True)
class ExportMessage:
    external_id: str
    role: str  # customer, agent, bot, system
    author: str | None
    sent_at: datetime | None
    text: str
    is_internal: bool = False
    is_automated: bool = False
    focus: bool = False  # the reply the item is about

    @property
    def speaker(self) -> str:
        kind = "Agent" if self.role == "agent" else self.role.capitalize()
        if self.is_internal:
            kind += " (internal note)"
        elif self.is_automated:
            kind += " (automatic)"
        return kind


@dataclass(frozen=True)
class ExportItem:
    item_id: int
    kind: str  # reply or conversation
    conversation_id: int
    conversation: str  # source/external id
    channel: str | None
    team: str | None
    agent: str | None
    created_at: datetime | None
    subject: str | None
    reply_id: str | None
    messages: tuple[ExportMessage, ...]
    labels: Mapping[str, str] = field(default_factory=dict)  # the model's labels of the reply
    confidences: Mapping[str, float] = field(default_factory=dict)
    reviewed_labels: Mapping[str, str] = field(default_factory=dict)  # a reviewer's, where given
    note: str = ""
    added_by: str | None = None
    added_at: datetime | None = None
    names: tuple[str, ...] = ()  # people named in the conversation (masked in exports)

    @property
    def reply(self) -> ExportMessage | None:
        return next((m for m in self.messages if m.focus), None)


@dataclass(frozen=True)
class CoachingSetExport:
    set_id: int
    name: str
    description: str | None
    items: tuple[ExportItem, ...]
    masked: bool = False


# --------------------------------------------------------------------------- from the store


def _names_of(conv: Mapping[str, Any], messages: Sequence[Any]) -> tuple[str, ...]:
    names = [conv.get("customer_name"), conv.get("assignee_name")]
    names += [m.author_name for m in messages]
    return tuple(sorted({str(n).strip() for n in names if n and str(n).strip()}))


def _context(messages: Sequence[Any], reply_id: str | None, *, before: int) -> list[Any]:
    """The reply with up to ``before`` public messages before it (and notes among them), and the next
    public message; the whole thread when ``reply_id`` is None or not found."""
    idx = next((i for i, m in enumerate(messages) if m.external_id == reply_id), None)
    if idx is None:
        return list(messages)
    start, public = idx, 0
    while start > 0 and public < before:
        start -= 1
        if not messages[start].is_internal and not messages[start].is_automated:
            public += 1
    end = idx + 1
    while end < len(messages) and (messages[end].is_internal or messages[end].is_automated):
        end += 1
    return list(messages[start : min(end + 1, len(messages))])


def build_set(contents: Any, *, before: int = CONTEXT_BEFORE) -> CoachingSetExport:
    """A coaching set export from what the store holds (see db.results.CoachingContents), unmasked."""
    items = []
    for item in contents.items:
        cid = item["conversation_id"]
        conv = contents.conversations.get(cid, {})
        messages = contents.messages.get(cid, [])
        reply_id = item.get("message_external_id")
        shown = _context(messages, reply_id, before=before)
        found = reply_id is not None and any(m.external_id == reply_id for m in shown)
        labels = contents.labels.get((cid, reply_id), {}) if found else {}
        items.append(
            ExportItem(
                item_id=item["id"],
                kind=KIND_REPLY if found else KIND_CONVERSATION,
                conversation_id=cid,
                conversation=f"{conv.get('source', '?')}/{conv.get('external_id', cid)}",
                channel=conv.get("channel"),
                team=conv.get("team"),
                agent=conv.get("assignee_name") or conv.get("assignee_id"),
                created_at=conv.get("created_at"),
                subject=conv.get("subject"),
                reply_id=reply_id if found else None,
                messages=tuple(
                    ExportMessage(
                        external_id=m.external_id,
                        role=str(m.role),
                        author=m.author_name or m.author_id,
                        sent_at=m.sent_at,
                        text=m.text,
                        is_internal=bool(m.is_internal),
                        is_automated=bool(m.is_automated),
                        focus=found and m.external_id == reply_id,
                    )
                    for m in shown
                ),
                labels={n: labels[n].label for n in LABEL_NAMES if n in labels},
                confidences={n: float(labels[n].confidence) for n in LABEL_NAMES if n in labels},
                reviewed_labels=dict(contents.reviewed_labels.get((cid, reply_id), {})) if found else {},
                note=item.get("note") or "",
                added_by=item.get("added_by"),
                added_at=item.get("added_at"),
                names=_names_of(conv, messages),
            )
        )
    return CoachingSetExport(
        set_id=contents.set["id"],
        name=contents.set["name"],
        description=contents.set.get("description"),
        items=tuple(items),
    )


# --------------------------------------------------------------------------- masking


def mask_item(item: ExportItem) -> ExportItem:
    """The item with its messages, note and subject masked, and people's names replaced by [NAME]."""
    names = item.names

    def m(text: str | None) -> str | None:
        return None if text is None else mask_text(text, names=names)

    return replace(
        item,
        agent=NAME if item.agent else item.agent,
        subject=m(item.subject),
        note=m(item.note) or "",
        messages=tuple(
            replace(msg, text=m(msg.text) or "", author=NAME if msg.author else msg.author) for msg in item.messages
        ),
    )


def masked(export: CoachingSetExport) -> CoachingSetExport:
    """A copy with personal data masked (idempotent)."""
    if export.masked:
        return export
    return replace(
        export,
        items=tuple(mask_item(i) for i in export.items),
        description=mask_text(export.description) if export.description else export.description,
        masked=True,
    )


# --------------------------------------------------------------------------- writers


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#!$&])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))", re.MULTILINE)


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: no emphasis, links, HTML, headings or list markers take effect."""
    out = _MD_SPECIAL.sub(r"\\\1", text.replace("\r", ""))
    return _MD_LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), out
    )


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value is not None else "time unknown"


def _label_text(item: ExportItem, name: str) -> str:
    model = item.labels.get(name)
    reviewed = item.reviewed_labels.get(name)
    if model is None and reviewed is None:
        return ""
    if reviewed is not None and reviewed != model:
        return f"{reviewed} (reviewer; model said {model})" if model else f"{reviewed} (reviewer)"
    return f"{model} (confirmed by a reviewer)" if reviewed is not None else str(model)


def to_markdown(export: CoachingSetExport, *, exported_at: datetime | None = None) -> str:
    """A readable handout: the set's name and description, then each item with its note, the messages
    as quotes (the reply marked) and the labels. All text from conversations is escaped."""
    lines = [f"# Coaching set: {md_escape(export.name)}", ""]
    if export.description:
        lines += [md_escape(export.description), ""]
    meta = f"{len(export.items)} item{'s' if len(export.items) != 1 else ''}"
    meta += " · personal data masked" if export.masked else " · NOT masked: for internal use only"
    if exported_at is not None:
        meta += f" · exported {_when(exported_at)}"
    lines += [f"_{meta}_", ""]
    for n, item in enumerate(export.items, start=1):
        what = "A reply" if item.kind == KIND_REPLY else "A conversation"
        lines += ["---", "", f"## {n}. {what}" + (f": {md_escape(item.note)}" if item.note else ""), ""]
        facts = [f"conversation {md_escape(item.conversation)}"]
        facts += [md_escape(v) for v in (item.channel, item.team and f"team {item.team}") if v]
        if item.agent:
            facts.append(f"agent {md_escape(item.agent)}")
        if item.created_at is not None:
            facts.append(_when(item.created_at, "%Y-%m-%d"))
        lines += [" · ".join(facts) + "  ", ""]
        if item.subject:
            lines += [f"Subject: {md_escape(item.subject)}", ""]
        for msg in item.messages:
            head = f"**{md_escape(msg.speaker)}**"
            if msg.author:
                head += f" {md_escape(msg.author)}"
            head += f" · {_when(msg.sent_at, '%H:%M')}"
            if msg.focus:
                head += " · **this reply**"
            body = md_escape(msg.text).split("\n") if msg.text else [""]
            lines += [f"> {head}  ", *[f"> {line}  " for line in body], ""]
        labels = [f"{name} **{md_escape(_label_text(item, name))}**" for name in LABEL_NAMES if _label_text(item, name)]
        if labels:
            lines += ["Labels: " + " · ".join(labels), ""]
        added = f"Added by {md_escape(item.added_by or 'someone')} on {_when(item.added_at, '%Y-%m-%d')}"
        lines += [f"_{added}_", ""]
    return "\n".join(lines).rstrip() + "\n"


CSV_COLUMNS = [
    "set",
    "item",
    "kind",
    "conversation",
    "channel",
    "team",
    "agent",
    "created_at",
    "subject",
    "reply_id",
    "reply_author",
    "reply",
    "context",
    *LABEL_NAMES,
    *(f"reviewed_{n}" for n in LABEL_NAMES),
    "note",
    "added_by",
    "added_at",
]


def _transcript(messages: Iterable[ExportMessage]) -> str:
    return "\n".join(
        f"{m.speaker}{' ' + m.author if m.author else ''} ({_when(m.sent_at)}): {m.text}" for m in messages
    )


def csv_rows(export: CoachingSetExport) -> list[dict[str, Any]]:
    """One row per item (CSV_COLUMNS): for a reply its text and the messages before it as ``context``; for
    a conversation the whole thread as ``context``."""
    rows = []
    for item in export.items:
        reply = item.reply
        context = item.messages[: item.messages.index(reply)] if reply is not None else item.messages
        rows.append(
            {
                "set": export.name,
                "item": item.item_id,
                "kind": item.kind,
                "conversation": item.conversation,
                "channel": item.channel or "",
                "team": item.team or "",
                "agent": item.agent or "",
                "created_at": item.created_at.isoformat() if item.created_at else "",
                "subject": item.subject or "",
                "reply_id": item.reply_id or "",
                "reply_author": (reply.author or "") if reply else "",
                "reply": reply.text if reply else "",
                "context": _transcript(context),
                **{n: item.labels.get(n, "") for n in LABEL_NAMES},
                **{f"reviewed_{n}": item.reviewed_labels.get(n, "") for n in LABEL_NAMES},
                "note": item.note,
                "added_by": item.added_by or "",
                "added_at": item.added_at.isoformat() if item.added_at else "",
            }
        )
    return rows


def to_csv(export: CoachingSetExport) -> str:
    """The set as CSV (one row per item; text cells guarded against spreadsheet formulas)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(export):
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buf.getvalue()


def item_record(export: CoachingSetExport, item: ExportItem) -> dict[str, Any]:
    """One item as a JSON-ready dict (the JSONL line)."""
    return {
        "set": export.name,
        "masked": export.masked,
        "item": item.item_id,
        "kind": item.kind,
        "conversation": {
            "id": item.conversation,
            "channel": item.channel,
            "team": item.team,
            "agent": item.agent,
            "created_at": item.created_at.isoformat() if item.created_at else None,
            "subject": item.subject,
        },
        "reply_id": item.reply_id,
        "labels": dict(item.labels),
        "confidences": dict(item.confidences),
        "reviewed_labels": dict(item.reviewed_labels),
        "note": item.note,
        "added_by": item.added_by,
        "added_at": item.added_at.isoformat() if item.added_at else None,
        "messages": [
            {
                "id": m.external_id,
                "role": m.role,
                "author": m.author,
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "text": m.text,
                "internal": m.is_internal,
                "automated": m.is_automated,
                "focus": m.focus,
            }
            for m in item.messages
        ],
    }


def to_jsonl(export: CoachingSetExport) -> str:
    """The set as JSON lines, one item a line."""
    return "".join(orjson.dumps(item_record(export, i)).decode() + "\n" for i in export.items)


def file_stem(name: str) -> str:
    """A safe file name for a set's exports."""
    stem = re.sub(r"[^\w-]+", "-", name.strip(), flags=re.ASCII).strip("-").lower()
    return f"coaching-{stem or 'set'}"
