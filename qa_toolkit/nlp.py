"""Tokenisation and lexicon matching on blank spaCy pipelines (nothing to download), one per language."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import repeat
from typing import Any

import numpy as np
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER, NORM, ORTH
from spacy.matcher import PhraseMatcher

from qa_toolkit.normalise import replace_sign_off

LEXICON_LANGUAGES = ("en", "nl", "de", "fr")

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?=[@_])(?:(?<!\w)@\w+|__cust__|__company__)")  # the lookahead: found faster, not otherwise
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
# piece it did not cache by its affix rules again each time it is met (about 40 times the cost of a cached one).
# Past them all is forgotten, spaCy's vocabulary too: with it each piece costs about 0.8 KB, so this bounds the
# tokenizer's memory at about 80 MB (20,000 real replies meet about 27,000 pieces)
CACHED_PIECES = 100_000


@lru_cache(maxsize=8)
def get_nlp(lang: str = "en") -> spacy.language.Language:
    """The blank pipeline of ``lang`` that the package shares (``blank_pipeline``)."""
    return blank_pipeline(lang)


def blank_pipeline(lang: str = "en") -> spacy.language.Language:
    """A new blank spaCy pipeline (tokenizer only) for ``lang``; English for languages spaCy lacks. Its new
    words get only the lexeme attributes the package reads: computing the other nineteen (shape,
    like_url, like_num, ...) for every word not seen before was most of tokenising new text. Token
    boundaries do not depend on them, and a string's hash is the same in every pipeline."""
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError, OSError):
        nlp = spacy.blank("en")
    getters = nlp.vocab.lex_attr_getters
    nlp.vocab.lex_attr_getters = {attr: get for attr, get in getters.items() if attr in _LEXEME_ATTRS}
    return nlp


@dataclass(frozen=True)
class TokenArrays:
    """A batch of texts' tokens as arrays, in order: each token's LOWER and ORTH hash, its first and end
    character in the texts joined by newlines, and its text's number (-1 for a whitespace token, which only
    texts that are not cleaned have: ``clean_for_model`` leaves single spaces between words)."""

    lower: np.ndarray  # uint64
    orth: np.ndarray  # uint64
    start: np.ndarray  # int64
    end: np.ndarray  # int64
    rows: np.ndarray  # int64
    strings: Any  # the spaCy StringStore that holds the strings of these hashes (``BatchTokenizer`` replaces its own)


