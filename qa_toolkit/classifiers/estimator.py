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
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

FEATURE_BLOCKS = frozenset({"word", "char", "dense", "strategies", "vectors"})  # ReplyFeaturizer.layout()'s block names
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


def weighted_decision(proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column index of the decided class for each row: ``argmax(proba * weights)``, computed on logs."""
    return np.argmax(np.log(np.clip(proba, 1e-12, None)) + np.log(weights), axis=1)


def new_calibrator() -> LogisticRegression:
    """The multinomial calibrator fitted on out-of-fold decision scores (nearly unregularised)."""
    return LogisticRegression(C=1e4, max_iter=1000)


def balancing_factors(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each row's class-balancing factor over weighted rows (total weight / (classes x its class's weight)):
    what scikit-learn's ``class_weight="balanced"`` gives with sample weights from 1.7 on."""
    classes = np.unique(y)
    per_class = np.array([weight[y == c].sum() for c in classes])
    return (weight.sum() / (len(classes) * per_class))[np.searchsorted(classes, y)]


class CalibratedLinear(ClassifierMixin, BaseEstimator):
    """Logistic regression (class-balanced) + a multinomial calibrator fitted on its out-of-fold decision
    scores + decision weights tuned on the calibrated out-of-fold probabilities. The folds are grouped by
    conversation when ``fit`` is given the groups (``qa-toolkit train`` gives them).

    ``skip``: feature blocks this model does not read (names from the featurizer's ``layout()``, passed to
    ``fit``): their columns are left out of the fit and get weight 0, so several models can still share one
    feature matrix (``LinearScores``).

    ``auxiliary_weight``: the sample weight of auxiliary examples passed to ``fit`` (``auxiliary=(X, y)``,
    e.g. politeness requests for tone). They join the training side of every out-of-fold split and the final
    fit; the calibrator and the decision weights are learnt only on the out-of-fold scores of the real rows,
    so probabilities stay calibrated for the replies the model is for.

    Fitted: ``linear_`` (the model fitted on all data, whose coefficients explain a decision),
    ``calibrator_``, ``decision_weights_``, ``classes_``, ``oof_proba_`` is not kept (size)."""

    def __init__(self, *, C: float = 2.0, cv: int = 5, tune_decisions: bool = True, max_iter: int = 3000,
                 random_state: int = 0, skip: tuple[str, ...] = (), auxiliary_weight: float = 0.0) -> None:  # fmt: skip
        self.C = C
        self.cv = cv
        self.tune_decisions = tune_decisions
        self.max_iter = max_iter
        self.random_state = random_state
        self.skip = skip
        self.auxiliary_weight = auxiliary_weight

    def __setstate__(self, state: dict) -> None:
        state.setdefault("skip", ())  # estimators saved before ``skip`` read every block
        state.setdefault("auxiliary_weight", 0.0)  # nor auxiliary examples
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
        unknown = sorted(set(skip) - FEATURE_BLOCKS)
        if unknown:
            known = ", ".join(sorted(FEATURE_BLOCKS))
            raise ValueError(f"no feature block named {', '.join(unknown)}; blocks are {known}")
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

    def fit(self, X: Any, y: Any, *, layout: Mapping[str, tuple[int, int]] | None = None,
            auxiliary: tuple[Any, Any] | None = None, groups: Any = None) -> CalibratedLinear:  # fmt: skip
        """``layout``: block name -> (first column, end), from the featurizer; needed when ``skip`` is set.
        ``auxiliary``: (X, y) of extra training examples, weighted ``auxiliary_weight`` (ignored at 0).
        ``groups``: each row's conversation group: the out-of-fold scores then come from folds that keep a
        conversation's replies together (stratified as far as the groups allow), so the calibrator and the
        decision weights learn from scores of conversations the fold's model has not seen."""
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        skipped = self._skipped_columns(X.shape[1], layout)
        keep = None
        if len(skipped):
            keep = np.ones(X.shape[1])
            keep[skipped] = 0.0
            X = sp.csr_matrix(X) @ sp.diags(keep, format="csr")
        if groups is not None and len(groups) != len(y):
            raise ValueError(f"{len(groups)} groups for {len(y)} rows")
        grouped = StratifiedGroupKFold if groups is not None else StratifiedKFold
        folds = list(grouped(n_splits=self.cv, shuffle=True, random_state=self.random_state).split(X, y, groups))
        for tr, _ in folds:  # a class no fold model learnt would get no honest out-of-fold score
            missing = sorted(set(self.classes_.tolist()) - set(np.unique(y[tr]).tolist()))
            if missing:
                raise ValueError(f"class {', '.join(map(str, missing))} is missing from a training fold: "
                                 f"too few examples{' or conversations' if groups is not None else ''} "
                                 f"for {self.cv} folds")  # fmt: skip
        aux_X, aux_y = self._auxiliary(auxiliary, X.shape[1], keep)
        if aux_y is None:
            oof = cross_val_predict(self._linear(), X, y, cv=folds, method="decision_function")
            self.linear_ = clone(self._linear()).fit(X, y)
        else:
            X = sp.csr_matrix(X)
            oof = np.zeros((len(y), 1 if len(self.classes_) == 2 else len(self.classes_)))
            for tr, te in folds:
                oof[te] = self._scores(self._fit_with(X[tr], y[tr], aux_X, aux_y), X[te])
            self.linear_ = self._fit_with(X, y, aux_X, aux_y)
        oof = oof.reshape(-1, 1) if oof.ndim == 1 else oof
        self.calibrator_ = new_calibrator().fit(oof, y)
        self.linear_.coef_[:, skipped] = 0.0  # all-zero columns: already 0 up to the solver's rounding
        oof_proba = self.calibrator_.predict_proba(oof)
        self.decision_weights_ = (
            tune_decision_weights(oof_proba, y, self.classes_) if self.tune_decisions else np.ones(len(self.classes_))
        )
        return self

    def _auxiliary(self, auxiliary: tuple[Any, Any] | None, n_columns: int,
                   keep: np.ndarray | None) -> tuple[Any, np.ndarray | None]:  # fmt: skip
        if auxiliary is None or not self.auxiliary_weight:
            return None, None
        aux_X, aux_y = sp.csr_matrix(auxiliary[0]), np.asarray(auxiliary[1])
        if aux_X.shape != (len(aux_y), n_columns):
            raise ValueError(f"auxiliary examples: {aux_X.shape[0]} rows of {aux_X.shape[1]} columns for "
                             f"{len(aux_y)} labels; the training matrix has {n_columns} columns")  # fmt: skip
        unknown = sorted(set(aux_y.tolist()) - set(self.classes_.tolist()))
        if unknown:
            raise ValueError(f"auxiliary labels {', '.join(map(str, unknown))} are not among the training classes "
                             f"({', '.join(map(str, self.classes_))})")  # fmt: skip
        return (aux_X if keep is None else aux_X @ sp.diags(keep, format="csr")), aux_y

    def _fit_with(self, X: Any, y: np.ndarray, aux_X: Any, aux_y: np.ndarray) -> LogisticRegression:
        """The linear model on real and auxiliary rows. Class-balanced over the weighted rows (an auxiliary
        row counts ``auxiliary_weight``), computed here: what scikit-learn's ``class_weight="balanced"`` does
        with sample weights from 1.7 on, while 1.5-1.6 counted every row once."""
        both = np.concatenate([y, aux_y])
        weight = np.concatenate([np.ones(len(y)), np.full(len(aux_y), float(self.auxiliary_weight))])
        weight = weight * balancing_factors(both, weight)
        linear = LogisticRegression(C=self.C, max_iter=self.max_iter)
        return linear.fit(sp.vstack([X, aux_X], format="csr"), both, sample_weight=weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "linear_")
        return self.calibrator_.predict_proba(self._scores(self.linear_, X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Column index of the decided class for each row of probabilities."""
        return weighted_decision(proba, self.decision_weights_)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.decide(self.predict_proba(X))]
