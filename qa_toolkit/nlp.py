"""Tokenisation and lexicon matching on blank spaCy pipelines (nothing to download), one per language."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import spacy
from spacy.attrs import IS_SPACE, LOWER, NORM
from spacy.matcher import PhraseMatcher

from qa_toolkit.normalise import SIGN_OFF_TAIL

LEXICON_LANGUAGES = ("en", "nl", "de", "fr")

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+|__cust__|__company__")
PLACEHOLDERS = ("URL", "HANDLE", "SIGNOFF")  # what clean_for_model writes for URLs, handles and sign-offs
# a placeholder in cleaned text; in raw text, the placeholders' own words typed by an agent ("the URL you
# sent"), which clean_for_model lowers so that they are not taken for a placeholder
PLACEHOLDER_WORD = re.compile(rf"\b(?:{'|'.join(PLACEHOLDERS)})\b")
# per language, the modals that a lexicon hit may end in and the negations that, right after one, turn the hit
# into its opposite ("you can" of "you cannot", "u kunt" of "u kunt niet", "Sie können" of "Sie können nicht");
# French negates before the verb ("vous ne pouvez pas"), so a phrase such as "vous pouvez" does not match there
_MODALS = {
    "en": frozenset({"can", "could", "will", "would", "should", "may", "might", "must", "shall"}),
    "nl": frozenset({"kunt", "kan", "kunnen", "kon", "konden", "zult", "zal", "zullen", "wilt", "wil", "willen",
                     "moet", "moeten", "mag", "mogen"}),
    "de": frozenset({"kann", "können", "konnte", "konnten", "könnte", "könnten", "wird", "werden", "will",
                     "wollen", "muss", "müssen", "darf", "dürfen", "soll", "sollen"}),
}  # fmt: skip
_NEGATIONS = {"en": frozenset({"not", "n't", "never"}), "nl": frozenset({"niet", "nooit"}),
              "de": frozenset({"nicht", "nie", "niemals"})}  # fmt: skip


_LEXEME_ATTRS = (LOWER, NORM, IS_SPACE)  # the only lexeme attributes the package reads
# the pieces (runs of non-space) a BatchTokenizer remembers: spaCy 3.8 caches 10,000 by default, and splits a
# piece it did not cache by its affix rules again each time it is met (about 40 times the cost of a cached one)
CACHED_PIECES = 500_000


@lru_cache(maxsize=8)
def get_nlp(lang: str = "en") -> spacy.language.Language:
    """A blank spaCy pipeline (tokenizer only) for ``lang``; English for languages spaCy lacks. Its new
    words get only the lexeme attributes the package reads: computing the other nineteen (shape,
    like_url, like_num, ...) for every word not seen before was most of tokenising new text. Token
    boundaries do not depend on them."""
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError, OSError):
        nlp = spacy.blank("en")
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {attr: get for attr, get in getters.items() if attr in _LEXEME_ATTRS}
    return nlp


class BatchTokenizer:
    """Tokenises many texts as one Doc: the texts joined by newlines, which the tokenizer keeps as
    whitespace tokens between them (it splits on whitespace first, so each text gets the tokens it gets
    alone). One Doc is much cheaper than a Doc per text, but spaCy caches no piece of a Doc after one that
    is a special case (e.g. "don't", or the newline), so the pieces not seen before are first tokenised
    alone, which caches them. The tokenizer (shared with the other users of ``get_nlp(lang)``) may cache
    twice ``max_seen`` pieces (spaCy 3.8 caps its cache; 3.7 does not), and its cache is emptied with the
    set of pieces seen, so the cache stays bounded; spaCy's vocabulary still grows with every new word."""

    def __init__(self, lang: str = "en", *, max_seen: int = CACHED_PIECES) -> None:
        self.tokenizer = get_nlp(lang).tokenizer
        self.max_seen = max_seen  # pieces remembered as cached (then forgotten, and cached again if needed)
        if hasattr(self.tokenizer, "max_cache_size"):  # room for the other users' pieces too
            self.tokenizer.max_cache_size = max(self.tokenizer.max_cache_size, 2 * max_seen)
        self._seen: set[str] = set()

    def __call__(self, texts: Sequence[str]) -> spacy.tokens.Doc:
        text = "\n".join(texts)
        pieces = set(text.split())
        new = pieces.difference(self._seen)
        if len(self._seen) + len(new) > self.max_seen:
            self._seen.clear()
            self.tokenizer._flush_cache()  # the pieces of this batch are cached again below
            new = pieces
        for piece in new:
            self.tokenizer(piece)
        self._seen.update(new)
        return self.tokenizer(text)


