"""Language of messages, detected with lingua (its models ship in the wheel: nothing is downloaded).

Detection is restricted to the languages the toolkit has lexicons for plus a few neighbours, which makes
it faster and more accurate on short support messages. Very short texts ("ok thanks") are too short to
tell; they take their conversation's language.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

SUPPORTED = ("en", "nl", "de", "fr", "es", "it", "pt")
MIN_LETTERS = 12
_MAX_CHARS = 400
_LETTERS = re.compile(r"[^\W\d_]")
_NOISE = re.compile(r"(@\w+|https?://\S+|__\w+__|#\w+)")


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def _prepare(text: str) -> str | None:
    text = _NOISE.sub(" ", text or "")[:_MAX_CHARS]
    return text if len(_LETTERS.findall(text)) >= MIN_LETTERS else None


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code per text (None when too short or undecided), detected in parallel."""
    prepared = [_prepare(t) for t in texts]
    todo = [p for p in prepared if p is not None]
    if not todo:
        return [None] * len(texts)
    found = _detector().detect_languages_in_parallel_of(todo)
    it = iter(found)
    out: list[str | None] = []
    for p in prepared:
        if p is None:
            out.append(None)
        else:
            lang = next(it)
            out.append(lang.iso_code_639_1.name.lower() if lang is not None else None)
    return out


def fill_languages(convs: Sequence[ConversationIn]) -> None:
    """Set ``language`` on messages (and conversations) that lack it, in place, in one batch.

    A message too short to tell takes the conversation's language: the most common language of its
    customer messages, else of all its messages."""
    pending = [(c, m) for c in convs for m in c.messages if m.language is None and m.text]
    if pending:
        for (_, msg), lang in zip(pending, detect_languages([m.text for _, m in pending]), strict=True):
            msg.language = lang
    for conv in convs:
        if conv.language is None:
            counts = Counter(m.language for m in conv.messages if m.language and m.role is Role.customer)
            if not counts:
                counts = Counter(m.language for m in conv.messages if m.language)
            conv.language = counts.most_common(1)[0][0] if counts else None
        for msg in conv.messages:
            if msg.language is None:
                msg.language = conv.language
