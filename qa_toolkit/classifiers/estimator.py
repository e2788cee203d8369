"""``CalibratedLinear``: a class-balanced logistic regression whose probabilities are calibrated on
out-of-fold scores and whose decisions are tuned, on the same out-of-fold probabilities, for macro-F1.

Why both: calibrated probabilities of a rare class (unfriendly replies are ~1-4%) are honestly small, so
the plain argmax almost never picks it; a team lead needs those replies found. Per-class decision weights,
learnt from the training data only (out-of-fold), decide the label; the confidence shown stays the
calibrated probability of that label.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

_BLOCKS = frozenset({"word", "char", "dense", "vectors"})  # ReplyFeaturizer.layout()'s block names
_GRID = np.round(np.arange(-2.0, 2.01, 0.25), 2)  # log decision weights tried per class


def tune_decision_weights(proba: np.ndarray, y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Per-class multipliers on probabilities that maximise macro-F1 of ``argmax(proba * w)`` (the largest
    class keeps weight 1; a tie keeps the smaller change)."""
    k = len(classes)
    ref = int(np.argmax([np.sum(y == c) for c in classes]))
    others = [i for i in range(k) if i != ref]
    best, best_key = np.ones(k), (-1.0, 0.0)
    logp = np.log(np.clip(proba, 1e-12, None))
    for combo in itertools.product(_GRID, repeat=len(others)):
        logw = np.zeros(k)
        logw[others] = combo
        pred = classes[np.argmax(logp + logw, axis=1)]
        key = (round(float(f1_score(y, pred, labels=classes, average="macro", zero_division=0)), 4),
               -float(np.abs(logw).sum()))  # fmt: skip
        if key > best_key:
            best, best_key = np.exp(logw), key
    return best


class CalibratedLinear(ClassifierMixin, BaseEstimator):
    """Logistic regression (class-balanced) + a multinomial calibrator fitted on its out-of-fold decision
    scores + decision weights tuned on the calibrated out-of-fold probabilities.

    ``skip``: feature blocks this model does not read (names from the featurizer's ``layout()``, passed to
    ``fit``): their columns are left out of the fit and get weight 0, so several models can still share one
    feature matrix (``LinearScores``).

    Fitted: ``linear_`` (the model fitted on all data, whose coefficients explain a decision),
    ``calibrator_``, ``decision_weights_``, ``classes_``, ``oof_proba_`` is not kept (size)."""

    def __init__(self, *, C: float = 2.0, cv: int = 5, tune_decisions: bool = True, max_iter: int = 3000,
                 random_state: int = 0, skip: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.C = C
        self.cv = cv
        self.tune_decisions = tune_decisions
        self.max_iter = max_iter
        self.random_state = random_state
        self.skip = skip

    def __setstate__(self, state: dict) -> None:
        state.setdefault("skip", ())  # estimators saved before ``skip`` read every block
        super().__setstate__(state)

    def skipped_blocks(self) -> tuple[str, ...]:
        """``skip`` as a tuple of block names (a single name may be given as a string)."""
        return (self.skip,) if isinstance(self.skip, str) else tuple(self.skip)

    def _skipped_columns(self, n_columns: int, layout: Mapping[str, tuple[int, int]] | None) -> np.ndarray:
        skip = self.skipped_blocks()
        if not skip:
            return np.zeros(0, dtype=np.int64)
        if layout is None:
            raise ValueError(f"CalibratedLinear(skip={self.skip!r}) needs the featurizer's layout() to fit")
        unknown = sorted(set(skip) - _BLOCKS)
        if unknown:
            raise ValueError(f"no feature block named {', '.join(unknown)}; blocks are {', '.join(sorted(_BLOCKS))}")
        # a block the featurizer does not make (no word vectors, say) has nothing to leave out
        cols = np.concatenate([np.arange(*layout[b]) for b in skip if b in layout] + [[]]).astype(np.int64)
        if len(cols) and cols.max() >= n_columns:
            raise ValueError(f"the layout names column {cols.max()} of a matrix with {n_columns} columns")
        return cols

    def _linear(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight="balanced", max_iter=self.max_iter)

    @staticmethod
    def _scores(linear: LogisticRegression, X: Any) -> np.ndarray:
        s = linear.decision_function(X)
        return s.reshape(-1, 1) if s.ndim == 1 else s

    def fit(self, X: Any, y: Any, *, layout: Mapping[str, tuple[int, int]] | None = None) -> CalibratedLinear:
        """``layout``: block name -> (first column, end), from the featurizer; needed when ``skip`` is set."""
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        skipped = self._skipped_columns(X.shape[1], layout)
        if len(skipped):
            keep = np.ones(X.shape[1])
            keep[skipped] = 0.0
            X = sp.csr_matrix(X) @ sp.diags(keep, format="csr")
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(self._linear(), X, y, cv=folds, method="decision_function")
        oof = oof.reshape(-1, 1) if oof.ndim == 1 else oof
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(oof, y)
        self.linear_ = clone(self._linear()).fit(X, y)
        self.linear_.coef_[:, skipped] = 0.0  # all-zero columns: already 0 up to the solver's rounding
        oof_proba = self.calibrator_.predict_proba(oof)
        self.decision_weights_ = (
            tune_decision_weights(oof_proba, y, self.classes_) if self.tune_decisions else np.ones(len(self.classes_))
        )
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "linear_")
        return self.calibrator_.predict_proba(self._scores(self.linear_, X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Column index of the decided class for each row of probabilities."""
        return np.argmax(np.log(np.clip(proba, 1e-12, None)) + np.log(self.decision_weights_), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.decide(self.predict_proba(X))]
