"""Pipelines for the four labels, and ``ReplyClassifier``: calibrated probabilities plus evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from qa_toolkit.classifiers.estimator import CalibratedLinear
from qa_toolkit.errors import UnknownNameError
from qa_toolkit.features import (
    DENSE_NAMES,
    DenseBatch,
    ReplyContext,
    ReplyFeaturizer,
    WordGrams,
    worth_showing_in,
)

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "tone": ("friendly", "neutral", "unfriendly"),
    "personalisation": ("personalised", "generic"),
    "apology": ("none", "templated", "specific"),
    "resolution": ("solution", "step", "none"),
}

# dense features worth showing a team lead, per label, and how to phrase their evidence
_EVIDENCE_FEATURES: dict[str, tuple[str, ...]] = {
    "tone": ("lex_greeting", "lex_thanks", "lex_empathy", "lex_sign_off", "lex_cold_blame", "lex_refusal",
             "name_used", "refusal_without_warmth", "blame_to_upset"),
    "personalisation": ("name_used", "overlap_specific", "numbers_from_customer", "overlap", "lex_channel_move"),
    "apology": ("lex_apology_templated", "apology_names_problem", "apology_for_delay", "apology", "lex_vague_object"),
    "resolution": ("lex_channel_move", "lex_info_request", "lex_follow_up", "lex_done_action", "lex_refusal"),
}  # fmt: skip
# a feature whose words only make sense as evidence of some classes: blaming words never explain "friendly"
# (the model may still give such a feature a small weight towards it, overlapping the others)
_EVIDENCE_ONLY_FOR: dict[str, dict[str, tuple[str, ...]]] = {
    "tone": {**dict.fromkeys(("lex_cold_blame", "blame_to_upset"), ("unfriendly",)),
             **dict.fromkeys(("lex_refusal", "refusal_without_warmth"), ("neutral", "unfriendly")),
             **dict.fromkeys(("lex_greeting", "lex_thanks", "lex_empathy", "lex_sign_off"), ("friendly",))},
}  # fmt: skip
# labels that say something is absent: no words are behind them (the words that pushed a reply towards
# apology "none" are merely words that are no apology), so they show no evidence
_NOTHING_TO_SHOW: dict[str, tuple[str, ...]] = {"apology": ("none",)}


class ReplyPipeline(Pipeline):
    """``ReplyFeaturizer`` -> ``CalibratedLinear``, whose ``fit`` tells the classifier the featurizer's column
    layout (so it can leave out the blocks it does not read)."""

    def fit(self, X: Any, y: Any = None, **params: Any) -> ReplyPipeline:
        if params:
            raise TypeError(f"ReplyPipeline.fit takes no fit parameters (got {', '.join(params)})")
        featurizer = self.named_steps["features"].fit(X)
        self.named_steps["clf"].fit(featurizer.transform(X), y, layout=featurizer.layout())
        return self


def _pipeline(*, C: float, tune_decisions: bool = True, skip: tuple[str, ...] = (), auxiliary_weight: float = 0.0,
              **featurizer: Any) -> Pipeline:  # fmt: skip
    clf = CalibratedLinear(C=C, tune_decisions=tune_decisions, skip=skip, auxiliary_weight=auxiliary_weight)
    return ReplyPipeline([("features", ReplyFeaturizer(**featurizer)), ("clf", clf)])


# C (inverse regularisation) chosen by scripts/select_features.py: 5-fold CV grouped by conversation on the
# 3,437 training labels, C in {0.3, 1, 3, 10}: tone is flat from 1 to 10 (0.694 / 0.691 / 0.690), the other
# three rise to 10 (personalisation 0.814 / 0.826 / 0.833, apology 0.861 / 0.864 / 0.868, resolution 0.820 /
# 0.828 / 0.833). Apology stays at 4: its CV gain from 3 to 10 is 0.004 (within the folds' noise). (At 10 the
# twcs-activities check once fell from 0.946 to 0.886, but that check was mis-measured and is not for choosing
# settings; on today's labels both C score the same there.) models/README.md has the table.
#
# Word vectors (skip): the featurizer makes them for all four, but only personalisation reads them. The same
# cross-validation (one C=2), without / with them, on 4,533 training labels: tone 0.675 / 0.666, personalisation
# 0.808 / 0.823, apology 0.860 / 0.855, resolution 0.824 / 0.824; on 4,933: 0.667 / 0.657, 0.808 / 0.814,
# 0.858 / 0.854, 0.823 / 0.822.
#
# Politeness strategies (skip "strategies"): features for tone (Danescu-Niculescu-Mizil et al. 2013; the
# published cross-site task is tone's external check); the other three leave them out, so their features
# are what they were before the strategies came.


# Politeness examples for tone (Stack Exchange's top-quartile requests as friendly, bottom quartile as neutral),
# at this sample weight: chosen by `scripts/select_features.py --shipped --labels tone --configs '[{}]'
# --politeness stack-exchange --politeness-weight 0 0.3 1.0` (5-fold CV grouped by conversation on the 10,613
# training labels, the shipped estimator): tone macro-F1 0.659 / 0.668 / 0.662, unfriendly F1 0.303 / 0.327 /
# 0.320 (models/README.md). Wikipedia stays out of training: it is the cross-site check.
POLITENESS_WEIGHT = 0.3


def make_tone_pipeline(*, C: float = 2.0, tune_decisions: bool = True, skip: tuple[str, ...] = ("vectors",),
                       auxiliary_weight: float = POLITENESS_WEIGHT, **featurizer: Any) -> Pipeline:  # fmt: skip
    """``auxiliary_weight``: the weight of the politeness examples training adds to tone
    (``qa_toolkit.classifiers.training.auxiliary_examples``); 0 leaves them out."""
    return _pipeline(C=C, tune_decisions=tune_decisions, skip=skip, auxiliary_weight=auxiliary_weight, **featurizer)


def make_personalisation_pipeline(
    *, C: float = 10.0, tune_decisions: bool = True, skip: tuple[str, ...] = ("strategies",), **featurizer: Any
) -> Pipeline:
    return _pipeline(C=C, tune_decisions=tune_decisions, skip=skip, **featurizer)


def make_apology_pipeline(
    *, C: float = 4.0, tune_decisions: bool = True, skip: tuple[str, ...] = ("vectors", "strategies"), **featurizer: Any
) -> Pipeline:
    return _pipeline(C=C, tune_decisions=tune_decisions, skip=skip, **featurizer)


def make_resolution_pipeline(
    *,
    C: float = 10.0,
    tune_decisions: bool = True,
    skip: tuple[str, ...] = ("vectors", "strategies"),
    **featurizer: Any,
) -> Pipeline:
    return _pipeline(C=C, tune_decisions=tune_decisions, skip=skip, **featurizer)


_FACTORIES = {
    "tone": make_tone_pipeline,
    "personalisation": make_personalisation_pipeline,
    "apology": make_apology_pipeline,
    "resolution": make_resolution_pipeline,
}


def make_pipeline_for(name: str, **params: Any) -> Pipeline:
    try:
        return _FACTORIES[name](**params)
    except KeyError:
        raise UnknownNameError("classifier", name, sorted(_FACTORIES)) from None


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    evidence: list[str]
    probabilities: dict[str, float]


@dataclass(frozen=True)
class _Shown:
    """What a classifier may show as evidence (``ReplyClassifier._evidence_columns``)."""

    mask: np.ndarray  # columns that may be shown: word columns with a weight and some dense features
    weights: np.ndarray  # the weights pushing towards each class (a row per class)
    n_words: int  # columns below this are word n-grams
    dense: dict[int, str]  # dense column -> feature
    dense_offset: int
    values: np.ndarray  # dense column - dense_offset -> its column in ``DenseBatch.values``
    seen: np.ndarray | None = None  # the featurizer's ``word_seen_`` (None for one fitted before it)


def rank_in_rows(rows: np.ndarray, contrib: np.ndarray) -> np.ndarray:
    """The order that puts entries row by row and, within a row, the highest (positive) contribution first,
    ties in their given order: what ``np.lexsort((-contrib, rows))`` gives, from one stable sort of the row
    plus a share of a half for how little the entry contributes (about five times faster). Two
    contributions of one row closer than about 1e-12 of the batch's largest count as a tie."""
    share = contrib / (contrib.max(initial=0.0) * (1.0 + 1e-9))
    return np.argsort(rows + 0.5 * (1.0 - share), kind="stable")


