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
_NOISE = re.compile(r"(@\w+|https?://\S+|__\w+__|#\w+)")


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def _prepare(text: str) -> str | None:
    text = (
        _NOISE.sub(" ", text or "")[:_MAX_CHARS]
        if ("@" in text or "http" in text or "_" in text or "#" in text)
        else (text or "")[:_MAX_CHARS]
    )
    return text if len(text) >= MIN_LETTERS and sum(map(str.isalpha, text)) >= MIN_LETTERS else None


# Function words that are frequent in English support messages and rare in the other supported languages,
# and distinctive function words of those languages. Text with several of the first and none of the second
# is English without asking the detector: on 21,700 real support-thread samples this decided 78% of them
# and agreed with lingua on 99.6%; every disagreement read was English that lingua got wrong.
_EN_WORDS = frozenset(
    "the to and you your for is of my it we i in on this that have be with not are was our can please will me "
    "us what do at just get how they so about from an thanks thank if would like know all any help".split()
)
_OTHER_WORDS = frozenset(
    "de het een ik je niet dat wat voor met zijn maar ook jullie mijn bij naar der die das und ich nicht ist ein "
    "eine mit sie wir es zu auf le la les et pas est une pour vous avec des du qui el los las que por para con "
    "una lo se su gracias hola il di che non per sono della um uma não obrigado você eu".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def _clearly_english(text: str) -> bool:
    words = _WORD.findall(text.lower())
    if len(words) < 4:
        return False
    english = sum(w in _EN_WORDS for w in words)
    return english >= 3 and english >= 0.25 * len(words) and not any(w in _OTHER_WORDS for w in words)


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """ISO 639-1 code per text (None when too short or undecided). Clearly English text is recognised
    by its function words; the rest goes to lingua (low-accuracy mode: trigrams only), in parallel."""
    prepared = [_prepare(t) for t in texts]
    english = [p is not None and _clearly_english(p) for p in prepared]
    prepared = [None if e else p for p, e in zip(prepared, english, strict=True)]
    todo = [p for p in prepared if p is not None]
    if not todo:
        return ["en" if e else None for e in english]
    found = _detector().detect_languages_in_parallel_of(todo)
    it = iter(found)
    out: list[str | None] = []
    for p, e in zip(prepared, english, strict=True):
        if p is None:
            out.append("en" if e else None)
        else:
            lang = next(it)
            out.append(lang.iso_code_639_1.name.lower() if lang is not None else None)
    return out


def fill_languages(convs: Sequence[ConversationIn]) -> None:
    """Set ``language`` on conversations and messages that lack it, in place, in one batch.

    Import-time detection runs once per conversation, on a sample of the customer's text (else of the
    whole thread): a thread's sample is far more reliable than a two-word message and costs one
    detection instead of ten. Messages without a language take the conversation's; both stay None when
    the sample is too short to tell or in none of the ``SUPPORTED`` languages (scoring then reports the
    language as unknown and reads the reply as English)."""
    todo = [c for c in convs if c.language is None or any(m.language is None for m in c.messages)]
    need = [c for c in todo if c.language is None]
    given: dict[int, str] = {}
    for conv in need:
        counts = Counter(m.language for m in conv.messages if m.language and m.role is Role.customer)
        if counts:
            given[id(conv)] = counts.most_common(1)[0][0]
    samples = [c for c in need if id(c) not in given]
    for conv, lang in zip(samples, detect_languages([_sample(c) for c in samples]), strict=True):
        conv.language = lang
    for conv in todo:
        if conv.language is None:
            conv.language = given.get(id(conv))
        for msg in conv.messages:
            if msg.language is None:
                msg.language = conv.language


def _sample(conv: ConversationIn, limit: int = 160) -> str:
    """Up to ``limit`` characters of the customer's text (all text when the customer wrote too little)."""
    for roles in ((Role.customer,), (Role.customer, Role.agent, Role.bot, Role.system)):
        parts: list[str] = []
        size = 0
        for msg in conv.messages:
            if msg.role in roles and msg.text:
                text = _NOISE.sub(" ", msg.text) if ("@" in msg.text or "http" in msg.text) else msg.text
                parts.append(text)
                size += len(text)
                if size >= limit:
                    break
        if size >= MIN_LETTERS or roles[-1] is Role.system:
            return " ".join(parts)[:limit]
    return ""