@lru_cache(maxsize=8)
def get_batch_tokenizer(lang: str = "en") -> BatchTokenizer:
    return BatchTokenizer(lang)


def clean_for_model(text: str) -> str:
    """Reply text as the models see it: URLs, handles and the agent's sign-off initials replaced by
    placeholders (they say nothing about this customer), whitespace collapsed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if not text.isascii():  # a lone surrogate (a broken emoji escape in an export) would break tokenising
        text = text.encode("utf-8", "replace").decode("utf-8")
    if any(word in text for word in PLACEHOLDERS):
        text = PLACEHOLDER_WORD.sub(lambda m: m.group(0).lower(), text)
    text = _URL.sub(" URL ", text)
    text = _HANDLE.sub(" HANDLE ", text)
    text = SIGN_OFF_TAIL.sub(" SIGNOFF", text.rstrip())
    return " ".join(text.split())


@lru_cache(maxsize=8)
def load_lexicon(lang: str) -> dict[str, list[str]]:
    """Category -> phrases for ``lang`` (qa_toolkit/lexicons/<lang>.json); empty when there is none."""
    try:
        data = (resources.files("qa_toolkit") / "lexicons" / f"{lang}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return {k: [p.lower() for p in v] for k, v in json.loads(data).items() if isinstance(v, list)}


@dataclass(frozen=True)
class LexiconHit:
    category: str
    text: str
    start: int  # character offsets in the text
    end: int


class LexiconMatcher:
    """Finds lexicon phrases (case-insensitive, on token boundaries) in texts of one language."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang if lang in LEXICON_LANGUAGES else "en"
        self.nlp = get_nlp(self.lang)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.categories = sorted(load_lexicon(self.lang))
        for category, phrases in load_lexicon(self.lang).items():
            self.matcher.add(category, list(self.nlp.tokenizer.pipe(phrases)))

    def find(self, text: str) -> list[LexiconHit]:
        return self.find_in_doc(self.nlp.make_doc(text))

    def find_in_doc(self, doc: spacy.tokens.Doc) -> list[LexiconHit]:
        """Hits in a Doc made by this language's tokenizer (``get_nlp(lang)``), e.g. one already made for
        the reply's n-grams: the text is tokenised once."""
        hits = []
        for category, start, end in self.find_tokens(doc):
            span = doc[start:end]
            hits.append(LexiconHit(category, span.text, span.start_char, span.end_char))
        return hits

    def find_tokens(self, doc: spacy.tokens.Doc) -> list[tuple[str, int, int]]:
        """(category, start token, end token) of every hit in a Doc made by this language's tokenizer,
        in order, overlapping hits included; no Span is made (cheap on a Doc of a whole batch). A hit ending
        in a modal that the next token negates is dropped: "you can" is no answer in "you cannot" (spaCy
        splits "cannot" into "can" and "not"); likewise in Dutch and German (``_MODALS``)."""
        strings = self.nlp.vocab.strings
        modals, negations = _MODALS.get(self.lang, frozenset()), _NEGATIONS.get(self.lang, frozenset())
        hits = []
        n = len(doc)
        for match_id, start, end in self.matcher(doc):
            if end < n and doc[end].lower_ in negations and doc[end - 1].lower_ in modals:
                continue
            hits.append((strings[match_id], start, end))
        return hits


@lru_cache(maxsize=8)
def get_matcher(lang: str = "en") -> LexiconMatcher:
    return LexiconMatcher(lang)