@dataclass(frozen=True)
class Showable:
    """The entries of ``ShownEntries`` that can be shown as evidence (``ShownEntries.showable``): their rows,
    columns and values, and for an entry in a word column the first word and length of the reply's n-gram
    there (``WordGrams``; 0 and 0 for a dense column)."""

    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray
    first: np.ndarray
    length: np.ndarray


@dataclass(frozen=True)
class ShownEntries:
    """The entries of a feature matrix (CSR) in the columns ``mask`` keeps, in the matrix's order: their
    rows, columns and values. Found once per batch for all the classifiers that share the features."""

    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray
    # [(key, Showable)]: one tuple, read once, so a thread never pairs one key with another key's entries
    _showable: list[Any] = field(default_factory=list, init=False, compare=False, repr=False)

    @classmethod
    def of(cls, features: Any, mask: np.ndarray) -> ShownEntries:
        features = features.tocsr()  # the same matrix when it already is CSR
        at = np.flatnonzero(mask[features.indices])
        rows = np.searchsorted(features.indptr, at, side="right") - 1
        return cls(rows, features.indices[at], features.data[at])

    def showable(self, found: WordGrams, views: DenseBatch, shown: _Shown) -> Showable:
        """The entries that can be shown, whichever label they push towards, in their order: in a word column
        when the reply's n-gram there is worth showing and one training met (``WordGrams.locate_shown`` with
        the featurizer's ``word_seen_``), in a dense column when the feature is present
        (an absent one has no words behind it). Which those are depends on the batch and the featurizer alone
        (``shown``'s layout: its word columns, which dense feature each dense column is, the n-grams training
        met), not on the classifier's weights: found once for all the classifiers that share the entries (and
        their featurizer), which then weigh only these (about half of the entries). Entries in columns that are
        neither (character n-grams, word vectors: never shown) are left out."""
        key = (found, views, shown.seen, shown.n_words, shown.dense_offset, shown.values.tolist())
        cached = self._showable[0] if self._showable else None
        if cached is not None and all(map(_same, cached[0], key)):
            return cached[1]
        rows, cols = self.rows, self.cols
        word = np.flatnonzero(cols < found.n_features)
        first, length = np.zeros(len(cols), np.int64), np.zeros(len(cols), np.int64)
        ok = np.zeros(len(cols), bool)
        first[word], length[word], ok[word] = found.locate_shown(rows[word], cols[word], shown.seen)
        dense = np.flatnonzero((cols >= shown.dense_offset) & (cols < shown.dense_offset + len(shown.values)))
        ok[dense] = views.values[rows[dense], shown.values[cols[dense] - shown.dense_offset]] != 0
        at = np.flatnonzero(ok)
        out = Showable(rows[at], cols[at], self.data[at], first[at], length[at])
        self._showable[:] = [(key, out)]
        return out