class _PieceTable:
    """Pieces (runs of non-space) tokenised once: each piece's first token and number of tokens in the token
    columns (LOWER, ORTH, first character within the piece, length), grown by doubling."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}  # piece -> its number
        self.first = np.zeros(1024, np.int64)
        self.count = np.zeros(1024, np.int64)
        self.tokens = np.zeros((4096, 4), np.int64)  # LOWER, ORTH (as int64 bits), offset, length
        self.n_tokens = 0

    def add(self, tokenizer: Any, pieces: list[str]) -> None:
        """Tokenises new pieces, all in one Doc, one piece per line: each gets the tokens it gets alone (the
        tokenizer splits on whitespace first, and the line breaks' whitespace tokens keep its last pass, the
        special cases such as emoticons, from matching across two pieces)."""
        doc = tokenizer("\n".join(pieces))
        arr = doc.to_array([LOWER, ORTH, IDX, LENGTH, IS_SPACE]).astype(np.uint64).view(np.int64)
        arr = arr[arr[:, 4] == 0, :4]
        sizes = np.fromiter(map(len, pieces), np.int64, len(pieces)) + 1
        at = np.cumsum(sizes) - sizes  # where each piece starts in the Doc's text
        piece = np.searchsorted(at, arr[:, 2], side="right") - 1
        count = np.bincount(piece, minlength=len(pieces))
        k, m = len(self.index), self.n_tokens
        while k + len(pieces) > len(self.first):
            self.first = np.concatenate([self.first, np.zeros_like(self.first)])
            self.count = np.concatenate([self.count, np.zeros_like(self.count)])
        while m + len(arr) > len(self.tokens):
            self.tokens = np.concatenate([self.tokens, np.zeros_like(self.tokens)])
        self.first[k : k + len(pieces)] = m + np.cumsum(count) - count
        self.count[k : k + len(pieces)] = count
        arr[:, 2] -= at[piece]
        self.tokens[m : m + len(arr)] = arr
        self.n_tokens += len(arr)
        self.index.update(zip(pieces, range(k, k + len(pieces)), strict=True))


class BatchTokenizer:
    """Tokenises a batch of texts into ``TokenArrays`` with a blank spaCy pipeline's tokenizer, piece by piece:
    each piece (run of non-space) gets the tokens it gets alone. The batch's pieces not seen before are
    tokenised, all in one Doc, and remembered; the batch's tokens are then gathered from what each piece
    gave, with no Doc made for the batch (that was about half of the time spaCy took for a batch).
    One difference from a Doc of a whole text: spaCy's last pass, which finds special cases such as
    emoticons, could read one across two pieces of a Doc and then split both differently ("Delta:) )" gave
    ":", ")", ")" in one Doc; here ":)", ")", as "Delta:)" and ")" alone): a piece's tokens never depend
    on its neighbours. On 73,915 real texts (replies, the two messages before each, some empty) no token
    differed. The tokenizer is the batch tokenizer's own (a ``blank_pipeline``, not ``get_nlp``'s): spaCy's
    vocabulary keeps every word it has met, so a large file made it grow without end (about 1 KB a reply
    on replies with order numbers and codes). When a batch's new pieces would make more than ``max_seen``
    remembered, or the vocabulary has taken in more than ``max_seen`` words (texts that are not cleaned add words
    but no pieces), the pieces, the vocabulary and the tokenizer's cache are all forgotten together (a new
    pipeline) and the batch's own pieces remembered (so a batch of more distinct pieces keeps them all):
    memory stays bounded. A string's hash is the same in every pipeline, so the tokens are too; the
    ``TokenArrays`` hold the ``StringStore`` that has their strings. Texts that are not cleaned
    (``clean_for_model``: words apart by single spaces) are tokenised as one Doc, whose whitespace tokens
    keep row -1."""

    def __init__(self, lang: str = "en", *, max_seen: int = CACHED_PIECES) -> None:
        self.max_seen = max_seen  # pieces remembered (then forgotten, and tokenised again if met again)
        self._pipeline = RenewingPipeline(lang, max_words=max_seen, cache=max_seen)
        self._table = _PieceTable()
        self._lock = threading.Lock()

    @property
    def nlp(self) -> spacy.language.Language:
        return self._pipeline.nlp

    @property
    def tokenizer(self) -> Any:
        return self._pipeline.nlp.tokenizer

    @property
    def generation(self) -> int:
        """How many times all was forgotten."""
        return self._pipeline.generation

    def words_met(self) -> int:
        return self._pipeline.words_met()

    @property
    def _seen(self) -> set[str]:
        """The pieces remembered."""
        return set(self._table.index)

    def __call__(self, texts: Sequence[str]) -> TokenArrays:
        text = "\n".join(texts)
        pieces = text.split()
        spaces = np.fromiter(map(str.count, texts, repeat(" ")), np.int64, len(texts))
        per_text = spaces + np.fromiter(map(bool, texts), np.int64, len(texts))  # pieces, when cleaned
        sizes = np.fromiter(map(len, pieces), np.int64, len(pieces))
        # cleaned: all the whitespace in the texts is spaces, and as many pieces as single spaces between them
        if len(pieces) != per_text.sum() or len(text) - sizes.sum() != spaces.sum() + max(0, len(texts) - 1):
            return self._as_one_doc(texts, text)
        # each piece's first character: after its text's start, the pieces before it in that text and a space each
        text_of = np.repeat(np.arange(len(texts)), per_text)
        before = np.cumsum(sizes + 1) - (sizes + 1)
        first_piece = np.cumsum(per_text) - per_text
        text_size = np.fromiter(map(len, texts), np.int64, len(texts)) + 1
        text_start = np.cumsum(text_size) - text_size
        piece_start = text_start[text_of] + before - before[first_piece[text_of]]
        with self._lock:  # one tokenizer serves every thread (the app's sessions): its table changes as it reads
            table = self._table
            new = [p for p in dict.fromkeys(pieces) if p not in table.index]
            if new:
                if len(table.index) + len(new) > self.max_seen or self._pipeline.full():
                    table = self._forget()
                    new = list(dict.fromkeys(pieces))
                table.add(self.tokenizer, new)
            strings = self.nlp.vocab.strings
            ids = np.fromiter(map(table.index.__getitem__, pieces), np.int64, len(pieces))
            count = table.count[ids]
            piece = np.repeat(np.arange(len(ids)), count)
            flat = table.first[ids][piece] + np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count)
            tokens = table.tokens[flat]
        start = piece_start[piece] + tokens[:, 2]
        return TokenArrays(tokens[:, 0].view(np.uint64), tokens[:, 1].view(np.uint64), start, start + tokens[:, 3],
                           text_of[piece], strings)  # fmt: skip

    def _forget(self) -> _PieceTable:
        """Forgets the pieces remembered, and the words and cache of the pipeline (a new one); under the lock."""
        self._table = _PieceTable()
        self._pipeline.renew()
        return self._table

    def _as_one_doc(self, texts: Sequence[str], text: str) -> TokenArrays:
        with self._lock:
            if self._pipeline.full():
                self._forget()
            nlp = self.nlp  # its strings stay with the tokens, whatever another thread forgets meanwhile
        arr = nlp.tokenizer(text).to_array([LOWER, ORTH, IDX, LENGTH, IS_SPACE])
        start = arr[:, 2].astype(np.int64)
        sizes = np.fromiter(map(len, texts), np.int64, len(texts)) + 1
        rows = np.searchsorted(np.cumsum(sizes) - sizes, start, side="right") - 1
        rows[arr[:, 4] != 0] = -1
        return TokenArrays(arr[:, 0], arr[:, 1], start, start + arr[:, 3].astype(np.int64), rows, nlp.vocab.strings)


@lru_cache(maxsize=8)
def get_batch_tokenizer(lang: str = "en") -> BatchTokenizer:
    return BatchTokenizer(lang)


class RenewingPipeline:
    """A blank pipeline of its own (``blank_pipeline``), replaced by a new one once its vocabulary has taken in
    ``max_words`` words (``make_doc``), or when its user asks (``renew``): spaCy's vocabulary keeps every word
    it meets, so ``get_nlp``'s would grow with every message of a large file or store. A Doc made before keeps
    the vocabulary it was made with. A string's hash is the same in every pipeline, so the tokens are the same,
    and matchers built on ``get_nlp(lang)`` find the same phrases in these Docs. ``cache``: the pieces its
    tokenizer may cache (spaCy 3.8 caches 10,000 by default)."""

    def __init__(self, lang: str = "en", *, max_words: int = CACHED_PIECES, cache: int = 0) -> None:
        self.lang = lang
        self.max_words = max_words
        self.cache = cache
        self.generation = 0  # how many times the pipeline was replaced
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self.nlp = blank_pipeline(self.lang)
        self._base_words = len(self.nlp.vocab)  # a new pipeline's own (its tokenizer's exceptions)
        if self.cache and hasattr(self.nlp.tokenizer, "max_cache_size"):
            self.nlp.tokenizer.max_cache_size = max(self.nlp.tokenizer.max_cache_size, self.cache)

    def words_met(self) -> int:
        """The words the pipeline's vocabulary has taken in since it was made."""
        return len(self.nlp.vocab) - self._base_words

    def full(self) -> bool:
        """Whether it has taken in more than ``max_words`` words."""
        return self.words_met() > self.max_words

    def renew(self) -> None:
        with self._lock:
            self._renew()

    def _renew(self) -> None:
        self._start()
        self.generation += 1

    def make_doc(self, text: str) -> spacy.tokens.Doc:
        with self._lock:
            if self.full():
                self._renew()
            nlp = self.nlp
        return nlp.make_doc(text)


