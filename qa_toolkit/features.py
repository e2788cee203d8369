"""Features of an agent reply read with the conversation before it: hashed word and character n-grams of
the reply, dense features from lexicons and from the context (what the customer said, names, numbers,
what the apology is about), and the reply's mean static word vector. One fitted ``ReplyFeaturizer`` serves
all four classifiers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.utils.validation import check_is_fitted

from qa_toolkit.errors import QAError
from qa_toolkit.nlp import (
    LEXICON_LANGUAGES,
    PLACEHOLDER_WORD,
    PLACEHOLDERS,
    LexiconHit,
    TokenArrays,
    clean_for_model,
    get_batch_tokenizer,
    get_matcher,
    get_nlp,
)
from qa_toolkit.schema import MessageIn, language_code
from qa_toolkit.types import Role
from qa_toolkit.word_vectors import LOOKUP_VERSION, WordVectors, load_word_vectors

LEXICON_CATEGORIES = (
    "apology_templated", "apology_marker", "vague_object", "greeting", "thanks", "empathy", "sign_off",
    "channel_move", "info_request", "follow_up", "done_action", "cold_blame", "refusal", "auto_reply",
)  # fmt: skip

# The politeness strategies of Danescu-Niculescu-Mizil et al. (ACL 2013, Table 3) that the lexicons above do
# not already count (gratitude, greeting and apologising do): counted on the reply's spaCy tokens, "start"
# ones at the start of a sentence (handles skipped). The paper's classifier on these words transferred
# between sites (75.4%), a few points above its n-grams alone. Word lists follow the paper's examples; its
# positive/negative opinion lexicons are left out (the n-grams and the upset features read sentiment).
# A sentence ends at a token of _SENTENCE_END (spaCy makes "!!" and "?!" two tokens; see there for dots and "…").
_FIRST, _SECOND = ("i", "me", "my", "mine", "myself"), ("you", "your", "yours", "yourself", "yourselves", "u", "ur")
_STRATEGY_ANYWHERE: dict[str, tuple[str, ...]] = {
    "please": ("please", "pls", "plz", "plse"),
    "first_person": _FIRST,
    "first_plural": ("we", "our", "us", "ours", "ourselves"),
    "second_person": _SECOND,
    "hedge": ("think", "suggest", "suggests", "suggested", "perhaps", "maybe", "possibly", "probably", "seem",
              "seems", "seemed", "appear", "appears", "guess", "might", "assume", "believe", "likely", "somewhat",
              "fairly", "apparently", "presumably", "suppose", "tend", "tends", "suspect"),
    "factuality": ("actually", "clearly", "obviously", "indeed", "definitely", "certainly", "honestly"),
    "indirect": ("btw",),
}  # fmt: skip
_STRATEGY_START: dict[str, tuple[str, ...]] = {
    "please_start": ("please", "pls", "plz", "plse"),
    "deference": ("great", "good", "nice", "interesting", "cool", "excellent", "awesome"),
    "direct_question": ("what", "why", "who", "how"),
    "direct_start": ("so", "then", "and", "but", "or"),
    "first_person_start": _FIRST,
    "second_person_start": _SECOND,
}
_STRATEGY_PHRASES: dict[str, tuple[tuple[tuple[str, ...], ...], ...]] = {  # consecutive tokens, one of each
    "counterfactual_modal": ((("could", "would"), ("you", "u")),),
    "indicative_modal": ((("can", "will"), ("you", "u")),),
    "factuality": ((("in",), ("fact",)), (("the",), ("point", "truth", "reality"), ("is",))),
    "indirect": ((("by",), ("the",), ("way",)),),
}
POLITENESS_STRATEGIES: tuple[str, ...] = tuple(dict.fromkeys([*_STRATEGY_ANYWHERE, *_STRATEGY_START,
                                                               *_STRATEGY_PHRASES]))  # fmt: skip
# (DENSE_NAMES ends with them: ReplyFeaturizer.layout() makes the tail of the dense features a block)
# a run of dots is one token (runs of up to 40 end a sentence); a run of "\u2026" is split into pieces of one or two
_SENTENCE_END = ("!", "?", *("." * k for k in range(1, 41)), "\u2026", "\u2026\u2026")
_SENTENCE_END_SET = frozenset(_SENTENCE_END)
# spaCy's pieces of contractions: they never start a shown phrase (whole words such as "'cause" may)
_CONTRACTION_PIECES = frozenset({"n't", "nt", "'s", "'m", "'re", "'ll", "'ve", "'d"})
_GLUE_LIMIT = 8  # at most this many pieces of a split written word are added to either end of a shown phrase

_STOP = frozenset(
    "a an the and or but if so to of in on at for from by with about as is are was were be been being it its "
    "this that these those you your yours we our us i me my he she they them their there here what which who "
    "when where why how can could would should will shall may might must do does did done have has had not no "
    "yes just also very too please thanks thank hi hello hey sorry dm url handle signoff all any some more most "
    "get got let know see look one any out up now then than into over again still been".split()
)
_WORD = re.compile(r"[^\W_]+", re.U)
_NUMBER = re.compile(r"\b[A-Z]{0,3}\d[\dA-Z/.-]*\b")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
# Each pattern that starts with a word list first looks ahead for one of the words' first letters: the same
# matches, found 2-3 times faster (the regex engine no longer tries the whole list at every position).
_NAME_AFTER = re.compile(
    r"\b(?i:(?=[hdtswmeabl]))"
    r"(?i:hi|hello|hey|dear|thanks|thank you|sorry|welcome|morning|evening|afternoon|hallo|beste|liebe[r]?|bonjour)"
    r",?\s+([A-Z][a-z]{1,14})\b"
)
_NAME_BEFORE_PUNCT = re.compile(r",\s+([A-Z][a-z]{1,14})\s*[.!?]")
_NOT_NAMES = frozenset(
    "We I You Our Please Thanks Thank Sorry Team Have Let Hi Hello Hey The This That It If Can Could Would Will "
    "Just Here There Yes No Okay Ok Sure Happy Glad Great Good Again Today Tomorrow Monday Tuesday Wednesday "
    "Thursday Friday Saturday Sunday Delta American United Southwest Apple Amazon Spotify Twitter Please Sir "
    "Madam Everyone All Folks Friend Friends Guys There".split()
)
_APOLOGY = re.compile(
    r"\b(?=[sarepld])(sorry|apolog\w*|regret\w*|excuse\w*|excuses|spijt|entschuldig\w*|leid|désolé\w*|pardon)\b",
    re.I,
)
_DELAY_APOLOGY = re.compile(
    r"\b(?=[sa])(sorry|apolog\w*)\b[^.!?]{0,40}\b(delay(ed)? (in|response|reply)|wait|late reply|slow)", re.I
)


@dataclass(frozen=True)
class ReplyContext:
    """An agent reply with the conversation before it: (role, text) pairs, oldest first."""

    text: str
    context: tuple[tuple[str, str], ...] = ()
    language: str | None = "en"  # an ISO 639-1 code; a tag such as "en-US" or "EN" is read as its code

    def __post_init__(self) -> None:
        if self.language is not None and not (len(self.language) == 2 and self.language.islower()):
            object.__setattr__(self, "language", language_code(self.language))


def history_role(msg: MessageIn) -> str:
    """A message's role in the conversation before a reply: an agent's auto-reply ("we have received your
    e-mail") is a bot turn, not an agent's answer, so the first human reply after it is still the first reply
    (``first_reply``, ``prior_agent_turns``) and answers the customer's words before it."""
    return "bot" if msg.role is Role.agent and msg.is_automated else msg.role.value


@dataclass
class DenseView:
    """The dense features of one reply, and the words behind each (the evidence)."""

    values: dict[str, float]
    evidence: dict[str, list[str]] = field(default_factory=dict)


def _content(text: str) -> set[str]:
    return _content_words(_WORD.findall(text))


def _content_words(words: list[str]) -> set[str]:
    """The words worth comparing, lower-cased: not stop words, three letters or more."""
    return {w for w in set(map(str.lower, words)) - _STOP if len(w) >= 3}


@dataclass(frozen=True)
class _StrategyWords:
    """The politeness strategies' words as LOWER hashes: ``hashes`` sorted, and for each a bit mask of the word
    tuples it belongs to (``bit[words]``), so one search per batch tells every token's tuples."""

    hashes: np.ndarray
    masks: np.ndarray
    bit: dict[tuple[str, ...], np.uint64]
    handle: int  # the ORTH hash of the handle placeholder ("HANDLE": not the word "handle")

    def of(self, lower: np.ndarray) -> np.ndarray:
        """Each token's bit mask (0 for a word in no tuple)."""
        at = np.minimum(np.searchsorted(self.hashes, lower), len(self.hashes) - 1)
        return np.where(self.hashes[at] == lower, self.masks[at], np.uint64(0))


@lru_cache(maxsize=1)
def _strategy_words() -> _StrategyWords:
    strings = get_nlp("en").vocab.strings
    tuples = [*_STRATEGY_ANYWHERE.values(), *_STRATEGY_START.values(), _SENTENCE_END]
    tuples += [part for phrases in _STRATEGY_PHRASES.values() for phrase in phrases for part in phrase]
    bit = {words: np.uint64(1 << k) for k, words in enumerate(dict.fromkeys(tuples))}
    masks: dict[int, int] = {}
    for words, b in bit.items():
        for w in words:
            h = strings.add(w)
            masks[h] = masks.get(h, 0) | int(b)
    hashes = np.array(sorted(masks), dtype=np.uint64)
    return _StrategyWords(hashes, np.array([masks[h] for h in hashes.tolist()], dtype=np.uint64), bit,
                          strings.add("HANDLE"))  # fmt: skip


@lru_cache(maxsize=1)
def _valences() -> dict[str, float]:
    """VADER's sentiment lexicon (the vaderSentiment package's ``vader_lexicon.txt``, MIT): word -> mean
    valence, -4 (most negative) to 4."""
    from importlib.resources import files

    out: dict[str, float] = {}
    try:
        lexicon = files("vaderSentiment") / "vader_lexicon.txt"
    except ModuleNotFoundError:
        raise QAError(
            "the package vaderSentiment is missing (its sentiment lexicon is a feature of the reply models): "
            "reinstall qa-toolkit (`pip install -e .`, or `make demo`)"
        ) from None
    with lexicon.open(encoding="utf-8") as fh:
        for line in fh:
            word, valence, *_ = line.split("\t")
            out[word.lower()] = float(valence)
    return out


def _upset(words: list[str]) -> float:
    """How upset a customer's words read, 0 (not at all) to 1: the negative part of the sum of the words'
    VADER valences, squashed as VADER squashes its compound score (no negation or intensity rules)."""
    total = sum(map(_valences().get, map(str.lower, words), repeat(0.0)))
    return max(0.0, -total / math.sqrt(total * total + 15.0))


def _customer_text(rc: ReplyContext) -> str:
    """The customer's words since the previous agent reply (else the whole customer side)."""
    parts: list[str] = []
    for role, text in reversed(rc.context):
        if role == "customer":
            parts.append(text)
        elif parts:
            break
    if not parts:
        parts = [t for r, t in rc.context if r == "customer"]
    return " ".join(reversed(parts))


DENSE_NAMES: tuple[str, ...] = (
    *(f"lex_{c}" for c in LEXICON_CATEGORIES),
    "log_words", "sentences", "has_url", "url_only", "questions", "exclamations", "emoji", "name_used",
    "overlap", "overlap_ratio", "overlap_specific", "numbers", "numbers_from_customer",
    "apology", "apology_names_problem", "apology_vague", "apology_words", "apology_for_delay",
    "customer_question", "customer_log_words", "customer_exclaims", "prior_agent_turns", "first_reply", "no_context",
    "cold_to_upset", "bare_to_upset", "refusal_without_warmth", "blame_to_upset", "no_warmth",
    *(f"pol_{s}" for s in POLITENESS_STRATEGIES),  # last: ReplyFeaturizer.layout() makes them their own block
)  # fmt: skip
_COL = {name: j for j, name in enumerate(DENSE_NAMES)}  # dense feature -> column
_LEXICON_BEHIND = {"refusal_without_warmth": "refusal", "blame_to_upset": "cold_blame"}  # their evidence
_LEX = {category: _COL[f"lex_{category}"] for category in LEXICON_CATEGORIES}
_SIF = 1e-3  # the smoothing of the word vectors' inverse-frequency weights
_SEP = "\x00"  # joins a batch's texts for the regexes above: none of them matches it, so no match spans two


@dataclass(frozen=True)
class _Tokens(TokenArrays):
    """A batch of cleaned replies tokenised (``BatchTokenizer``): its ``TokenArrays`` (each token's reply, -1
    for a whitespace token, which only texts that are not cleaned have; LOWER and ORTH hash; first and end
    character in ``text``), with the texts."""

    texts: Sequence[str] = ()
    text: str = ""  # the texts joined by newlines
    # the word n-grams found by a featurizer, by its (n-gram range, columns): ``WordGrams``
    word_grams: dict[tuple[tuple[int, int], int], WordGrams] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Tokens:
        return cls(**vars(get_batch_tokenizer("en")(texts)), texts=texts, text="\n".join(texts))


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values and where each value is among them: what ``np.unique(values,
    return_inverse=True)`` gives, from one stable argsort (for a batch's word hashes about twice as fast as
    ``np.unique``, whose default sort is slow on them)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _has_alnum(word: str) -> bool:
    r"""Whether ``word`` has a letter or digit as ``str.isalnum`` reads them (``_WORD``'s ``[^\W_]`` is
    ``str.isalnum`` for every code point): one regex search, several times faster than a loop over the characters."""
    return _WORD.search(word) is not None


class WordGrams:
    """Where each hashed word n-gram of a batch came from: its reply, column, first word (an index into the
    batch's non-space tokens) and length. ``locate`` and ``shown`` name a reply's n-gram in a column by the
    words the reply wrote (``text``: as the columns read them): a column is shared by every n-gram hashed to
    it, so the training n-gram it is named after (``ReplyFeaturizer.column_name``) need not be the one a new
    reply holds. Holds the batch's text and token arrays, not the ``_Tokens`` (which holds it: no reference
    cycle)."""

    def __init__(self, tokens: _Tokens, rows: np.ndarray, cols: np.ndarray, first: np.ndarray,
                 length: np.ndarray, hashes: np.ndarray, n_features: int) -> None:  # fmt: skip
        self._text = tokens.text
        self.n_features = n_features
        self._tokens = (tokens.rows, tokens.lower, tokens.start, tokens.end, tokens.orth)  # read when first asked
        self._strings = tokens.strings  # the strings of their hashes
        self._found = (rows, cols, first, length)  # sorted when first asked (training never asks)
        self.hashes = hashes  # each n-gram's 64-bit hash, in the order of ``_found``

    @cached_property
    def _word_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each word's (non-space token's) LOWER hash, first and end character."""
        rows, lower, start, end, _ = self._tokens
        words = np.flatnonzero(rows >= 0)
        return lower[words], start[words], end[words]

    @cached_property
    def _sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The n-grams sorted by (reply, column): keys, first words, lengths, hashes."""
        rows, cols, first, length = self._found
        keys = rows * np.int64(self.n_features) + cols
        order = np.argsort(keys, kind="stable")  # the first n-gram of a reply in a column wins a (rare) tie
        return keys[order], first[order], length[order], self.hashes[order]

    @cached_property
    def _kinds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per word: whether it is worth showing (``informative_word``); whether it cuts a shown phrase (a
        sentence end, or a placeholder: ``clean_for_model``'s URL, HANDLE, SIGNOFF); whether it may end one
        (it has a letter or digit and is no placeholder: punctuation and emoji are trimmed from a phrase's
        ends); and whether it may start one (nor is it a piece of a contraction, "n't", "'s")."""
        rows, orth = self._tokens[0], self._tokens[4]
        strings = self._strings
        kinds, inverse = unique_inverse(self._word_arrays[0])
        texts = [strings[h] for h in kinds.tolist()]

        def each(test: Callable[[str], bool]) -> np.ndarray:
            return np.fromiter(map(test, texts), dtype=bool, count=len(texts))[inverse]

        placeholder = np.isin(orth[rows >= 0], np.array([strings[p] for p in PLACEHOLDERS], dtype=orth.dtype))
        word = each(_has_alnum) & ~placeholder
        piece = each(_CONTRACTION_PIECES.__contains__)
        return each(informative_word), each(_SENTENCE_END_SET.__contains__) | placeholder, word, word & ~piece

    @cached_property
    def _worth_before(self) -> np.ndarray:
        """How many of words 0..w-1 are worth showing."""
        return np.concatenate(([0], np.cumsum(self._kinds[0])))

    def locate(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each (reply, word column: 0 <= col < n_features), the first word and the length of the reply's
        n-gram there; length 0 when the reply has none in that column."""
        first, length, _ = self._located(rows, cols)
        return first, length

    def _located(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``locate``, and each found n-gram's hash (0 where there is none)."""
        keys, first, length, hashes = self._sorted
        q = rows.astype(np.int64) * np.int64(self.n_features) + cols
        if not len(keys):
            return np.zeros(len(q), np.int64), np.zeros(len(q), np.int64), np.zeros(len(q), np.uint64)
        at = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        hit = keys[at] == q
        return np.where(hit, first[at], 0), np.where(hit, length[at], 0), np.where(hit, hashes[at], _U(0))

    def locate_shown(self, rows: np.ndarray, cols: np.ndarray,
                     seen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """``locate``, and whether each found n-gram may be shown as evidence: worth showing (``informative``)
        and, given ``seen`` (``ReplyFeaturizer.word_seen_``, ``seen_keys``), one training met (a column is
        shared by every n-gram hashed to it: a new n-gram there would be shown for a weight learnt from
        others)."""
        first, length, hashes = self._located(rows, cols)
        ok = self.informative(first, length)
        if seen is not None:
            check = np.flatnonzero(ok)
            if len(seen):
                key = seen_keys(hashes[check], self.n_features)
                ok[check] = seen[np.minimum(np.searchsorted(seen, key), len(seen) - 1)] == key
            else:
                ok[check] = False
        return first, length, ok

    def informative(self, first: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Which n-grams (first word, length) are worth showing: those with a word worth showing
        (``informative_word``); none of length 0."""
        if not len(first):
            return np.zeros(0, dtype=bool)
        worth = self._worth_before
        return (length > 0) & (worth[first + length] > worth[first])

    @cached_property
    def _glued(self) -> np.ndarray:
        """Per word: whether it and the next word are one written word that spaCy split ("ca|n't", "can|not",
        "15|pm"): no gap between them, and both have a letter or digit."""
        _, start, end = self._word_arrays
        word = self._kinds[2]
        return np.append((end[:-1] == start[1:]) & word[:-1] & word[1:], False)

    def shown(self, first: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
        """How n-grams worth showing (``informative``) are shown as evidence: the words the reply wrote, as
        written, in the piece between sentence ends and placeholders that holds the first word worth
        showing, with punctuation, emoji and placeholders trimmed from both ends ("Sorry ." is "Sorry", "do
        n't want" is "don't want", "HANDLE thank you" is "thank you", "help . I" is "help"), and never part
        of a written word ("ca" of "can't"), so that a reviewer finds them in the reply's own text. First and
        end character of each in the text (the third value)."""
        if not len(first):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), self._text
        worth, cut, may_end, may_start = self._kinds
        _, start, end = self._word_arrays
        width = int(length.max())
        at = np.arange(width)
        inside = at < length[:, None]
        words = np.where(inside, first[:, None] + at, 0)
        cuts = cut[words] & inside
        piece = np.cumsum(cuts, axis=1)  # which piece between cuts each word is in
        rows = np.arange(len(first))
        shows = worth[words] & inside
        mine = inside & ~cuts & (piece == piece[rows, shows.argmax(axis=1)][:, None])
        # the first word that may start the phrase, or else the first worth showing (which may end it)
        a = first + ((may_start[words] | shows) & mine).argmax(axis=1)
        b = first + width - 1 - (may_end[words] & mine)[:, ::-1].argmax(axis=1)
        glued = self._glued  # a written word is shown whole ("can't", not "ca")
        for _ in range(_GLUE_LIMIT):
            more = glued[a - 1] & (a > 0)
            if not more.any():
                break
            a[more] -= 1
        for _ in range(_GLUE_LIMIT):
            more = glued[b]
            if not more.any():
                break
            b[more] += 1
        return start[a], end[b], self._text

    @cached_property
    def _bounds(self) -> tuple[list[int], list[int]]:
        """Each word's first and end character, as lists (for ``text``, one n-gram at a time)."""
        _, start, end = self._word_arrays
        return start.tolist(), end.tolist()

    @cached_property
    def _lowered(self) -> str | None:
        """The text lower-cased, when that lower-cases every word as it does alone (not when lower-casing
        changes the length, "İ", or depends on the letters around, "Σ")."""
        lowered = self._text.lower()
        return None if len(lowered) != len(self._text) or "\u03a3" in self._text else lowered

    def text(self, first: int, length: int) -> str:
        """An n-gram as the word columns read it: its tokens, each lower-cased, joined by spaces."""
        starts, ends = self._bounds
        lowered = self._lowered
        if lowered is not None:
            return " ".join([lowered[starts[w] : ends[w]] for w in range(first, first + length)])
        return " ".join([self._text[starts[w] : ends[w]].lower() for w in range(first, first + length)])


# never worth showing alone: stop words (but the greetings, thanks, apologies, "please" and "dm" that _STOP
# leaves out of the customer's words are telling evidence), clean_for_model's placeholders (lower-cased) and
# spaCy's pieces of contractions
_NOT_SHOWN = (_STOP - frozenset("please thanks thank hi hello hey sorry dm".split())) | frozenset(
    {"url", "handle", "signoff", "'s", "n't", "'re", "'ll", "'ve", "'d", "'m", "nt"}
)


@lru_cache(maxsize=8)
def _stop_words(lang: str) -> frozenset[str]:
    """The stop words spaCy ships for a language (lower-cased)."""
    return frozenset(w.lower() for w in get_nlp(lang).Defaults.stop_words)


def worth_showing_in(text: str, lang: str) -> bool:
    """Whether evidence ``text`` of a reply in ``lang`` has a word worth showing: one ``informative_word``
    that is no stop word of that language either ("het", "je", "pour")."""
    stop = _stop_words(lang) if lang != "en" else frozenset()
    return any(informative_word(w) and w not in stop for w in _WORD.findall(text.lower()))


@lru_cache(maxsize=65536)
def informative_word(word: str) -> bool:
    """A (lower-case) word worth showing as evidence: not a stop word (``_NOT_SHOWN``), punctuation, a single
    character, a placeholder or a piece of a contraction. An n-gram is worth showing when one of its words is."""
    return len(word) > 1 and word not in _NOT_SHOWN and any(ch.isalnum() for ch in word)


def _offsets(texts: Sequence[str], sep: int) -> np.ndarray:
    """Where each text starts in the texts joined by a separator of length ``sep``."""
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + sep
    return np.cumsum(sizes) - sizes


def _bounds(rows: np.ndarray, n: int) -> list[int]:
    """Where each of rows 0..n-1 starts (and the last ends) in sorted ``rows``."""
    return np.searchsorted(rows, np.arange(n + 1)).tolist()


def _matches(pattern: re.Pattern[str], joined: str, starts: np.ndarray) -> tuple[list[int], list[str]]:
    """The reply and the text (the first group, if any) of every match of ``pattern`` in the texts joined by
    ``_SEP`` (``starts``: their offsets)."""
    found = [(m.start(), m.group(1 if pattern.groups else 0)) for m in pattern.finditer(joined)]
    if not found:
        return [], []
    pos, texts = zip(*found, strict=True)
    return (np.searchsorted(starts, pos, side="right") - 1).tolist(), list(texts)


_WORD_END = re.compile(r"\w*")


def _quoted(sentence: str, *, longest: bool = False) -> str:
    """Apology words of a cleaned reply as evidence: without the placeholders ``clean_for_model`` wrote, so
    that they can be found in the reply's own text: the piece between them that apologises (``longest``: the
    longest piece, e.g. "for the long wait" of "sorry HANDLE for the long wait")."""
    if PLACEHOLDER_WORD.search(sentence):
        pieces = [p.strip(" ,;:-") for p in PLACEHOLDER_WORD.split(sentence)]
        if longest:
            return max(pieces, key=len)
        sentence = next((p for p in pieces if _APOLOGY.search(p)), sentence)
    return sentence.strip(" ,;:-")


def _is_specific(w: str) -> bool:
    return len(w) >= 6 or any(c.isdigit() for c in w)


class DenseBatch:
    """The dense features of a batch of replies, computed for the whole batch at once: ``values`` has a row
    per reply and a column per ``DENSE_NAMES`` entry; ``evidence(i, name)`` gives the words behind feature
    ``name`` of reply ``i``, found when asked for (only the few features that decide a label are shown)."""

    def __init__(self, replies: Sequence[ReplyContext], tokens: _Tokens) -> None:
        self.tokens = tokens
        self.values = np.zeros((len(replies), len(DENSE_NAMES)))
        self._found: dict[tuple[int, str], list[str]] = {}  # evidence found while computing the values
        joined, starts = _SEP.join(tokens.texts), _offsets(tokens.texts, len(_SEP))
        self._lexicon(replies)
        self._reply(replies, joined, starts)
        self._customer(replies, joined, starts)
        self._apology(joined, starts)
        self._meeting_upset(replies)
        self._strategies(replies)

    def _set(self, name: str, values: Sequence[float] | np.ndarray) -> None:
        self.values[:, _COL[name]] = values

    def _lexicon(self, replies: Sequence[ReplyContext]) -> None:
        """Lexicon hits per category: English replies' found in the batch's tokens (``find_arrays``), the
        others' in their own language."""
        tokens = self.tokens
        langs = [r.language if r.language in LEXICON_LANGUAGES else "en" for r in replies]
        categories, starts_, ends_ = get_matcher("en").find_arrays(tokens)  # each inside one reply
        cols = np.fromiter((_LEX.get(c, -1) for c in categories), dtype=np.int64, count=len(categories))
        rows = tokens.rows[starts_]
        keep = cols >= 0
        keep[keep] = np.array([langs[i] == "en" for i in rows[keep].tolist()], dtype=bool)
        self._hits = rows[keep], cols[keep], starts_[keep], ends_[keep]  # in reply order
        np.add.at(self.values, (self._hits[0], self._hits[1]), 1.0)
        self._other_hits: dict[int, list[LexiconHit]] = {}
        self.foreign = {i: lang for i, lang in enumerate(langs) if lang != "en"}  # the replies in nl, de, fr
        for i, lang in enumerate(langs):
            if lang != "en":
                self._other_hits[i] = [h for h in get_matcher(lang).find(tokens.texts[i]) if h.category in _LEX]
                for h in self._other_hits[i]:
                    self.values[i, _LEX[h.category]] += 1.0

    def _reply(self, replies: Sequence[ReplyContext], joined: str, starts: np.ndarray) -> None:
        """The reply on its own: length, sentences, URLs, punctuation, emoji, the customer's name."""
        texts = self.tokens.texts
        self._words = list(map(_WORD.findall, texts))
        n_words = np.fromiter(map(len, self._words), dtype=np.int64, count=len(texts))
        self._set("log_words", list(map(math.log1p, n_words.tolist())))
        self._set("sentences", [sum(1 for x in _SENTENCE.findall(t) if x.strip()) for t in texts])
        has_url = np.array(["URL" in words for words in self._words], dtype=bool)
        self._set("has_url", has_url)
        self._set("url_only", has_url & (n_words <= 8))
        self._set("questions", [t.count("?") for t in texts])
        self._set("exclamations", [t.count("!") for t in texts])
        for i, r in enumerate(replies):
            if r.text and not r.text.isascii():
                self.values[i, _COL["emoji"]] = len(_EMOJI.findall(r.text))
        names: dict[int, list[str]] = {}
        for pattern in (_NAME_AFTER, _NAME_BEFORE_PUNCT):
            for i, name in zip(*_matches(pattern, joined, starts), strict=True):
                if name not in _NOT_NAMES:
                    names.setdefault(i, []).append(name)
        for i, found in names.items():
            self.values[i, _COL["name_used"]] = 1.0
            self._found[i, "name_used"] = found[:2]

    def _customer(self, replies: Sequence[ReplyContext], joined: str, starts: np.ndarray) -> None:
        """The customer's words since the previous agent reply, what the reply takes up from them (content
        words, numbers), and the turns before the reply."""
        customers: dict[str, int] = {}  # the replies of one conversation often read the same customer turns
        self._customer_of = of = [customers.setdefault(_customer_text(r), len(customers)) for r in replies]
        self._customer_words = customer_words = list(map(_WORD.findall, customers))
        self._set("customer_question", np.array([float("?" in c) for c in customers])[of])
        self._set("customer_log_words", np.array([math.log1p(len(w)) for w in customer_words])[of])
        self._set("customer_exclaims", np.array([float(c.count("!")) for c in customers])[of])

        self._customer_content = content = list(map(_content_words, customer_words))
        reply_content = list(map(_content_words, self._words))
        self._shared = shared = [words & content[k] for words, k in zip(reply_content, of, strict=True)]
        overlap = np.fromiter(map(len, shared), dtype=np.float64, count=len(shared))
        self._set("overlap", overlap)
        self._set("overlap_ratio", overlap / np.maximum(1, np.fromiter(map(len, reply_content), np.int64, len(of))))
        self._set("overlap_specific", [sum(map(_is_specific, words)) if words else 0 for words in shared])

        numbers: dict[int, set[str]] = {}
        for i, number in zip(*_matches(_NUMBER, joined, starts), strict=True):
            numbers.setdefault(i, set()).add(number)
        texts = list(customers)
        for i, found in numbers.items():
            picked = sorted(found.intersection(_NUMBER.findall(texts[of[i]])))
            self.values[i, _COL["numbers"]] = len(found)
            self.values[i, _COL["numbers_from_customer"]] = len(picked)
            if picked:
                self._found[i, "numbers_from_customer"] = picked[:3]

        prior = np.array([sum(1 for role, _ in r.context if role == "agent") for r in replies], dtype=np.float64)
        self._set("prior_agent_turns", prior)
        self._set("first_reply", prior == 0)
        self._set("no_context", [not r.context for r in replies])

    def _apology(self, joined: str, starts: np.ndarray) -> None:
        """The sentences that apologise: what they name of the customer's words, their length, whether they
        are for a delay; vague when a vague or templated phrase is used."""
        texts, v = self.tokens.texts, self.values
        for i in dict.fromkeys(_matches(_APOLOGY, joined, starts)[0]):
            apology_sentences = [x for x in _SENTENCE.findall(texts[i]) if x.strip() and _APOLOGY.search(x)]
            if not apology_sentences:
                continue
            v[i, _COL["apology"]] = 1.0
            self._found[i, "apology"] = [_quoted(x) for x in apology_sentences[:2]]
            about = set().union(*(_content(x) for x in apology_sentences))
            overlap = sorted(about & self._customer_content[self._customer_of[i]])
            v[i, _COL["apology_names_problem"]] = len(overlap)
            if overlap:
                self._found[i, "apology_names_problem"] = overlap[:3]
            v[i, _COL["apology_words"]] = sum(len(_WORD.findall(x)) for x in apology_sentences)
            delay = _DELAY_APOLOGY.search(texts[i])
            if delay:
                v[i, _COL["apology_for_delay"]] = 1.0
                whole = _WORD_END.match(texts[i], delay.end()).end()  # "wait" of "waiting": the whole word
                self._found[i, "apology_for_delay"] = [_quoted(texts[i][delay.start() : whole], longest=True)]
        vague = v[:, _COL["lex_vague_object"]] + v[:, _COL["lex_apology_templated"]] > 0
        self._set("apology_vague", v[:, _COL["apology"]] * vague)

    def _meeting_upset(self, replies: Sequence[ReplyContext]) -> None:
        """How the reply meets an upset customer (the guide's unfriendly: refusing without empathy, blaming,
        dismissive one-liners). ``no_warmth``: a bare reply, with no warmth (greeting, thanks, empathy,
        exclamation, emoji) and no apology; ``refusal_without_warmth``: a bare reply that refuses;
        ``cold_to_upset`` (no warmth), ``bare_to_upset`` and ``blame_to_upset`` (blaming wording): weighed by
        how upset the customer's words read. The sentiment lexicon is English: for a reply in another
        language the customer does not count as upset."""
        v = self.values
        upset = np.array(list(map(_upset, self._customer_words)))[self._customer_of]
        upset[[r.language not in ("en", None) for r in replies]] = 0.0
        warm = (v[:, _LEX["greeting"]] + v[:, _LEX["thanks"]] + v[:, _LEX["empathy"]] + v[:, _COL["exclamations"]]
                + v[:, _COL["emoji"]]) > 0  # fmt: skip
        bare = ~warm & (v[:, _COL["apology"]] == 0)
        self._set("cold_to_upset", ~warm * upset)
        self._set("bare_to_upset", bare * upset)
        self._set("refusal_without_warmth", (v[:, _LEX["refusal"]] > 0) & bare)
        self._set("blame_to_upset", (v[:, _LEX["cold_blame"]] > 0) * upset)
        self._set("no_warmth", bare)

    def _strategies(self, replies: Sequence[ReplyContext]) -> None:
        """The politeness strategies (``POLITENESS_STRATEGIES``), counted per reply on the batch's tokens:
        words anywhere, words that start a sentence, and phrases of consecutive tokens. English only (zero
        for a reply in another language)."""
        n, words, tokens = len(replies), _strategy_words(), self.tokens
        keep = (tokens.rows >= 0) & (tokens.orth != words.handle)
        rows = tokens.rows[keep]
        if not len(rows):
            return
        mask = words.of(tokens.lower[keep])
        bit, zero, v = words.bit, np.uint64(0), self.values
        start = np.ones(len(rows), dtype=bool)
        start[1:] = (rows[1:] != rows[:-1]) | ((mask[:-1] & bit[_SENTENCE_END]) != zero)
        for name, group in _STRATEGY_ANYWHERE.items():
            v[:, _COL[f"pol_{name}"]] += np.bincount(rows[(mask & bit[group]) != zero], minlength=n)
        for name, group in _STRATEGY_START.items():
            v[:, _COL[f"pol_{name}"]] += np.bincount(rows[start & ((mask & bit[group]) != zero)], minlength=n)
        for name, phrases in _STRATEGY_PHRASES.items():
            for phrase in phrases:
                m = len(rows) - len(phrase) + 1  # where a phrase can start
                if m <= 0:
                    continue
                found = (mask[:m] & bit[phrase[0]]) != zero
                for j, part in enumerate(phrase[1:], 1):
                    found &= (rows[j : m + j] == rows[:m]) & ((mask[j : m + j] & bit[part]) != zero)
                v[:, _COL[f"pol_{name}"]] += np.bincount(rows[:m][found], minlength=n)
        other = [i for i, r in enumerate(replies) if r.language not in ("en", None)]
        if other:
            v[np.ix_(other, [_COL[f"pol_{s}"] for s in POLITENESS_STRATEGIES])] = 0.0

    @property
    def words(self) -> list[list[str]]:
        """Each reply's words (the cleaned text's runs of letters and digits, as written)."""
        return self._words

    def evidence(self, i: int, name: str) -> list[str]:
        """The words behind feature ``name`` of reply ``i`` (empty when there are none)."""
        found = self._found.get((i, name))
        if found is None:
            if name.startswith("lex_"):
                found = self._lexicon_words(i, _COL[name])
            elif name in _LEXICON_BEHIND:  # the refusal or blame, when it met an upset or bare reply
                found = self._lexicon_words(i, _LEX[_LEXICON_BEHIND[name]]) if self.values[i, _COL[name]] else []
            elif name in ("overlap", "overlap_specific"):
                found = sorted(self._shared[i])
                found = (found if name == "overlap" else [w for w in found if _is_specific(w)])[:4]
            else:
                found = []
            self._found[i, name] = found
        return found

    def _lexicon_words(self, i: int, col: int) -> list[str]:
        if i in self._other_hits:
            return [h.text for h in self._other_hits[i] if _LEX[h.category] == col]
        bounds, cols, starts, ends = self._hit_lists
        text = self.tokens.text
        return [text[starts[k] : ends[k]] for k in range(bounds[i], bounds[i + 1]) if cols[k] == col]

    @cached_property
    def _hit_lists(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """The English hits as lists: where each reply's start, their columns, first and end characters."""
        rows, cols, starts, ends = self._hits
        tokens = self.tokens
        return (_bounds(rows, len(self.values)), cols.tolist(), tokens.start[starts].tolist(),
                tokens.end[ends - 1].tolist())  # fmt: skip

    def view(self, i: int) -> DenseView:
        """Reply ``i``'s features by name, with all their evidence."""
        evidence = {name: found for name in DENSE_NAMES if (found := self.evidence(i, name))}
        return DenseView(dict(zip(DENSE_NAMES, self.values[i].tolist(), strict=True)), evidence)


def dense_features(rc: ReplyContext) -> DenseView:
    """Dense features (and their evidence) of one reply."""
    return DenseBatch([rc], _Tokens.of([clean_for_model(rc.text or "")])).view(0)


# ---------------------------------------------------------------------------------------------- hashing
# N-grams are hashed with vectorised 64-bit arithmetic over whole batches (no Python loop per n-gram):
# word n-grams from spaCy's lower-case token hashes, character n-grams (within each space-padded word,
# like scikit-learn's "char_wb") from the code points. Deterministic across runs and platforms.

_U = np.uint64
_P = _U(0x100000001B3)  # FNV-1a prime: combines the parts of an n-gram
_ORDER = tuple(_U(0x9E3779B97F4A7C15 * (n + 1) & 0xFFFFFFFFFFFFFFFF) for n in range(8))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the combined hash over all 64 bits."""
    h = h ^ (h >> _U(30))
    h = h * _U(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U(27))
    h = h * _U(0x94D049BB133111EB)
    return h ^ (h >> _U(31))


def seen_keys(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """An n-gram's key among those training met: its column and the top 16 bits of its 64-bit hash (the column
    is the hash modulo ``n_features``), as ``column << 16 | top``. Two n-grams of one column share a key once
    in 65,536: rare enough for evidence; the shipped models' 309,676 keys take 2.5 MB in memory and under 1 MB
    in a compressed model file."""
    return ((hashes % _U(n_features)) << _U(16)) | (hashes >> _U(48))


def _ngram_columns(
    units: np.ndarray,
    groups: np.ndarray,
    rows: np.ndarray,
    ngrams: tuple[int, int],
    n_features: int,
    where: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every n-gram of ``units`` (uint64 per token or character) that stays inside one
    group (a reply for words, a padded word for characters). ``where``, when given, receives three more
    arrays: each n-gram's first unit, its length and its 64-bit hash (the column is the hash modulo
    ``n_features``; the hash tells apart the n-grams that share a column)."""
    all_rows, all_cols, firsts, lengths, hashes = [], [], [], [], []
    lo, hi = ngrams
    with np.errstate(over="ignore"):
        h = np.zeros(len(units), dtype=np.uint64)
        for n in range(1, hi + 1):
            m = len(units) - n + 1
            if m <= 0:
                break
            h = h[:m] * _P + units[n - 1 : n - 1 + m]
            if n < lo:
                continue
            ok = groups[:m] == groups[n - 1 : n - 1 + m]
            mixed = _mix(h[ok] ^ _ORDER[n])
            cols = (mixed % _U(n_features)).astype(np.int64)
            all_rows.append(rows[:m][ok])
            all_cols.append(cols)
            if where is not None:
                firsts.append(np.flatnonzero(ok))
                lengths.append(np.full(len(cols), n, dtype=np.int64))
                hashes.append(mixed)
    if not all_rows:
        if where is not None:
            where[:] = [np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64)]
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if where is not None:
        where[:] = [np.concatenate(firsts), np.concatenate(lengths), np.concatenate(hashes)]
    return np.concatenate(all_rows), np.concatenate(all_cols)


def _counts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    """Occurrences of each (row, column) as a CSR matrix with sorted indices (what ``sum_duplicates`` gives),
    from one sort of the flat cell numbers."""
    dtype = np.int32 if n_rows * n_features < 2**31 else np.int64
    cells = np.sort(rows.astype(dtype) * dtype(n_features) + cols.astype(dtype))
    first = np.flatnonzero(np.concatenate(([True], cells[1:] != cells[:-1]))) if len(cells) else np.zeros(0, np.int64)
    counts = np.diff(np.append(first, len(cells))).astype(np.float64)
    cells = cells[first]
    indptr = np.searchsorted(cells, np.arange(n_rows + 1, dtype=np.int64) * n_features)
    return sp.csr_matrix((counts, cells % dtype(n_features), indptr), shape=(n_rows, n_features))


def _word_units(tokens: _Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Lower-case token hashes (spaces dropped) and the reply each belongs to."""
    keep = tokens.rows >= 0
    return tokens.lower[keep], tokens.rows[keep]


def _char_units(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of every reply's lower-cased words, each padded with a space, the word each belongs to
    and its reply. ``texts`` are cleaned (``clean_for_model``): words apart by single spaces, which
    lower-casing keeps."""
    lowered = [t.lower() for t in texts]
    if not any(lowered):
        z = np.zeros(0, np.int64)
        return z.astype(np.uint64), z, z
    padded = " " + " ".join(t for t in lowered if t).replace(" ", "  ") + " "  # " w1  w2 ... "
    units = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    space = units == 32
    starts = space.copy()  # a word's first unit: a space after a space (or the very first)
    starts[1:] &= space[:-1]
    lengths = [len(t) + t.count(" ") + 2 if t else 0 for t in lowered]
    return units, np.cumsum(starts) - 1, np.repeat(np.arange(len(texts)), lengths)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf x idf, rows L2-normalised (as TfidfTransformer(sublinear_tf=True) does)."""
    out = counts.copy()
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    return normalize(out, copy=False)


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0


def _pack_names(names: dict[int, str]) -> tuple[np.ndarray, np.ndarray, str]:
    """Column -> name as the columns, each name's length and the names joined (``_unpack_names`` undoes it)."""
    cols = np.fromiter(names, dtype=np.int64, count=len(names))
    lengths = np.fromiter(map(len, names.values()), dtype=np.int64, count=len(names))
    return cols, lengths, "".join(names.values())


def _unpack_names(cols: np.ndarray, lengths: np.ndarray, joined: str) -> dict[int, str]:
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return dict(zip(cols.tolist(), map(joined.__getitem__, map(slice, starts, ends)), strict=True))


class ReplyFeaturizer(TransformerMixin, BaseEstimator):
    """ReplyContext -> sparse matrix: TF-IDF-weighted hashed word n-grams (spaCy tokens) and character
    n-grams of the cleaned reply, scaled dense features (``DenseBatch``) and the reply's mean word vector
    (``qa_toolkit.word_vectors``: what the reply is about, in words the training replies may never have
    used). A batch is tokenised once (``BatchTokenizer``); its tokens serve the word n-grams and the lexicon
    matches."""

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 3),
        char_ngrams: tuple[int, int] | None = (2, 5),
        n_features: int = 2**18,
        dense_weight: float = 1.0,
        vector_weight: float | None = 0.5,
        dense_clip: float | None = 3.0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_features = n_features
        self.dense_weight = dense_weight
        self.vector_weight = vector_weight  # None: no word-vector block
        # standardised dense features are clipped to +-dense_clip (None: not clipped). A rare feature's
        # z-score is huge (a reply with no conversation before it: 38), so one unusual reply would be
        # decided by a weight learnt from a handful of training replies.
        self.dense_clip = dense_clip

    def _counts(self, tokens: _Tokens) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        n = len(tokens.texts)
        units, rows = _word_units(tokens)
        where: list[np.ndarray] = []
        grams = _ngram_columns(units, rows, rows, self.word_ngrams, self.n_features, where)
        word = _counts(*grams, n, self.n_features)
        tokens.word_grams[tuple(self.word_ngrams), self.n_features] = WordGrams(tokens, *grams, *where, self.n_features)
        char = None
        if self.char_ngrams is not None:
            units, groups, rows = _char_units(tokens.texts)
            char = _counts(*_ngram_columns(units, groups, rows, self.char_ngrams, self.n_features), n,
                           self.n_features)  # fmt: skip
        return word, char

    @staticmethod
    def _tokens(X: Sequence[ReplyContext]) -> _Tokens:
        return _Tokens.of([clean_for_model(x.text) for x in X])

    def fit(self, X: Sequence[ReplyContext], y: object = None) -> ReplyFeaturizer:
        tokens = self._tokens(X)
        word, char = self._counts(tokens)
        self.word_idf_ = _idf(word)
        self.char_idf_ = _idf(char) if char is not None else None
        self.dense_names_ = list(DENSE_NAMES)
        dense = DenseBatch(X, tokens)
        self.scaler_ = StandardScaler().fit(dense.values)
        self.word_names_ = self._word_names(tokens)
        self.word_seen_ = self._word_seen(tokens)
        if self.vector_weight is not None:
            self._fit_vectors(dense)
        return self

    def _word_seen(self, tokens: _Tokens) -> np.ndarray:
        """The training n-grams that are worth showing as evidence (``informative``), as sorted ``seen_keys``:
        a word column's weight is learnt from them, so evidence shows a reply's n-gram only when it is one of
        them (a column is shared by every n-gram hashed to it: an n-gram training never met would be shown
        for a weight learnt from others)."""
        grams = self.word_grams(tokens)
        _, _, first, length = grams._found
        return np.unique(seen_keys(grams.hashes[grams.informative(first, length)], self.n_features))

    def _word_names(self, tokens: _Tokens) -> dict[int, str]:
        """Column -> the first training n-gram hashed to it (``column_name``), from the n-grams ``_counts``
        found in the training batch: reply by reply, and within a reply the unigrams first, as read."""
        grams = self.word_grams(tokens)
        rows, cols, first, length = grams._found
        order = np.argsort(rows, kind="stable")
        found, at = np.unique(cols[order], return_index=True)
        at = order[at]
        return {c: grams.text(a, k) for c, a, k in zip(found.tolist(), first[at].tolist(), length[at].tolist(),
                                                       strict=True)}  # fmt: skip

    def _fit_vectors(self, dense: DenseBatch) -> None:
        """The word-vector block's fitted state: each piece's weight (smooth inverse frequency over the
        training replies: a / (a + share of replies holding it)), the training replies' mean vector (taken
        off, so the block says how a reply differs from a typical one), the table's digest and the lookup
        rules' version."""
        vectors = load_word_vectors()
        counts = vectors.piece_counts(dense.words)
        holding = np.bincount(counts.indices, minlength=len(vectors.words)) / max(1, counts.shape[0])
        self.vector_piece_weights_ = (_SIF / (_SIF + holding)).astype(np.float32)
        means, known = vectors.means(counts, self.vector_piece_weights_)
        self.vector_mean_ = means[known].mean(axis=0) if known.any() else np.zeros(vectors.dims)
        self.vectors_digest_ = vectors.digest
        self.vector_lookup_ = LOOKUP_VERSION

    def check_vectors(self) -> WordVectors | None:
        """The word-vector table this fitted featurizer reads (None without a word-vector block); QAError
        when it is missing, or is not the table or lookup it was trained with."""
        if self.vector_weight is None:
            return None
        vectors = load_word_vectors()
        if vectors.digest != self.vectors_digest_ or getattr(self, "vector_lookup_", None) != LOOKUP_VERSION:
            raise QAError(
                "models/word-vectors-v1/vectors.npz or its lookup is not what these models were trained "
                "with; restore the shipped table or retrain with `qa-toolkit train`"
            )
        return vectors

    def _vector_block(self, dense: DenseBatch) -> sp.csr_matrix:
        """Each reply's weighted mean word vector, centred, L2-normalised and scaled by ``vector_weight``;
        zeros for a reply with no known word (an empty reply is not an unusual one)."""
        vectors = self.check_vectors()
        assert vectors is not None
        means, known = vectors.means(vectors.piece_counts(dense.words), self.vector_piece_weights_)
        means = normalize(means - self.vector_mean_) * float(self.vector_weight or 0.0)
        means[~known] = 0.0
        return sp.csr_matrix(means)

    def __getstate__(self) -> dict:
        """The fitted state, with the column names (``word_names_``, about 190,000 n-grams) packed as two
        arrays and one string instead of a dict: joblib reads a pickled dict item by item in Python, which took
        most of a model's loading time (about 0.6 of 0.9 s); the arrays and the string it reads whole."""
        state = dict(super().__getstate__())  # a copy: ``object.__getstate__`` gives the instance's own dict
        names = state.pop("word_names_", None)
        if names is not None:
            state["word_names_packed_"] = _pack_names(names)
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("vector_weight", None)  # featurizers saved before the word vectors had none
        state.setdefault("dense_clip", None)  # nor clipping
        packed = state.pop("word_names_packed_", None)
        if packed is not None:  # featurizers saved before packing hold ``word_names_`` as a dict
            state["word_names_"] = _unpack_names(*packed)
        super().__setstate__(state)

    def transform_with_views(self, X: Sequence[ReplyContext]) -> tuple[sp.csr_matrix, DenseBatch]:
        """The features, and the dense features with their evidence (``DenseBatch``)."""
        check_is_fitted(self, "scaler_")
        tokens = self._tokens(X)
        word, char = self._counts(tokens)
        blocks = [_tfidf(word, self.word_idf_)]
        if char is not None:
            blocks.append(_tfidf(char, self.char_idf_))
        dense = DenseBatch(X, tokens)
        blocks.append(sp.csr_matrix(self._scaled(dense) * self.dense_weight))
        if self.vector_weight is not None:
            blocks.append(self._vector_block(dense))
        return sp.hstack(blocks, format="csr"), dense

    def _scaled(self, dense: DenseBatch) -> np.ndarray:
        """The dense features standardised (as the training replies were), clipped to +-``dense_clip``."""
        scaled = self.scaler_.transform(dense.values[:, [_COL[name] for name in self.dense_names_]])
        if self.dense_clip is not None:
            np.clip(scaled, -self.dense_clip, self.dense_clip, out=scaled)
        return scaled

    def transform(self, X: Sequence[ReplyContext]) -> sp.csr_matrix:
        return self.transform_with_views(X)[0]

    def fingerprint(self) -> str:
        """A digest of the fitted state: equal fingerprints mean interchangeable featurizers."""
        import hashlib

        check_is_fitted(self, "scaler_")
        h = hashlib.blake2b(digest_size=16)
        params = self.get_params()
        if params["dense_clip"] is None:
            del params["dense_clip"]  # featurizers saved before clipping keep their fingerprint
        h.update(repr(params).encode())
        h.update(self.word_idf_.tobytes())
        if self.char_idf_ is not None:
            h.update(self.char_idf_.tobytes())
        h.update(self.scaler_.mean_.tobytes())
        h.update(self.scaler_.scale_.tobytes())
        if self.vector_weight is not None:
            h.update(f"{self.vectors_digest_}/{getattr(self, 'vector_lookup_', None)}".encode())
            h.update(self.vector_piece_weights_.tobytes())
            h.update(self.vector_mean_.tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ explaining columns

    @property
    def dense_offset(self) -> int:
        return self.n_features * (2 if self.char_ngrams is not None else 1)

    @property
    def n_columns(self) -> int:
        """How many columns ``transform`` gives: word, character, dense, then word-vector columns."""
        vector_dims = len(self.vector_mean_) if self.vector_weight is not None else 0
        return self.dense_offset + len(self.dense_names_) + vector_dims

    def layout(self) -> dict[str, tuple[int, int]]:
        """Each block's columns as (first, end): ``word``, ``char`` (when used), ``dense``, ``strategies`` (the
        politeness strategies, scaled like the dense features; featurizers fitted before them have none),
        ``vectors`` (when used), in the order ``transform`` gives them."""
        check_is_fitted(self, "scaler_")
        out = {"word": (0, self.n_features)}
        if self.char_ngrams is not None:
            out["char"] = (self.n_features, self.dense_offset)
        end = self.dense_offset + len(self.dense_names_)
        # the politeness strategies, last of the dense features, are a block of their own (only tone reads them)
        strategies = sum(name.startswith("pol_") for name in self.dense_names_)
        if not all(name.startswith("pol_") for name in self.dense_names_[len(self.dense_names_) - strategies :]):
            raise ValueError("the politeness strategies must be the last dense features (their own block)")
        out["dense"] = (self.dense_offset, end - strategies)
        if strategies:
            out["strategies"] = (end - strategies, end)
        if self.vector_weight is not None:
            out["vectors"] = (end, self.n_columns)
        return out

    def word_grams(self, tokens: _Tokens) -> WordGrams:
        """The word n-grams of a batch these features were computed from (``transform_with_views``'s
        ``views.tokens``), to name a word column by the n-gram a reply holds in it."""
        key = (tuple(self.word_ngrams), self.n_features)
        found = tokens.word_grams.get(key)
        if found is None:
            self._counts(tokens)  # tokens made elsewhere: find their n-grams
            found = tokens.word_grams[key]
        return found

    def column_name(self, col: int) -> str | None:
        """A human-readable name for a column: for a word column the first training n-gram hashed to it (other
        n-grams share it: evidence shows the one a reply holds, ``WordGrams``), ``dense:<feature>``, or None
        for a character n-gram (not shown) or a word column never seen in training."""
        if col < self.n_features:
            return self.word_names_.get(col)
        if self.dense_offset <= col < self.dense_offset + len(self.dense_names_):
            return f"dense:{self.dense_names_[col - self.dense_offset]}"
        return None  # a character n-gram or a word-vector dimension