def _same(a: Any, b: Any) -> bool:
    """Whether two parts of a cache key are the same: arrays by their contents, anything else by ``==``
    (an array is never the same as a non-array: None, say, for a featurizer saved before ``word_seen_``)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b))
    return a is b or a == b


@dataclass(frozen=True)
class Decisions:
    """A batch's predictions as arrays: the decided class (column) of each reply, all probabilities, and
    the evidence of the decided label."""

    winners: np.ndarray
    proba: np.ndarray
    evidence: list[list[str]]

    def confidences(self) -> list[float]:
        """The probability of each reply's decided label."""
        return self.proba[np.arange(len(self.winners)), self.winners].tolist()


class ReplyClassifier:
    """A fitted pipeline for one label, with evidence: the reply's words and the context features that
    pushed the decision towards the predicted label most."""

    def __init__(self, name: str, pipeline: Pipeline) -> None:
        self.name = name
        self.pipeline = pipeline

    @property
    def featurizer(self) -> ReplyFeaturizer:
        return self.pipeline.named_steps["features"]

    @property
    def classes(self) -> list[str]:
        """The label set, as plain strings (the fitted estimator holds numpy strings, which a caller would
        see as ``np.str_('friendly')``)."""
        return [str(c) for c in self.pipeline.named_steps["clf"].classes_]

    def _linear(self) -> LogisticRegression:
        return self.pipeline.named_steps["clf"].linear_

    def predict(self, replies: Sequence[ReplyContext], *, features: Any = None, views: Any = None,
                evidence: int = 3) -> list[Prediction]:  # fmt: skip
        """Label, confidence, evidence and all probabilities for each reply. ``features``/``views`` may be
        passed in when several classifiers share one featurizer (computed once)."""
        found = self.decide(replies, features=features, views=views, evidence=evidence)
        classes = self.classes
        return [
            Prediction(classes[k], p[k], ev, dict(zip(classes, p, strict=True)))
            for k, p, ev in zip(found.winners.tolist(), found.proba.tolist(), found.evidence, strict=True)
        ]

    def decide(self, replies: Sequence[ReplyContext], *, features: Any = None, views: Any = None,
               scores: np.ndarray | None = None, evidence: int = 3,
               entries: ShownEntries | None = None) -> Decisions:  # fmt: skip
        """``predict`` as arrays. ``scores``: the linear model's decision scores when already computed
        (``LinearScores``); ``entries``: the features' entries in (at least) the columns this classifier
        may show as evidence, when already found (``ShownEntries``)."""
        if features is None:
            features, views = self.featurizer.transform_with_views(replies)
        features = features.tocsr()
        clf = self.pipeline.named_steps["clf"]
        proba = clf.predict_proba(features) if scores is None else clf.calibrator_.predict_proba(scores)
        winners = clf.decide(proba)
        found = self._evidence(features, winners, views, evidence, entries) if evidence else [[] for _ in replies]
        return Decisions(winners, proba, found)

    def _evidence_columns(self) -> _Shown:
        """Which columns may be shown when they drive a decision: word columns (shown as the reply's n-gram
        there, when it is worth showing), and the dense features worth showing for this label (shown as the
        words behind them). Character n-grams are never shown. Cached."""
        cached = getattr(self, "_shown", None)
        if cached is not None:
            return cached
        f = self.featurizer
        wanted = set(_EVIDENCE_FEATURES.get(self.name, ()))
        dense = {f.dense_offset + i: n for i, n in enumerate(f.dense_names_) if n in wanted}
        coef = self._linear().coef_
        mask = np.zeros(f.n_columns, dtype=bool)  # word-vector columns, like character n-grams, never shown
        mask[: f.n_features] = (coef[:, : f.n_features] != 0).any(axis=0)  # word columns with a weight
        mask[list(dense)] = True
        weights = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef.copy()  # binary: a row for classes[1]
        for col, name in dense.items():
            allowed = _EVIDENCE_ONLY_FOR.get(self.name, {}).get(name)
            if allowed is not None:
                weights[[k for k, c in enumerate(self.classes) if c not in allowed], col] = 0.0
        weights[[k for k, c in enumerate(self.classes) if c in _NOTHING_TO_SHOW.get(self.name, ())]] = 0.0
        values = np.array([DENSE_NAMES.index(n) for n in f.dense_names_], dtype=np.int64)
        seen = getattr(f, "word_seen_", None)
        self._shown: _Shown | None = _Shown(mask, weights, f.n_features, dense, f.dense_offset, values, seen)
        return self._shown

    def _evidence(self, features: Any, winners: np.ndarray, views: Any, limit: int,
                  entries: ShownEntries | None = None) -> list[list[str]]:  # fmt: skip
        """For each reply, the named features that pushed it most towards its predicted label: contributions
        (value x weight of the winning class) of the columns that may be shown, for the whole batch at once,
        then the top few per reply."""
        shown = self._evidence_columns()
        n = features.shape[0]
        if entries is None:
            entries = ShownEntries.of(features, shown.mask)
        # a word column is shown as the n-gram the reply holds there, when it is worth showing: every n-gram
        # hashed to a column shares it, so it need not be the training n-gram it is named after (``column_name``);
        # a dense feature is shown when present (an absent one has no words behind it)
        grams = self.featurizer.word_grams(views.tokens)
        can = entries.showable(grams, views, shown)
        mine = np.flatnonzero(shown.mask[can.cols])  # entries found for several classifiers: this one's
        row_of, cols = can.rows[mine], can.cols[mine]
        # each entry's weight for its reply's winning class, read from the flat weights (a 2-D index reads
        # the same numbers at twice the cost)
        contrib = can.data[mine] * shown.weights.take(winners[row_of] * shown.weights.shape[1] + cols)
        keep = np.flatnonzero(contrib > 0)
        keep = keep[rank_in_rows(row_of[keep], contrib[keep])]
        rows = row_of[keep]
        starts = np.searchsorted(rows, np.arange(n + 1))
        rank = np.arange(len(keep)) - starts[rows]
        keep = keep[rank < 2 * limit]  # a few spare for n-grams inside one another
        rows, cols, first, length = row_of[keep], cols[keep], can.first[mine[keep]], can.length[mine[keep]]
        out: list[list[str]] = [[] for _ in range(n)]
        keys: list[list[str]] = [[] for _ in range(n)]  # each reply's evidence lower-cased, as _show compares it
        names, n_words = shown.dense, shown.n_words
        word = cols < n_words
        at, end = np.zeros(len(cols), np.int64), np.zeros(len(cols), np.int64)
        at[word], end[word], text = grams.shown(first[word], length[word])
        foreign = views.foreign  # replies in another language: their stop words are not worth showing either
        for i, col, a, b in zip(rows.tolist(), cols.tolist(), at.tolist(), end.tolist(), strict=True):
            found = out[i]
            if len(found) >= limit:
                continue
            if col >= n_words:
                for w in views.evidence(i, names[col]):
                    _show(found, keys[i], w)
            elif i not in foreign or worth_showing_in(text[a:b], foreign[i]):
                _show(found, keys[i], text[a:b])
        return [found[:limit] for found in out]


