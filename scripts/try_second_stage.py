"""Would a second stage on top of the linear models help? (session 17: no; models/README.md has the table.)

Reads the TRAINING labels only (never the evaluation set). The four plain linear models (each label's shipped
C and skipped blocks; tone with the Stack Exchange politeness examples at the shipped weight) are fitted in
the 5 folds of select_features.py (grouped by conversation); their out-of-fold decision scores and the dense
features are cached (--cache). A second stage is then cross-validated on the same folds, with decision
weights tuned inside each training part, and compared with the shipped kind (a calibrator on the label's own
scores), by macro-F1 and per-class F1.

    python scripts/try_second_stage.py --cache /tmp/oof.npz              # about 20 minutes on 2 cores
    python scripts/try_second_stage.py --cache /tmp/oof.npz --labels tone # reuses the cache
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from select_features import training_folds  # type: ignore[import-not-found]
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from qa_toolkit.classifiers.estimator import tune_decision_weights, weighted_decision
from qa_toolkit.classifiers.models import LABEL_SETS, POLITENESS_WEIGHT, make_pipeline_for
from qa_toolkit.classifiers.training import auxiliary_examples
from qa_toolkit.features import ReplyFeaturizer

NAMES = list(LABEL_SETS)


def _fold(contexts, labels, aux, tr, te):  # type: ignore[no-untyped-def]
    f = ReplyFeaturizer().fit([contexts[i] for i in tr])
    Xtr = f.transform([contexts[i] for i in tr]).tocsr()
    Xte = f.transform([contexts[i] for i in te]).tocsr()
    lay = f.layout()
    out = {"te": te, "dense": Xte[:, lay["dense"][0] : lay["strategies"][1]].toarray()}
    for name in NAMES:
        clf = make_pipeline_for(name).named_steps["clf"]
        y = np.array([r[name] for r in labels])[tr]
        keep = np.ones(Xtr.shape[1])
        keep[clf._skipped_columns(Xtr.shape[1], lay)] = 0.0  # the columns the shipped estimator leaves out
        D = sp.diags(keep, format="csr")
        if name == "tone" and aux is not None:
            lin = clf._fit_with(Xtr @ D, y, f.transform(aux[0]).tocsr() @ D, np.array(aux[1]))
        else:
            lin = clf._linear().fit(Xtr @ D, y)  # class-balanced, the label's C
        s = lin.decision_function(Xte @ D)
        out[name] = s.reshape(-1, 1) if s.ndim == 1 else s
    return out


def out_of_fold(cache: Path, jobs: int) -> dict[str, np.ndarray]:
    if cache.is_file():
        return dict(np.load(cache, allow_pickle=True))
    data, train, folds = training_folds(5)  # the folds of select_features.py
    contexts, labels = train.contexts, train.labels
    aux = auxiliary_examples("tone", data, required=False) if POLITENESS_WEIGHT else None
    runs = Parallel(n_jobs=jobs)(delayed(_fold)(contexts, labels, aux, tr, te) for tr, te in folds)
    save: dict[str, np.ndarray] = {"fold": np.zeros(len(contexts), np.int64)}
    for k, (_, te) in enumerate(folds):
        save["fold"][te] = k
    for key in ["dense", *NAMES]:
        a = np.zeros((len(contexts), runs[0][key].shape[1]))
        for r in runs:
            a[r["te"]] = r[key]
        save[key] = a
    for name in NAMES:
        save[f"{name}_y"] = np.array([r[name] for r in labels])
    np.savez(cache, **save)
    return save


def cross_validated(y: np.ndarray, fold: np.ndarray, make, features: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Per-class F1 of a second stage, cross-validated on the first stage's folds."""
    classes = np.unique(y)
    pred = np.empty(len(y), dtype=object)
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        inner_cv = StratifiedKFold(5, shuffle=True, random_state=0)
        inner = cross_val_predict(make(), features[tr], y[tr], cv=inner_cv, method="predict_proba")
        weights = tune_decision_weights(inner, y[tr], classes)
        proba = make().fit(features[tr], y[tr]).predict_proba(features[te])
        pred[te] = classes[weighted_decision(proba, weights)]
    return f1_score(y, pred.astype(str), labels=classes, average=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="where the out-of-fold scores are kept (.npz)")
    ap.add_argument("--labels", nargs="*", default=["tone", "personalisation", "resolution"])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    d = out_of_fold(args.cache, args.jobs)
    all_scores = np.hstack([d[n] for n in NAMES])
    with_dense = np.hstack([all_scores, d["dense"]])

    def calibrator():  # type: ignore[no-untyped-def]
        return LogisticRegression(C=1e4, max_iter=2000)

    def linear():  # type: ignore[no-untyped-def]
        return LogisticRegression(C=1.0, max_iter=3000)

    def boosting(**kw):  # type: ignore[no-untyped-def]
        return lambda: HistGradientBoostingClassifier(random_state=0, **kw)

    slow = {"max_iter": 400, "learning_rate": 0.03, "min_samples_leaf": 40, "l2_regularization": 1.0}
    for name in args.labels:
        own, y = d[name], d[f"{name}_y"]
        stages = [
            ("calibrator on own scores (shipped)", calibrator, own),
            ("calibrator on all scores", calibrator, all_scores),
            ("logistic regression on all scores + dense", linear, with_dense),
            ("boosting on own scores", boosting(max_iter=200, learning_rate=0.05), own),
            ("boosting on all scores", boosting(max_iter=200, learning_rate=0.05), all_scores),
            ("boosting on all scores + dense", boosting(max_iter=200, learning_rate=0.05), with_dense),
            ("boosting, slower, on all scores + dense", boosting(**slow), with_dense),
        ]
        for label, make, features in stages:
            t0 = time.time()
            f1 = cross_validated(y, d["fold"], make, features)
            per = " ".join(f"{c} {v:.3f}" for c, v in zip(np.unique(y), f1, strict=True))
            print(f"{name:16s} {label:44s} {f1.mean():.3f}  {per}  {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