@lru_cache(maxsize=8)
def scratch_docs(lang: str = "en") -> RenewingPipeline:
    """The pipeline that makes the Docs read once and dropped (a message's phrases matched, then let go)."""
    return RenewingPipeline(lang)


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
    text = replace_sign_off(text.rstrip(), " SIGNOFF")
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
        by_words: dict[tuple[int, ...], list[str]] = {}  # each phrase's LOWER hashes -> its categories
        for category, phrases in load_lexicon(self.lang).items():
            docs = list(self.nlp.tokenizer.pipe(phrases))
            self.matcher.add(category, docs)
            for doc in docs:
                words = tuple(t.lower for t in doc)
                if words and category not in by_words.setdefault(words, []):
                    by_words[words].append(category)
        self._by_length = _phrases_by_length(by_words)
        strings = self.nlp.vocab.strings
        self._modal_hashes = np.array(sorted(strings.add(w) for w in _MODALS.get(self.lang, ())), np.uint64)
        self._negation_hashes = np.array(sorted(strings.add(w) for w in _NEGATIONS.get(self.lang, ())), np.uint64)

    def find(self, text: str) -> list[LexiconHit]:
        return self.find_in_doc(scratch_docs(self.lang).make_doc(text))

    def find_in_doc(self, doc: spacy.tokens.Doc) -> list[LexiconHit]:
        """Hits in a Doc made by this language's tokenizer (``get_nlp(lang)``, or ``scratch_docs(lang)``,
        whose tokens are the same), e.g. one already made for the reply's n-grams: the text is tokenised once."""
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

    def find_arrays(self, tokens: TokenArrays) -> tuple[list[str], np.ndarray, np.ndarray]:
        """What ``find_tokens`` finds on a Doc of the same texts, on a batch's ``TokenArrays`` (no Doc): the
        categories, first and end tokens of every hit inside one text (none spans a whitespace token or two
        texts), ordered by first token, then end token (a phrase of two categories gives both, in the
        lexicon's order). A hit ending in a modal that the text's next token negates is dropped, as there.
        The phrases are found by a combined hash of their tokens' LOWER hashes, one pass per phrase length,
        and checked word by word."""
        lower, rows = tokens.lower, tokens.rows
        n = len(lower)
        found_start, found_length, found_phrase = [], [], []
        h = np.zeros(n, np.uint64)
        with np.errstate(over="ignore"):
            for size in range(1, max(self._by_length, default=0) + 1):
                m = n - size + 1
                if m <= 0:
                    break
                h = h[:m] * _PHRASE_PRIME + lower[size - 1 : size - 1 + m]
                if size not in self._by_length:
                    continue
                keys, words, _, top = self._by_length[size]
                start = np.flatnonzero(top[h >> _TOP_SHIFT])  # where a phrase's hash may be: few places
                if not len(start):
                    continue
                at = np.minimum(np.searchsorted(keys, h[start]), len(keys) - 1)
                hit = keys[at] == h[start]
                start, phrase = start[hit], at[hit]
                span = start[:, None] + np.arange(size)
                ok = (lower[span] == words[phrase]).all(axis=1)  # the words themselves, not only their hash
                ok &= (rows[start] >= 0) & (rows[start] == rows[start + size - 1])
                found_start.append(start[ok])
                found_length.append(np.full(int(ok.sum()), size))
                found_phrase.append(phrase[ok])
        if not found_start:
            return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
        start, size = np.concatenate(found_start), np.concatenate(found_length)
        end = start + size
        order = np.lexsort((end, start))
        start, end = start[order], end[order]
        phrase = np.concatenate(found_phrase)[order]
        names = [self._by_length[k][2][p] for k, p in zip(size[order].tolist(), phrase.tolist(), strict=True)]
        if len(self._modal_hashes) and len(self._negation_hashes):
            nxt = np.minimum(end, n - 1)
            negated = ((end < n) & (rows[nxt] == rows[end - 1]) & np.isin(lower[nxt], self._negation_hashes)
                       & np.isin(lower[end - 1], self._modal_hashes))  # fmt: skip
        else:
            negated = np.zeros(len(start), bool)
        categories, starts, ends = [], [], []
        for cats, a, b, neg in zip(names, start.tolist(), end.tolist(), negated.tolist(), strict=True):
            if not neg:
                for c in cats:
                    categories.append(c)
                    starts.append(a)
                    ends.append(b)
        return categories, np.array(starts, np.int64), np.array(ends, np.int64)


