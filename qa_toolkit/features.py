"""Features of an agent reply read with the conversation before it: hashed word and character n-grams of
the reply, and dense features from lexicons and from the context (what the customer said, names, numbers,
what the apology is about). One fitted ``ReplyFeaturizer`` serves all four classifiers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.utils.validation import check_is_fitted
from spacy.attrs import IS_SPACE, LOWER
from spacy.tokens import Doc

from qa_toolkit.nlp import LEXICON_LANGUAGES, clean_for_model, get_matcher, get_nlp

LEXICON_CATEGORIES = (
    "apology_templated", "apology_marker", "vague_object", "greeting", "thanks", "empathy", "sign_off",
    "channel_move", "info_request", "follow_up", "done_action", "cold_blame", "refusal", "auto_reply",
)  # fmt: skip

_STOP = frozenset(
    "a an the and or but if so to of in on at for from by with about as is are was were be been being it its "
    "this that these those you your yours we our us i me my he she they them their there here what which who "
    "when where why how can could would should will shall may might must do does did done have has had not no "
    "yes just also very too please thanks thank hi hello hey sorry dm url handle signoff all any some more most "
    "get got let know see look one any out up now then than into over again still been".split()
)
_WORD = re.compile(r"[^\W_]+", re.U)
_NUMBER = re.compile(r"\b[A-Z]{0,3}\d[\dA-Z/.-]*\b")
_DIGIT = re.compile(r"\d")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_NAME_AFTER = re.compile(
    r"\b(?i:hi|hello|hey|dear|thanks|thank you|sorry|welcome|morning|evening|afternoon|hallo|beste|liebe[r]?|bonjour)"
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
    r"\b(sorry|apolog\w*|regret\w*|excuse\w*|excuses|spijt|entschuldig\w*|leid|désolé\w*|pardon)\b", re.I
)
_DELAY_APOLOGY = re.compile(
    r"\b(sorry|apolog\w*)\b[^.!?]{0,40}\b(delay(ed)? (in|response|reply)|wait|late reply|slow)", re.I
)


@dataclass(frozen=True)
class ReplyContext:
    """An agent reply with the conversation before it: (role, text) pairs, oldest first."""

    text: str
    context: tuple[tuple[str, str], ...] = ()
    language: str | None = "en"


@dataclass
class DenseView:
    """The dense features of one reply, and the words behind each (the evidence)."""

    values: dict[str, float]
    evidence: dict[str, list[str]] = field(default_factory=dict)


def tokenize(text: str) -> list[str]:
    """Lower-cased spaCy tokens (English rules: they split the other languages' words well enough)."""
    return [t.lower_ for t in get_nlp("en").make_doc(text) if not t.is_space]


def _content(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if len(w) >= 3 and w not in _STOP}


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


@lru_cache(maxsize=4096)
def _customer_view(customer: str) -> tuple[frozenset[str], frozenset[str], float, float, float]:
    """Content words, numbers, has a question, log word count and exclamation marks of the customer's
    words (cached: the replies of one conversation read the same customer turns)."""
    words = _WORD.findall(customer)
    content = frozenset(w for w in (x.lower() for x in words) if len(w) >= 3 and w not in _STOP)
    numbers = frozenset(_NUMBER.findall(customer)) if _DIGIT.search(customer) else frozenset()
    return content, numbers, float("?" in customer), math.log1p(len(words)), float(customer.count("!"))


def dense_features(rc: ReplyContext, *, doc: Doc | None = None, clean: str | None = None) -> DenseView:
    """Dense features (and their evidence) for one reply. ``clean``/``doc``: the cleaned reply and its
    tokens from the English pipeline, when already made (reused for the lexicon matches of English
    replies)."""
    text = rc.text or ""
    if clean is None:
        clean = clean_for_model(text)
    lang = rc.language if rc.language in LEXICON_LANGUAGES else "en"
    v: dict[str, float] = dict.fromkeys(DENSE_NAMES, 0.0) if DENSE_NAMES else {}
    ev: dict[str, list[str]] = {}
    matcher = get_matcher(lang)
    hits = matcher.find_in_doc(doc) if doc is not None and lang == "en" else matcher.find(clean)
    for cat in LEXICON_CATEGORIES:
        v[f"lex_{cat}"] = 0.0
    for h in hits:
        key = f"lex_{h.category}"
        if key in v:
            v[key] += 1.0
            ev.setdefault(key, []).append(h.text)
    words = _WORD.findall(clean)
    sentences = [x for x in _SENTENCE.findall(clean) if x.strip()]
    v["log_words"] = math.log1p(len(words))
    v["sentences"] = float(len(sentences))
    v["has_url"] = float("URL" in words)
    v["url_only"] = float(v["has_url"] and len(words) <= 8)
    v["questions"] = float(clean.count("?"))
    v["exclamations"] = float(clean.count("!"))
    v["emoji"] = 0.0 if text.isascii() else float(len(_EMOJI.findall(text)))
    names = [n for n in _NAME_AFTER.findall(clean) + _NAME_BEFORE_PUNCT.findall(clean) if n not in _NOT_NAMES]
    v["name_used"] = float(bool(names))
    if names:
        ev["name_used"] = names[:2]

    cust_words, cust_numbers, cust_question, cust_log_words, cust_exclaims = _customer_view(_customer_text(rc))
    reply_words = {w for w in (x.lower() for x in words) if len(w) >= 3 and w not in _STOP}
    shared = sorted(reply_words & cust_words)
    v["overlap"] = float(len(shared))
    v["overlap_ratio"] = len(shared) / max(1, len(reply_words))
    specific = [w for w in shared if len(w) >= 6 or any(c.isdigit() for c in w)]
    v["overlap_specific"] = float(len(specific))
    if shared:
        ev["overlap"] = shared[:4]
    if specific:
        ev["overlap_specific"] = specific[:4]
    reply_numbers = set(_NUMBER.findall(clean)) if _DIGIT.search(clean) else set()
    v["numbers"] = float(len(reply_numbers))
    picked = sorted(reply_numbers & cust_numbers)
    v["numbers_from_customer"] = float(len(picked))
    if picked:
        ev["numbers_from_customer"] = picked[:3]

    apology_sentences = [x for x in sentences if _APOLOGY.search(x)] if _APOLOGY.search(clean) else []
    v["apology"] = float(bool(apology_sentences))
    if apology_sentences:
        ev["apology"] = [x.strip() for x in apology_sentences[:2]]
        about = set().union(*(_content(x) for x in apology_sentences))
        overlap = sorted(about & cust_words)
        v["apology_names_problem"] = float(len(overlap))
        if overlap:
            ev["apology_names_problem"] = overlap[:3]
        v["apology_vague"] = float(any(h.category in ("vague_object", "apology_templated") for h in hits))
        v["apology_words"] = float(sum(len(_WORD.findall(x)) for x in apology_sentences))
        delay = _DELAY_APOLOGY.search(clean)
        v["apology_for_delay"] = float(bool(delay))
        if delay:
            ev["apology_for_delay"] = [delay.group(0)]
    else:
        v["apology_names_problem"] = v["apology_vague"] = v["apology_words"] = v["apology_for_delay"] = 0.0

    v["customer_question"] = cust_question
    v["customer_log_words"] = cust_log_words
    v["customer_exclaims"] = cust_exclaims
    prior_agent = sum(1 for r, _ in rc.context if r == "agent")
    v["prior_agent_turns"] = float(prior_agent)
    v["first_reply"] = float(prior_agent == 0)
    v["no_context"] = float(not rc.context)
    return DenseView(v, ev)


DENSE_NAMES: tuple[str, ...] = ()  # filled from the first call below: the order of the dense columns
DENSE_NAMES = tuple(dense_features(ReplyContext("x")).values)


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


def _ngram_columns(
    units: np.ndarray, groups: np.ndarray, rows: np.ndarray, ngrams: tuple[int, int], n_features: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every n-gram of ``units`` (uint64 per token or character) that stays inside one
    group (a reply for words, a padded word for characters)."""
    all_rows, all_cols = [], []
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
            cols = (_mix(h[ok] ^ _ORDER[n]) % _U(n_features)).astype(np.int64)
            all_rows.append(rows[:m][ok])
            all_cols.append(cols)
    if not all_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(all_rows), np.concatenate(all_cols)


def _counts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, n_features))
    m.sum_duplicates()
    return m


def _word_units(docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray]:
    """Lower-case token hashes (spaces dropped) and the reply each belongs to."""
    parts, rows = [], []
    for i, doc in enumerate(docs):
        arr = doc.to_array([LOWER, IS_SPACE])
        if len(arr):
            arr = arr[arr[:, 1] == 0, 0]
            parts.append(arr.astype(np.uint64))
            rows.append(np.full(len(arr), i, dtype=np.int64))
    if not parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(parts), np.concatenate(rows)


def _char_units(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of every reply's words, each padded with a space, the word each belongs to and its
    reply."""
    words = [t.lower().split() for t in texts]
    flat = [w for ws in words for w in ws]
    if not flat:
        z = np.zeros(0, np.int64)
        return z.astype(np.uint64), z, z
    joined = "".join(f" {w} " for w in flat)
    units = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(w) + 2 for w in flat), dtype=np.int64, count=len(flat))
    groups = np.repeat(np.arange(len(flat)), lengths)
    word_rows = np.repeat(np.arange(len(texts)), [len(ws) for ws in words])
    return units, groups, np.repeat(word_rows, lengths)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf x idf, rows L2-normalised (as TfidfTransformer(sublinear_tf=True) does)."""
    out = counts.copy()
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    return normalize(out, copy=False)


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0


class ReplyFeaturizer(TransformerMixin, BaseEstimator):
    """ReplyContext -> sparse matrix: TF-IDF-weighted hashed word n-grams (spaCy tokens) and character
    n-grams of the cleaned reply, and scaled dense features (``dense_features``). Each reply is tokenised
    once; its tokens serve the word n-grams and the lexicon matches."""

    def __init__(
        self,
        *,
        word_ngrams: tuple[int, int] = (1, 3),
        char_ngrams: tuple[int, int] | None = (2, 5),
        n_features: int = 2**18,
        dense_weight: float = 1.0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.n_features = n_features
        self.dense_weight = dense_weight

    def _counts(self, texts: Sequence[str], docs: Sequence[Doc]) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        units, rows = _word_units(docs)
        word = _counts(*_ngram_columns(units, rows, rows, self.word_ngrams, self.n_features), len(texts),
                       self.n_features)  # fmt: skip
        char = None
        if self.char_ngrams is not None:
            units, groups, rows = _char_units(texts)
            char = _counts(*_ngram_columns(units, groups, rows, self.char_ngrams, self.n_features), len(texts),
                           self.n_features)  # fmt: skip
        return word, char

    def fit(self, X: Sequence[ReplyContext], y: object = None) -> ReplyFeaturizer:
        texts = [clean_for_model(x.text) for x in X]
        docs = list(get_nlp("en").tokenizer.pipe(texts))
        word, char = self._counts(texts, docs)
        self.word_idf_ = _idf(word)
        self.char_idf_ = _idf(char) if char is not None else None
        dense = np.array([[d.values[n] for n in DENSE_NAMES] for d in self._views(X, docs, texts)])
        self.scaler_ = StandardScaler().fit(dense)
        self.dense_names_ = list(DENSE_NAMES)
        self.word_names_ = self._word_names(docs)
        return self

    def _word_names(self, docs: Sequence[Doc]) -> dict[int, str]:
        """Column -> the word n-gram text behind it, for every n-gram seen in training (a column never
        seen has no weight, so it never becomes evidence)."""
        names: dict[int, str] = {}
        lo, hi = self.word_ngrams
        for doc in docs:
            toks = [t.lower_ for t in doc if not t.is_space]
            units, rows = _word_units([doc])
            r, cols = _ngram_columns(units, rows, rows, self.word_ngrams, self.n_features)
            grams = [" ".join(toks[i : i + n]) for n in range(lo, hi + 1) for i in range(len(toks) - n + 1)]
            for c, g in zip(cols.tolist(), grams, strict=True):
                names.setdefault(c, g)
        return names

    @staticmethod
    def _views(X: Sequence[ReplyContext], docs: Sequence[Doc], texts: Sequence[str]) -> list[DenseView]:
        return [dense_features(x, doc=d, clean=t) for x, d, t in zip(X, docs, texts, strict=True)]

    def transform_with_views(self, X: Sequence[ReplyContext]) -> tuple[sp.csr_matrix, list[DenseView]]:
        check_is_fitted(self, "scaler_")
        texts = [clean_for_model(x.text) for x in X]
        docs = list(get_nlp("en").tokenizer.pipe(texts))
        word, char = self._counts(texts, docs)
        blocks = [_tfidf(word, self.word_idf_)]
        if char is not None:
            blocks.append(_tfidf(char, self.char_idf_))
        views = self._views(X, docs, texts)
        dense = np.array([[d.values[n] for n in self.dense_names_] for d in views]).reshape(len(views), -1)
        blocks.append(sp.csr_matrix(self.scaler_.transform(dense) * self.dense_weight))
        return sp.hstack(blocks, format="csr"), views

    def transform(self, X: Sequence[ReplyContext]) -> sp.csr_matrix:
        return self.transform_with_views(X)[0]

    def fingerprint(self) -> str:
        """A digest of the fitted state: equal fingerprints mean interchangeable featurizers."""
        import hashlib

        check_is_fitted(self, "scaler_")
        h = hashlib.blake2b(digest_size=16)
        h.update(repr(self.get_params()).encode())
        h.update(self.word_idf_.tobytes())
        if self.char_idf_ is not None:
            h.update(self.char_idf_.tobytes())
        h.update(self.scaler_.mean_.tobytes())
        h.update(self.scaler_.scale_.tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ explaining columns

    @property
    def dense_offset(self) -> int:
        return self.n_features * (2 if self.char_ngrams is not None else 1)

    def column_name(self, col: int) -> str | None:
        """A human-readable name for a column: the word n-gram itself, ``dense:<feature>``, or None for a
        character n-gram (not shown) or a word column never seen in training."""
        if col < self.n_features:
            return self.word_names_.get(col)
        if col >= self.dense_offset:
            return f"dense:{self.dense_names_[col - self.dense_offset]}"
        return None