def _show(found: list[str], keys: list[str], item: str) -> None:
    """Adds ``item`` to a reply's evidence unless it reads inside an item already there (whole words,
    case-insensitively); an item it holds gives way to it ("Thanks" to "Thanks for reaching out", not "Hi"
    to "reaching out"). ``keys``: the items of ``found`` lower-cased, kept alongside them (a reply's items are
    compared with every item that comes after them: lower-cased once, not at every comparison). Most items
    are in no other, so a plain substring test comes before the whole-word one (``_within``)."""
    key = item.lower()
    if not key.strip():
        return
    for k, held in enumerate(keys):
        if key in held and _within(key, held):
            return
        if held in key and _within(held, key):
            found[k], keys[k] = item, key
            gone = [j for j in range(k + 1, len(keys)) if keys[j] in key and _within(keys[j], key)]
            for j in reversed(gone):
                del found[j], keys[j]
            return
    found.append(item)
    keys.append(key)


def _within(part: str, whole: str) -> bool:
    """Whether ``part`` is in ``whole`` as whole words (not "hi" in "reaching")."""
    at = whole.find(part)
    if at < 0 or part == whole:
        return at >= 0
    n, size = len(part), len(whole)
    starts, ends = part[0].isalnum(), part[-1].isalnum()  # only a word character needs a boundary
    while at >= 0:
        if not (starts and at > 0 and _word_char(whole[at - 1])) and not (
            ends and at + n < size and _word_char(whole[at + n])
        ):
            return True
        at = whole.find(part, at + 1)
    return False


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class LinearScores:
    """The decision scores of several classifiers' linear models over the same features, in one pass over
    the features (one matrix of all their weights): what each one's ``decision_function`` gives, bit for
    bit, at a quarter of the cost for the four labels."""

    def __init__(self, classifiers: Sequence[ReplyClassifier]) -> None:
        linears = [c._linear() for c in classifiers]
        self.weights = np.ascontiguousarray(np.hstack([lin.coef_.T for lin in linears]))
        self.intercepts = [lin.intercept_ for lin in linears]
        self.bounds = np.cumsum([0] + [lin.coef_.shape[0] for lin in linears]).tolist()

    def __call__(self, features: Any) -> list[np.ndarray]:
        """Each classifier's scores: a column per class (one for a binary classifier)."""
        raw = features @ self.weights
        return [raw[:, a:b] + b0 for a, b, b0 in zip(self.bounds, self.bounds[1:], self.intercepts, strict=False)]
