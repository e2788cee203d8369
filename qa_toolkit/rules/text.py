"""Text evidence for the thread rules: lexicon phrases and patterns found in one message, cached per thread.

Two data files are read: the reply lexicons (``lexicons/<lang>.json``: apology, cold wording, channel
moves ...) and the rules' own (``lexicons/rules_<lang>.json``: blame, escalation, confirmation, unhappy
wording, the kinds of information an agent asks for and the patterns of a customer giving them, and the
specifics a customer gives). A language without a rules file gets no rule phrases: the rules that need
them abstain rather than read English phrases into another language.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spacy.matcher import PhraseMatcher

from qa_toolkit.nlp import LEXICON_LANGUAGES, get_matcher, get_nlp, scratch_docs
from qa_toolkit.normalise import SIGN_OFF_TAIL
from qa_toolkit.rules.base import RuleContext
from qa_toolkit.schema import ConversationIn, MessageIn

_NEGATORS = frozenset({"not", "n't", "no", "never", "nothing", "still", "hardly", "nt", "dont", "didnt", "isnt"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_HANDLE = re.compile(r"(?<![\w.])@\w+|__cust__|__company__")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SIGN_OFF = SIGN_OFF_TAIL  # the sign-off as the models and the template miner read it
_WORD = re.compile(r"[A-Za-z0-9']+")
BLAME_CATEGORIES = ("blame", "cold_blame")  # the rules' blame phrases and the reply lexicon's cold_blame


@dataclass(frozen=True)
class Hit:
    """One phrase or pattern found in a message."""

    category: str
    text: str
    start: int
    end: int
    negated: bool = False


@dataclass
class MessageHits:
    """Every lexicon hit of one message, by category."""

    by_category: dict[str, list[Hit]] = field(default_factory=dict)
    words: int = 0
    text: str = ""  # the cleaned text the offsets refer to

    def sentence(self, hit: Hit) -> str:
        """The sentence (or line) around a hit, with its closing punctuation."""
        start = max(self.text.rfind(c, 0, hit.start) for c in ".!?\n") + 1
        ends = [i for i in (self.text.find(c, hit.end) for c in ".!?\n") if i >= 0]
        end = min(ends) + 1 if ends else len(self.text)
        return self.text[start:end]

    def get(self, category: str, *, negated: bool | None = False) -> list[Hit]:
        hits = self.by_category.get(category, [])
        if negated is None:
            return hits
        return [h for h in hits if h.negated is negated]

    def has(self, category: str) -> bool:
        return bool(self.get(category))

    def quotes(self, *categories: str) -> list[str]:
        out: list[str] = []
        for category in categories:
            for hit in self.get(category):
                if hit.text not in out:
                    out.append(hit.text)
        return out


def clean_text(text: str) -> str:
    """Message text for matching: typographic quotes straightened, handles, URLs and sign-off initials
    removed, whitespace collapsed."""
    text = text.translate(_APOSTROPHES)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _SIGN_OFF.sub(" ", text.rstrip())
    return " ".join(text.split())


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


class RuleLexicon:
    """The phrases (PhraseMatcher, lowercase, token boundaries) and patterns of ``rules_<lang>.json``."""

    def __init__(self, lang: str, data: dict) -> None:
        self.lang = lang
        self.nlp = get_nlp(lang)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        phrases: dict[str, list[str]] = {k: list(v) for k, v in data.get("phrases", {}).items()}
        patterns: dict[str, list[str]] = {k: list(v) for k, v in data.get("patterns", {}).items()}
        self.info_kinds: list[str] = []
        for kind, spec in data.get("info_kinds", {}).items():
            self.info_kinds.append(kind)
            phrases[f"info_request:{kind}"] = list(spec.get("request", []))
            phrases[f"info_given:{kind}"] = list(spec.get("given", []))
            patterns[f"info_given:{kind}"] = list(spec.get("given_patterns", []))
        for category, items in phrases.items():
            if items:
                self.matcher.add(category, list(self.nlp.tokenizer.pipe([p.lower() for p in items])))
        self.patterns = {
            category: [re.compile(p, re.IGNORECASE) for p in items] for category, items in patterns.items() if items
        }
        not_blame = data.get("not_blame_after", {})
        self.not_blame_phrases = frozenset(" ".join(p.lower().split()) for p in not_blame.get("phrases", []))
        self.not_blame_next = re.compile(not_blame["next"], re.IGNORECASE) if not_blame.get("next") else None

    def is_blame(self, hit: Hit, text: str) -> bool:
        """Whether a blame hit (``blame``, ``cold_blame``) in ``text`` blames: not when it is one of the
        ``not_blame_after`` phrases and the words after it inform or reassure ("you should have it by
        Wednesday", "you shouldn't have to pay")."""
        if self.not_blame_next is None or " ".join(hit.text.lower().split()) not in self.not_blame_phrases:
            return True
        return self.not_blame_next.match(text, hit.end) is None

    def find(self, text: str) -> list[Hit]:
        low = text.lower()
        doc = scratch_docs(self.nlp.lang).make_doc(low)  # the matcher reads hashes: the same in any pipeline
        hits: list[Hit] = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            before = {t.text for t in doc[max(0, start - 3) : start]}
            hits.append(
                Hit(
                    self.nlp.vocab.strings[match_id],
                    text[span.start_char : span.end_char],
                    span.start_char,
                    span.end_char,
                    negated=bool(before & _NEGATORS),
                )
            )
        for category, regexes in self.patterns.items():  # case-insensitive; (?-i:...) where case matters
            for regex in regexes:
                for m in regex.finditer(text):
                    hits.append(Hit(category, m.group(0).strip(), m.start(), m.end()))
        return hits


@lru_cache(maxsize=8)
def get_rule_lexicon(lang: str) -> RuleLexicon | None:
    """The rules' lexicon for ``lang`` (None when the language has no ``rules_<lang>.json``)."""
    try:
        raw = (resources.files("qa_toolkit") / "lexicons" / f"rules_{lang}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    return RuleLexicon(lang, json.loads(raw))


def message_language(msg: MessageIn, conv: ConversationIn) -> str:
    lang = (msg.language or conv.language or "en").lower()
    return lang.split("-")[0].split("_")[0]


def analyse(text: str, lang: str) -> MessageHits:
    """Every reply-lexicon and rules-lexicon hit in ``text``."""
    clean = clean_text(text)
    by_category: dict[str, list[Hit]] = defaultdict(list)
    base = get_matcher(lang if lang in LEXICON_LANGUAGES else "en")
    if lang in LEXICON_LANGUAGES or lang == "en":
        for hit in base.find(clean.lower()):
            by_category[hit.category].append(Hit(hit.category, clean[hit.start : hit.end], hit.start, hit.end))
    rules = get_rule_lexicon(lang)
    if rules is not None:
        for hit in rules.find(clean):
            by_category[hit.category].append(hit)
        for category in BLAME_CATEGORIES:
            if category in by_category:
                by_category[category] = [h for h in by_category[category] if rules.is_blame(h, clean)]
    return MessageHits(dict(by_category), word_count(clean), clean)


def hits(ctx: RuleContext, msg: MessageIn) -> MessageHits:
    """``analyse`` of one message of the thread, computed once per thread and shared by every rule."""
    cache: dict[str, MessageHits] = ctx.cache.setdefault("hits", {})
    found = cache.get(msg.id)
    if found is None:
        found = analyse(msg.text, message_language(msg, ctx.conv))
        cache[msg.id] = found
    return found


def has_rule_lexicon(ctx: RuleContext, msg: MessageIn) -> bool:
    return get_rule_lexicon(message_language(msg, ctx.conv)) is not None


def quote(text: str, limit: int = 80) -> str:
    """A short quote of ``text`` for a reason or evidence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
