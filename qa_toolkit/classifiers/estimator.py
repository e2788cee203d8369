"""``CalibratedLinear``: a class-balanced logistic regression whose probabilities are calibrated on
out-of-fold scores and whose decisions are tuned, on the same out-of-fold probabilities, for macro-F1.

Why both: calibrated probabilities of a rare class (unfriendly replies are ~1-4%) are honestly small, so
the plain argmax almost never picks it; a team lead needs those replies found. Per-class decision weights,
learnt from the training data only (out-of-fold), decide the label; the confidence shown stays the
calibrated probability of that label.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

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

    Fitted: ``linear_`` (the model fitted on all data, whose coefficients explain a decision),
    ``calibrator_``, ``decision_weights_``, ``classes_``, ``oof_proba_`` is not kept (size)."""

    def __init__(self, *, C: float = 2.0, cv: int = 5, tune_decisions: bool = True, max_iter: int = 3000,
                 random_state: int = 0) -> None:  # fmt: skip
        self.C = C
        self.cv = cv
        self.tune_decisions = tune_decisions
        self.max_iter = max_iter
        self.random_state = random_state

    def _linear(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight="balanced", max_iter=self.max_iter)

    @staticmethod
    def _scores(linear: LogisticRegression, X: Any) -> np.ndarray:
        s = linear.decision_function(X)
        return s.reshape(-1, 1) if s.ndim == 1 else s

    def fit(self, X: Any, y: Any) -> CalibratedLinear:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(self._linear(), X, y, cv=folds, method="decision_function")
        oof = oof.reshape(-1, 1) if oof.ndim == 1 else oof
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(oof, y)
        self.linear_ = clone(self._linear()).fit(X, y)
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
