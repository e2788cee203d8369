"""Pipelines for the four labels, and ``ReplyClassifier``: calibrated probabilities plus evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from qa_toolkit.errors import UnknownNameError
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "tone": ("friendly", "neutral", "unfriendly"),
    "personalisation": ("personalised", "generic"),
    "apology": ("none", "templated", "specific"),
    "resolution": ("solution", "step", "none"),
}

# dense features worth showing a team lead, per label, and how to phrase their evidence
_EVIDENCE_FEATURES: dict[str, tuple[str, ...]] = {
    "tone": ("lex_greeting", "lex_thanks", "lex_empathy", "lex_sign_off", "lex_cold_blame", "lex_refusal",
             "name_used"),
    "personalisation": ("name_used", "overlap_specific", "numbers_from_customer", "overlap", "lex_channel_move"),
    "apology": ("lex_apology_templated", "apology_names_problem", "apology_for_delay", "apology", "lex_vague_object"),
    "resolution": ("lex_channel_move", "lex_info_request", "lex_follow_up", "lex_done_action", "lex_refusal"),
}  # fmt: skip


def _calibrated_lr(C: float, calibration: str) -> CalibratedClassifierCV:
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    return CalibratedClassifierCV(lr, method=calibration, cv=5, ensemble=False)


def _pipeline(*, C: float, calibration: str = "sigmoid", **featurizer: Any) -> Pipeline:
    return Pipeline([("features", ReplyFeaturizer(**featurizer)), ("clf", _calibrated_lr(C, calibration))])


def make_tone_pipeline(*, C: float = 2.0, calibration: str = "sigmoid", **featurizer: Any) -> Pipeline:
    return _pipeline(C=C, calibration=calibration, **featurizer)


def make_personalisation_pipeline(*, C: float = 2.0, calibration: str = "sigmoid", **featurizer: Any) -> Pipeline:
    return _pipeline(C=C, calibration=calibration, **featurizer)


def make_apology_pipeline(*, C: float = 4.0, calibration: str = "sigmoid", **featurizer: Any) -> Pipeline:
    return _pipeline(C=C, calibration=calibration, **featurizer)


def make_resolution_pipeline(*, C: float = 2.0, calibration: str = "sigmoid", **featurizer: Any) -> Pipeline:
    return _pipeline(C=C, calibration=calibration, **featurizer)


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


_PLACEHOLDERS = frozenset({"url", "handle", "signoff"})


def _informative(gram: str) -> bool:
    """An n-gram worth showing as evidence: not only stop words, punctuation or placeholders."""
    from qa_toolkit.features import _STOP

    tokens = [t for t in gram.split() if any(ch.isalnum() for ch in t)]
    return bool(tokens) and any(t not in _STOP and t not in _PLACEHOLDERS and len(t) > 1 for t in tokens)


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    evidence: list[str]
    probabilities: dict[str, float]


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
        return list(self.pipeline.named_steps["clf"].classes_)

    def _linear(self) -> LogisticRegression:
        return self.pipeline.named_steps["clf"].calibrated_classifiers_[0].estimator

    def predict(self, replies: Sequence[ReplyContext], *, features: Any = None, views: Any = None,
                names: Any = None, evidence: int = 3) -> list[Prediction]:  # fmt: skip
        """Label, confidence, evidence and all probabilities for each reply. ``features``/``views``/``names``
        may be passed in when several classifiers share one featurizer (computed once)."""
        if features is None:
            features, views = self.featurizer.transform_with_views(replies)
        features = features.tocsr()
        proba = self.pipeline.named_steps["clf"].predict_proba(features)
        classes = self.classes
        coef = self._linear().coef_
        if evidence and names is None:
            names = [self.featurizer.column_names_for(rc) for rc in replies]
        out = []
        for i in range(len(replies)):
            k = int(np.argmax(proba[i]))
            if coef.shape[0] == 1:  # binary: one row for classes[1]
                weights = coef[0] if k == 1 else -coef[0]
            else:
                weights = coef[k]
            found: list[str] = []
            if evidence:
                lo, hi = features.indptr[i], features.indptr[i + 1]
                found = self._evidence(features.indices[lo:hi], features.data[lo:hi], weights, names[i],
                                       views[i], evidence)  # fmt: skip
            out.append(Prediction(classes[k], float(proba[i, k]), found,
                                  {c: float(p) for c, p in zip(classes, proba[i], strict=True)}))  # fmt: skip
        return out

    def _evidence(self, cols: np.ndarray, vals: np.ndarray, weights: np.ndarray, names: dict[int, str],
                  view: Any, limit: int) -> list[str]:  # fmt: skip
        # word n-gram and dense columns are named; the character n-gram block in between is not
        f = self.featurizer
        char_end = f.n_features * (2 if f.char_ngrams is not None else 1)
        named = (cols < f.n_features) | (cols >= char_end)
        cols, vals = cols[named], vals[named]
        contrib = vals * weights[cols]
        order = np.argsort(-contrib)
        found: list[str] = []
        wanted = set(_EVIDENCE_FEATURES.get(self.name, ()))
        for j in order:
            if contrib[j] <= 0 or len(found) >= limit:
                break
            name = names.get(int(cols[j]))
            if name is None:
                continue
            if name.startswith("dense:"):
                feature = name[6:]
                if feature in wanted:
                    found.extend(w for w in view.evidence.get(feature, []) if w not in found)
            elif _informative(name):
                if not any(name in f or f in name for f in found):
                    found.append(name)
        return found[:limit]
