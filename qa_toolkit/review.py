"""Pure review logic for the app: the thread as rows, message text as safe HTML with evidence highlighted,
and the reviewed score from a reviewer's labels and category verdicts (no database, no Streamlit)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qa_toolkit.metrics import ThreadMetrics
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult
from qa_toolkit.scorecard import REPLY_LABELS, Scorecard, ScoreResult, apply_scorecard, combine_categories

LABEL_NAMES = tuple(REPLY_LABELS)

# --------------------------------------------------------------------------- safe text

# Markdown and LaTeX specials as numeric character references: the text then reads the same whether the
# markdown renderer treats it as an HTML block or as markdown.
_SPECIALS = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$:=^"}


def escape_text(text: str) -> str:
    """``text`` as inert HTML: tags, quotes, ``&``, markdown and LaTeX specials as character references,
    newlines as ``<br>``. The result is one line (no blank line can end an HTML block), so it shows as the
    literal text in ``st.markdown(..., unsafe_allow_html=True)`` and in ``st.html`` alike."""
    out = []
    for ch in text:
        if ch in "&<>\"'":
            out.append(html.escape(ch, quote=True))
        elif ch in _SPECIALS:
            out.append(_SPECIALS[ch])
        elif ch == "\n":
            out.append("<br>")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label_name: str
    evidence: str


_APOSTROPHES = "'\u2019\u2018"
_PARTS = re.compile(f"(\\s+|[{_APOSTROPHES}])")  # what evidence_spans matches loosely: whitespace, apostrophes


def _evidence_pattern(word: str) -> str:
    """A regex for evidence ``word``: each run of whitespace matches any run, each apostrophe any apostrophe."""
    out = []
    for part in _PARTS.split(word):
        if not part:
            continue
        if part.isspace():
            out.append(r"\s+")
        elif part in _APOSTROPHES:
            out.append(f"[{_APOSTROPHES}]")
        else:
            out.append(re.escape(part))
    return "".join(out)


def evidence_spans(text: str, evidence: Mapping[str, Iterable[str]]) -> list[Span]:
    """Where each label's evidence words occur in ``text`` (case-insensitive, whole words where the
    evidence starts/ends with a word character, any run of whitespace for a space and any apostrophe for
    one: the classifiers read the text with whitespace collapsed and quotes straightened); overlapping
    matches keep the earlier, longer one."""
    found: list[Span] = []
    lowered = text.casefold()
    same = len(lowered) == len(text)  # else casefold changed lengths (e.g. German ß): match the text itself
    for name, words in evidence.items():
        for word in words:
            word = word.strip()
            if len(word) < 2 and not word.isdigit():  # a single digit is a number the reply names
                continue
            pattern = _evidence_pattern(word.casefold() if same else word)
            if word[0].isalnum():  # whole words: no letter or digit next to them ("_" parts words, as the
                pattern = r"(?<![^\W_])" + pattern  # classifiers read them: "blackwood" of "marek_blackwood")
            if word[-1].isalnum():
                pattern += r"(?![^\W_])"
            matches = re.finditer(pattern, lowered) if same else re.finditer(pattern, text, flags=re.IGNORECASE)
            found.extend(Span(m.start(), m.end(), name, word) for m in matches)
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    kept: list[Span] = []
    for span in found:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def highlight_html(text: str, evidence: Mapping[str, Iterable[str]] | None = None) -> str:
    """``text`` as inert HTML (see :func:`escape_text`) with each label's evidence in a
    ``<mark class="ev-<label>">``; every character of the text is escaped, highlighted or not."""
    spans = evidence_spans(text, evidence or {})
    out, pos = [], 0
    for span in spans:
        out.append(escape_text(text[pos : span.start]))
        out.append(
            f'<mark class="ev ev-{html.escape(span.label_name)}" title="{html.escape(span.label_name)}">'
            f"{escape_text(text[span.start : span.end])}</mark>"
        )
        pos = span.end
    out.append(escape_text(text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- the thread


@dataclass(frozen=True)
class ThreadRow:
    """One message as the conversation view shows it."""

    index: int
    external_id: str
    side: str  # "customer" (left) or "agent" (right: agents, bots, system)
    kind: str  # customer, agent, bot, system, auto-reply, internal note
    author: str | None
    sent_at: datetime | None
    wait_seconds: float | None  # since the previous message with a known time
    text: str


def thread_rows(messages: Sequence[Any]) -> list[ThreadRow]:
    """The messages (anything with role, author_id, author_name, sent_at, text, is_internal, is_automated,
    external_id) as rows: which side, what kind, and the wait since the previous timed message."""
    rows = []
    last: datetime | None = None
    for i, msg in enumerate(messages):
        role = str(msg.role)
        if msg.is_internal:
            kind = "internal note"
        elif msg.is_automated:
            kind = "auto-reply"
        else:
            kind = role
        wait = None
        if msg.sent_at is not None:
            if last is not None and msg.sent_at >= last:
                wait = (msg.sent_at - last).total_seconds()
            last = msg.sent_at
        rows.append(
            ThreadRow(
                index=i,
                external_id=msg.external_id,
                side="customer" if role == "customer" else "agent",
                kind=kind,
                author=msg.author_name or msg.author_id,
                sent_at=msg.sent_at,
                wait_seconds=wait,
                text=msg.text,
            )
        )
    return rows


def format_seconds(value: float | None, *, compact: bool = False) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h`` (compact: ``45s``, ``12m``,
    ``3h05``, ``2d 4h``); ``–`` when unknown."""
    if value is None:
        return "–"
    seconds = int(round(value))
    if seconds < 60:
        return f"{seconds}s" if compact else f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m" if compact else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}" if compact else f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if compact else f"{days} d {hours} h"


