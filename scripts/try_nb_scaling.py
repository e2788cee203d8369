"""Does naive-Bayes scaling of the n-gram columns help tone find unfriendly replies? (session 24: no;
models/README.md has the figures). Read on the TRAINING labels only.

NB-SVM style (Wang and Manning 2012): each word and character n-gram column is multiplied by how strongly
its presence tells classes apart, a smoothed log-count ratio r_c = log(p_c / |p_c|) - log(q_c / |q_c|) over
the training fold's weighted rows (presence counts, class-balanced weights, the Stack Exchange politeness
extremes at 0.3 as shipped): by max_c |r_c| ("max") or by |r_unfriendly| + 0.1 ("unfr"), to the power g, so
that the regularisation weighs discriminative n-grams less. The dense features are not scaled. Plain
logistic regression at tone's C on select_features.py's folds (grouped by conversation); pooled out-of-fold
probabilities; unfriendly average precision, argmax macro-F1, and macro-F1 after the shipped estimator's
two steps learnt on one half of the conversations and applied to the other (try_tone_weighting.py's
stand-in: a calibrator on the log-probabilities, then tuned decision weights).

    python scripts/try_nb_scaling.py       # about 30 minutes on 2 cores
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from select_features import training_folds  # type: ignore[import-not-found]
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from try_tone_weighting import conversation_halves, cross_tuned  # type: ignore[import-not-found]

from qa_toolkit.classifiers.estimator import balancing_factors
from qa_toolkit.classifiers.external import politeness_extremes
from qa_toolkit.classifiers.models import POLITENESS_WEIGHT
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

C = 2.0  # tone's shipped C
VARIANTS = [("base", None, 0.0), ("nb-max g0.5", "max", 0.5), ("nb-max g1", "max", 1.0),
            ("nb-unfr g0.5", "unfr", 0.5), ("nb-unfr g1", "unfr", 1.0)]  # fmt: skip


def log_count_ratios(X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """A row per class: each column's smoothed log-count ratio of that class against the rest."""
    present = X.copy()
    present.data[:] = 1.0
    out = []
    for c in classes:
        mine = y == c
        p = np.asarray(present[mine].T @ w[mine]).ravel() + 1.0
        q = np.asarray(present[~mine].T @ w[~mine]).ravel() + 1.0
        out.append(np.log(p / p.sum()) - np.log(q / q.sum()))
    return np.vstack(out)


def _fold(contexts, y, tr, te, extra, extra_y):  # type: ignore[no-untyped-def]
    f = ReplyFeaturizer(vector_weight=None).fit([contexts[i] for i in tr])  # tone skips the vectors
    X = sp.vstack([f.transform([contexts[i] for i in tr]), f.transform(extra)], format="csr")
    X_test = f.transform([contexts[i] for i in te]).tocsr()
    both = np.concatenate([y[tr], extra_y])
    weight = np.concatenate([np.ones(len(tr)), np.full(len(extra_y), POLITENESS_WEIGHT)])
    weight = weight * balancing_factors(both, weight)  # as CalibratedLinear balances
    classes = np.unique(both)
    ngrams = f.layout().get("char", f.layout()["word"])[1]  # word and character columns come first
    ratios = log_count_ratios(X[:, :ngrams], both, weight, classes)
    out = {}
    for name, kind, g in VARIANTS:
        scale = np.ones(X.shape[1])
        if kind == "max":
            scale[:ngrams] = np.abs(ratios).max(axis=0) ** g
        elif kind == "unfr":
            scale[:ngrams] = (np.abs(ratios[list(classes).index("unfriendly")]) + 0.1) ** g
        D = sp.diags(scale)
        linear = LogisticRegression(C=C, max_iter=3000).fit(X @ D, both, sample_weight=weight)
        out[name] = linear.predict_proba(X_test @ D)
    return te, out, classes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    data, train, folds = training_folds()
    y = np.array(train.y("tone"))
    texts, extra_y = politeness_extremes(data, "stack-exchange")
    extra = [ReplyContext(t, (), "en") for t in texts]
    t0 = time.time()
    runs = Parallel(n_jobs=args.jobs)(delayed(_fold)(train.contexts, y, tr, te, extra, np.array(extra_y))
                                      for tr, te in folds)  # fmt: skip
    classes = runs[0][2]
    half = conversation_halves(train.groups())
    for name, _, _ in VARIANTS:
        proba = np.zeros((len(y), len(classes)))
        for te, out, _ in runs:
            proba[te] = out[name]
        pred, _ = cross_tuned(proba, y, classes, half)
        ap_unfriendly = average_precision_score(y == "unfriendly", proba[:, list(classes).index("unfriendly")])
        print(f"{name:14s} unfriendly average precision {ap_unfriendly:.3f}, argmax macro-F1 "
              f"{f1_score(y, classes[proba.argmax(1)], average='macro'):.4f}, cross-tuned macro-F1 "
              f"{f1_score(y, pred, average='macro'):.4f} (unfriendly F1 "
              f"{f1_score(y, pred, labels=['unfriendly'], average='macro'):.3f})", flush=True)  # fmt: skip
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