_PHRASE_PRIME = np.uint64(0x100000001B3)
_TOP_SHIFT = np.uint64(48)  # the top 16 bits of a combined hash index a table of the ones phrases have


_Phrases = tuple[np.ndarray, np.ndarray, list[list[str]], np.ndarray]


def _phrases_by_length(by_words: dict[tuple[int, ...], list[str]]) -> dict[int, _Phrases]:
    """Phrases by their number of tokens: the combined hashes of their LOWER hashes (sorted, as
    ``find_arrays`` combines a text's), the hashes themselves (a row per phrase, in that order), each one's
    categories, and which values the combined hashes' top 16 bits take (a table of 65,536)."""
    out = {}
    for size in sorted({len(w) for w in by_words}):
        phrases = [w for w in by_words if len(w) == size]
        words = np.array(phrases, dtype=np.uint64).reshape(len(phrases), size)
        keys = np.zeros(len(phrases), np.uint64)
        with np.errstate(over="ignore"):
            for j in range(size):
                keys = keys * _PHRASE_PRIME + words[:, j]
        order = np.argsort(keys, kind="stable")
        if len(np.unique(keys)) != len(keys):  # two phrases with one combined hash: 64 bits make it unheard of
            raise ValueError(f"lexicon phrases of {size} tokens share a hash; change _PHRASE_PRIME")
        top = np.zeros(1 << 16, bool)
        top[keys >> _TOP_SHIFT] = True
        out[size] = (keys[order], words[order], [by_words[phrases[k]] for k in order.tolist()], top)
    return out


@lru_cache(maxsize=8)
def get_matcher(lang: str = "en") -> LexiconMatcher:
    return LexiconMatcher(lang)
