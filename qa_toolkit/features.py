"""Features of an agent reply read with the conversation before it: hashed word and character n-grams of
the reply, and dense features from lexicons and from the context (what the customer said, names, numbers,
what the apology is about). One fitted ``ReplyFeaturizer`` serves all four classifiers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import StandardScaler
from sklearn.utils import murmurhash3_32
from sklearn.utils.validation import check_is_fitted

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
_QUESTION = re.compile(r"\?")
_EXCLAIM = re.compile(r"!")
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


def dense_features(rc: ReplyContext) -> DenseView:
    """Dense features (and their evidence) for one reply."""
    text = rc.text or ""
    clean = clean_for_model(text)
    lang = rc.language if rc.language in LEXICON_LANGUAGES else "en"
    v: dict[str, float] = {}
    ev: dict[str, list[str]] = {}
    hits = get_matcher(lang).find(clean)
    for cat in LEXICON_CATEGORIES:
        found = [h.text for h in hits if h.category == cat]
        v[f"lex_{cat}"] = float(len(found))
        if found:
            ev[f"lex_{cat}"] = found
    words = _WORD.findall(clean)
    v["log_words"] = math.log1p(len(words))
    v["sentences"] = float(len([s for s in _SENTENCE.findall(clean) if s.strip()]))
    v["has_url"] = float("URL" in clean.split())
    v["url_only"] = float(v["has_url"] and len(words) <= 8)
    v["questions"] = float(len(_QUESTION.findall(clean)))
    v["exclamations"] = float(len(_EXCLAIM.findall(clean)))
    v["emoji"] = float(len(_EMOJI.findall(text)))
    names = [n for n in _NAME_AFTER.findall(clean) + _NAME_BEFORE_PUNCT.findall(clean) if n not in _NOT_NAMES]
    v["name_used"] = float(bool(names))
    if names:
        ev["name_used"] = names[:2]

    customer = _customer_text(rc)
    cust_words = _content(customer)
    reply_words = _content(clean)
    shared = sorted(reply_words & cust_words)
    v["overlap"] = float(len(shared))
    v["overlap_ratio"] = len(shared) / max(1, len(reply_words))
    specific = [w for w in shared if len(w) >= 6 or any(c.isdigit() for c in w)]
    v["overlap_specific"] = float(len(specific))
    if shared:
        ev["overlap"] = shared[:4]
    if specific:
        ev["overlap_specific"] = specific[:4]
    cust_numbers = set(_NUMBER.findall(customer))
    reply_numbers = set(_NUMBER.findall(clean))
    v["numbers"] = float(len(reply_numbers))
    picked = sorted(reply_numbers & cust_numbers)
    v["numbers_from_customer"] = float(len(picked))
    if picked:
        ev["numbers_from_customer"] = picked[:3]

    apology_sentences = [s for s in _SENTENCE.findall(clean) if _APOLOGY.search(s)]
    v["apology"] = float(bool(apology_sentences))
    if apology_sentences:
        ev["apology"] = [s.strip() for s in apology_sentences[:2]]
        about = set().union(*(_content(s) for s in apology_sentences))
        overlap = sorted(about & cust_words)
        v["apology_names_problem"] = float(len(overlap))
        if overlap:
            ev["apology_names_problem"] = overlap[:3]
        v["apology_vague"] = float(any(h.category in ("vague_object", "apology_templated") for h in hits))
        v["apology_words"] = float(sum(len(_WORD.findall(s)) for s in apology_sentences))
        delay = _DELAY_APOLOGY.search(clean)
        v["apology_for_delay"] = float(bool(delay))
        if delay:
            ev["apology_for_delay"] = [delay.group(0)]
    else:
        v["apology_names_problem"] = v["apology_vague"] = v["apology_words"] = v["apology_for_delay"] = 0.0

    v["customer_question"] = float("?" in customer)
    v["customer_log_words"] = math.log1p(len(_WORD.findall(customer)))
    v["customer_exclaims"] = float(customer.count("!"))
    prior_agent = sum(1 for r, _ in rc.context if r == "agent")
    v["prior_agent_turns"] = float(prior_agent)
    v["first_reply"] = float(prior_agent == 0)
    v["no_context"] = float(not rc.context)
    return DenseView(v, ev)


DENSE_NAMES = tuple(dense_features(ReplyContext("x")).values)


class ReplyFeaturizer(TransformerMixin, BaseEstimator):
    """ReplyContext -> sparse matrix: TF-IDF-weighted hashed word n-grams (spaCy tokens) and character
    n-grams of the cleaned reply, and scaled dense features (``dense_features``)."""

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

    def _vectorizers(self) -> tuple[HashingVectorizer, HashingVectorizer | None]:
        word = HashingVectorizer(
            tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=self.word_ngrams,
            n_features=self.n_features, alternate_sign=False, norm=None,
        )  # fmt: skip
        char = None
        if self.char_ngrams is not None:
            char = HashingVectorizer(
                analyzer="char_wb", ngram_range=self.char_ngrams, n_features=self.n_features,
                alternate_sign=False, norm=None, lowercase=True,
            )  # fmt: skip
        return word, char

    def fit(self, X: Sequence[ReplyContext], y: object = None) -> ReplyFeaturizer:
        texts = [clean_for_model(x.text) for x in X]
        word, char = self._vectorizers()
        self.word_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(word.transform(texts))
        self.char_tfidf_ = TfidfTransformer(sublinear_tf=True).fit(char.transform(texts)) if char else None
        dense = np.array([[d.values[n] for n in DENSE_NAMES] for d in map(dense_features, X)])
        self.scaler_ = StandardScaler().fit(dense)
        self.dense_names_ = list(DENSE_NAMES)
        return self

    def transform_with_views(self, X: Sequence[ReplyContext]) -> tuple[sp.csr_matrix, list[DenseView]]:
        check_is_fitted(self, "scaler_")
        texts = [clean_for_model(x.text) for x in X]
        word, char = self._vectorizers()
        blocks = [self.word_tfidf_.transform(word.transform(texts))]
        if char is not None:
            blocks.append(self.char_tfidf_.transform(char.transform(texts)))
        views = [dense_features(x) for x in X]
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
        h.update(self.word_tfidf_.idf_.tobytes())
        if self.char_tfidf_ is not None:
            h.update(self.char_tfidf_.idf_.tobytes())
        h.update(self.scaler_.mean_.tobytes())
        h.update(self.scaler_.scale_.tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ explaining columns

    def column_names_for(self, rc: ReplyContext) -> dict[int, str]:
        """Column index -> human-readable feature for the features present in this reply: the word
        n-grams themselves and the dense feature names (character n-grams are not named)."""
        check_is_fitted(self, "scaler_")
        word, _ = self._vectorizers()
        out: dict[int, str] = {}
        for gram in word.build_analyzer()(clean_for_model(rc.text)):
            out[abs(murmurhash3_32(gram, seed=0)) % self.n_features] = gram
        offset = self.n_features * (2 if self.char_ngrams is not None else 1)
        for i, name in enumerate(self.dense_names_):
            out[offset + i] = f"dense:{name}"
        return out
