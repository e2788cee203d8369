"""Two questions about the tone model, read on the TRAINING splits only (session 23: no to both;
models/README.md has the figures).

1. ``--class-weights``: does the strength of the class balancing change how well unfriendly replies are
   ranked and found? The linear model's sample weights are the balancing factor raised to a power ``a``
   (1: balanced, as shipped; 0.5: its square root; ...), the Stack Exchange politeness extremes at 0.3 on
   each training side, as shipped. select_features.py's folds (grouped by conversation); pooled
   out-of-fold probabilities of the plain logistic regression; unfriendly average precision, argmax
   macro-F1, and macro-F1 after the shipped estimator's two steps, each learnt on one half of the
   conversations and applied to the other (both ways): a multinomial calibrator on the log-probabilities,
   then per-class decision weights tuned on its calibrated probabilities (``tune_decision_weights``). The
   shipped estimator learns them on out-of-fold scores of all training replies; this is a stand-in.
2. ``--transfer``: do the word vectors carry the support replies' tone over to requests between people?
   Tone as a plain balanced logistic regression (not the calibrated tone model) trained on the support
   replies alone (no politeness rows), with and without the word-vector block, read on the Stack Exchange
   requests (the site training adds later: Wikipedia, the external check, is
   not read): Spearman with the human politeness score and the published task's quartile accuracy.

    python scripts/try_tone_weighting.py --class-weights 1 0.5 0.25   # about 15 minutes on 2 cores
    python scripts/try_tone_weighting.py --transfer                   # about 7 minutes
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.stats import spearmanr
from select_features import training_folds  # type: ignore[import-not-found]
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score

from qa_toolkit.classifiers.estimator import balancing_factors, new_calibrator, tune_decision_weights, weighted_decision
from qa_toolkit.classifiers.external import politeness_extremes, politeness_requests, quartile_accuracy
from qa_toolkit.classifiers.models import POLITENESS_WEIGHT
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

C = 2.0  # tone's shipped C


def _fold(contexts, y, tr, te, extra, extra_y, powers):  # type: ignore[no-untyped-def]
    f = ReplyFeaturizer(vector_weight=None).fit([contexts[i] for i in tr])  # tone skips the vectors
    X = sp.vstack([f.transform([contexts[i] for i in tr]), f.transform(extra)], format="csr")
    X_test = f.transform([contexts[i] for i in te])
    both = np.concatenate([y[tr], extra_y])
    weight = np.concatenate([np.ones(len(tr)), np.full(len(extra_y), POLITENESS_WEIGHT)])
    factor = balancing_factors(both, weight)  # as CalibratedLinear balances
    out = {}
    for a in powers:
        linear = LogisticRegression(C=C, max_iter=3000).fit(X, both, sample_weight=weight * factor**a)
        out[a] = linear.predict_proba(X_test)
    return te, out, list(linear.classes_)


def conversation_halves(groups: list[str]) -> np.ndarray:
    """Whether each reply's conversation is in the first of two random halves of the conversations (seed 0)."""
    groups_ = np.array(groups)
    names = np.unique(groups_)
    first = set(np.random.default_rng(0).permutation(names)[: len(names) // 2].tolist())
    return np.array([g in first for g in groups_])


def cross_tuned(proba: np.ndarray, y: np.ndarray, classes: np.ndarray,
                half: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
    """The shipped estimator's two steps as a stand-in, learnt on one half and applied to the other (both
    ways): a calibrator on the log-probabilities, then decision weights tuned on its probabilities. The
    decided labels, and the weights tuned on each half."""
    pred = np.empty(len(y), dtype=object)
    weights = []
    logp = np.log(np.clip(proba, 1e-12, None))
    for tune, apply in ((half, ~half), (~half, half)):
        calibrator = new_calibrator().fit(logp[tune], y[tune])
        w = tune_decision_weights(calibrator.predict_proba(logp[tune]), y[tune], classes)
        weights.append(w)
        pred[apply] = classes[weighted_decision(calibrator.predict_proba(logp[apply]), w)]
    return pred.astype(str), weights


def class_weights(powers: list[float], jobs: int) -> None:
    data, train, folds = training_folds()
    y = np.array(train.y("tone"))
    texts, extra_y = politeness_extremes(data, "stack-exchange")
    extra = [ReplyContext(t, (), "en") for t in texts]
    print(f"{len(y):,} training replies, {len(folds)} folds; + {len(extra_y):,} Stack Exchange extremes at "
          f"{POLITENESS_WEIGHT}; plain logistic regression at C {C:g}, sample weights = balancing ** a")  # fmt: skip
    t0 = time.time()
    runs = Parallel(n_jobs=jobs)(delayed(_fold)(train.contexts, y, tr, te, extra, np.array(extra_y), powers)
                                 for tr, te in folds)  # fmt: skip
    classes = np.array(runs[0][2])
    half = conversation_halves(train.groups())
    for a in powers:
        proba = np.zeros((len(y), len(classes)))
        for te, out, _ in runs:
            proba[te] = out[a]
        pred, weights = cross_tuned(proba, y, classes, half)
        tuned = [" ".join(f"{c} {x:.2f}" for c, x in zip(classes, w, strict=True)) for w in weights]
        ap = average_precision_score(y == "unfriendly", proba[:, list(classes).index("unfriendly")])
        print(f"a={a:g}: unfriendly average precision {ap:.3f}"
              f", argmax macro-F1 {f1_score(y, classes[proba.argmax(1)], average='macro'):.4f}, cross-tuned "
              f"macro-F1 {f1_score(y, pred, average='macro'):.4f} (unfriendly F1 "
              f"{f1_score(y, pred, labels=['unfriendly'], average='macro'):.3f}); decision weights "
              f"{' / '.join(tuned)}", flush=True)  # fmt: skip
    print(f"{time.time() - t0:.0f} s")


def transfer() -> None:
    data, train, _ = training_folds()
    y = np.array(train.y("tone"))
    texts, scores = politeness_requests(data, "stack-exchange")
    requests = [ReplyContext(t, (), "en") for t in texts]
    for vectors in (False, True):
        f = ReplyFeaturizer(**({} if vectors else {"vector_weight": None})).fit(train.contexts)
        linear = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(f.transform(train.contexts), y)
        proba, classes = linear.predict_proba(f.transform(requests)), list(linear.classes_)
        friendliness = proba[:, classes.index("friendly")] - proba[:, classes.index("unfriendly")]
        print(f"{'with' if vectors else 'without'} word vectors: Stack Exchange Spearman "
              f"{spearmanr(friendliness, scores).statistic:.3f}, quartile accuracy "
              f"{quartile_accuracy(friendliness, scores)[0]:.1%}", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--class-weights", type=float, nargs="+", metavar="A", help="powers of the balancing factor")
    ap.add_argument("--transfer", action="store_true", help="the word vectors' transfer to Stack Exchange")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not args.class_weights and not args.transfer:
        ap.error("give --class-weights A... or --transfer")
    if args.class_weights:
        class_weights(args.class_weights, args.jobs)
    if args.transfer:
        transfer()


if __name__ == "__main__":
    main()