# --------------------------------------------------------------------------- the reviewed score

CATEGORY_AS_SCORED = "as scored"
CATEGORY_NA = "N/A"
CATEGORY_CHOICES: dict[str, float | None] = {"fail (0)": 0.0, "partly (50)": 50.0, "pass (100)": 100.0}


def reviewed_replies(replies: Sequence[ReplyResult], verdicts: Mapping[tuple[str, str], str]) -> list[ReplyResult]:
    """The replies with the reviewer's labels (``(message id, label name) -> label``) in place of the
    model's; a reviewer's label gets confidence 1.0 and no evidence."""
    out = []
    for reply in replies:
        changes: dict[str, LabelResult] = {}
        for name in LABEL_NAMES:
            label = verdicts.get((reply.message_id, name))
            if label is not None and label != getattr(reply, name).label:
                changes[name] = LabelResult(label=label, confidence=1.0, evidence=[])
        out.append(reply.model_copy(update=changes) if changes else reply)
    return out


def reviewed_score(
    card: Scorecard,
    *,
    replies: Sequence[ReplyResult],
    flags: Sequence[Flag],
    metrics: ThreadMetrics | None,
    label_verdicts: Mapping[tuple[str, str], str] | None = None,
    category_overrides: Mapping[str, float | None] | None = None,
) -> ScoreResult:
    """The reviewer's score: the scorecard applied to the replies with the reviewer's labels, then each
    category the reviewer set explicitly (``category_overrides``: value, or None for N/A) put in place."""
    corrected = reviewed_replies(replies, label_verdicts or {})
    base = apply_scorecard(card, replies=corrected, flags=flags, metrics=metrics, reviewed=True)
    if not category_overrides:
        return base
    categories = dict(base.categories)
    for name, value in category_overrides.items():
        if name in categories:  # a category the scorecard no longer has is left out
            categories[name] = value
    return combine_categories(card, categories, reviewed=True)


def category_choice(value: float | None, *, overridden: bool) -> str:
    """The category widget's option for a stored verdict (``overridden``: the reviewer set it explicitly)."""
    if not overridden:
        return CATEGORY_AS_SCORED
    if value is None:
        return CATEGORY_NA
    for option, v in CATEGORY_CHOICES.items():
        if v == value:
            return option
    return CATEGORY_AS_SCORED
