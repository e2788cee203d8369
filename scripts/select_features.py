"""Choose features and regularisation by cross-validation on the TRAINING labels only (never the evaluation
set): 5-fold cross-validation grouped by conversation, plain class-balanced logistic regression, macro-F1
per label for each candidate featurizer configuration.

    python scripts/select_features.py                 # the predefined candidates
    python scripts/select_features.py --configs '[{"char_ngrams": null}, {"word_ngrams": [1, 2]}]'
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.classifiers.training import load_labelled, training_label_records
from qa_toolkit.datasets import shared_data_dir
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

CANDIDATES = [
    {},
    {"char_ngrams": None},
    {"char_ngrams": [3, 5]},
    {"word_ngrams": [1, 2], "char_ngrams": None},
    {"char_ngrams": None, "dense_weight": 2.0},
]


def _fold(config: dict, C: float, contexts, labels, train_idx, test_idx, names, extra):  # type: ignore[no-untyped-def]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    f = ReplyFeaturizer(**params).fit([contexts[i] for i in train_idx])
    Xtr = f.transform([contexts[i] for i in train_idx])
    Xte = f.transform([contexts[i] for i in test_idx])
    out = {}
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    for name in names:
        y = np.array([r[name] for r in labels])
        if name == "tone" and extra is not None:  # extra tone examples (e.g. politeness extremes), training folds only
            ex_contexts, ex_y, ex_weight = extra
            X = sp.vstack([Xtr, f.transform(ex_contexts)])
            w = np.concatenate([np.ones(len(train_idx)), np.full(len(ex_y), ex_weight)])
            out[name] = clone(lr).fit(X, np.concatenate([y[train_idx], ex_y]), sample_weight=w).predict(Xte)
        else:
            out[name] = clone(lr).fit(Xtr, y[train_idx]).predict(Xte)
    return test_idx, out


def politeness_extremes(data_dir, site: str) -> tuple[list[ReplyContext], np.ndarray]:  # type: ignore[no-untyped-def]
    """Top-quartile requests of one politeness site as friendly, bottom quartile as unfriendly."""
    import csv

    name = {"wikipedia": "wikipedia.annotated.csv", "stack-exchange": "stack-exchange.annotated.csv"}[site]
    with open(data_dir / "stanford-politeness" / name, encoding="latin-1", newline="") as fh:
        rows = []
        for r in csv.DictReader(fh):
            try:
                rows.append((r["Request"].replace("&lt;url&gt;", "URL"), float(r["Normalized Score"])))
            except (TypeError, ValueError):
                continue
    scores = np.array([s for _, s in rows])
    lo, hi = np.quantile(scores, [0.25, 0.75])
    picked = [(t, "friendly" if s >= hi else "unfriendly") for t, s in rows if s >= hi or s <= lo]
    return [ReplyContext(t, (), "en") for t, _ in picked], np.array([y for _, y in picked])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", type=json.loads, default=CANDIDATES)
    ap.add_argument("--C", type=float, nargs="*", default=[2.0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--labels", nargs="*", default=list(LABEL_SETS), help="which labels to evaluate")
    ap.add_argument(
        "--politeness",
        choices=["wikipedia", "stack-exchange"],
        default=None,
        help="add that site's top/bottom-quartile requests as friendly/unfriendly tone examples",
    )
    ap.add_argument("--politeness-weight", type=float, default=0.3)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    train = load_labelled(training_label_records(data), data)
    contexts, labels = train.contexts, train.labels
    groups = [r["item"].split("#")[0] for r in labels]
    strat = [r["tone"] for r in labels]  # keep the rare unfriendly replies in every fold
    extra = None
    if args.politeness:
        ex_contexts, ex_y = politeness_extremes(data, args.politeness)
        extra = (ex_contexts, ex_y, args.politeness_weight)
        print(f"+ {len(ex_y):,} {args.politeness} politeness extremes, weight {args.politeness_weight}")
    folds = list(StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=7).split(contexts, strat, groups))
    print(f"{len(contexts):,} training replies, {args.folds} folds grouped by conversation")
    print(f"{'config':55s} {'C':>5s} " + " ".join(f"{n[:8]:>8s}" for n in args.labels) + "  unfr-F1   secs")
    for config in args.configs:
        for C in args.C:
            t0 = time.time()
            runs = Parallel(n_jobs=args.jobs)(
                delayed(_fold)(config, C, contexts, labels, tr, te, args.labels, extra) for tr, te in folds
            )
            scores, unfriendly = [], 0.0
            for name in args.labels:
                y = np.array([r[name] for r in labels])
                pred = np.empty(len(y), dtype=object)
                for te, out in runs:
                    pred[te] = out[name]
                scores.append(f1_score(y, pred.astype(str), average="macro"))
                if name == "tone":
                    unfriendly = f1_score(y, pred.astype(str), labels=["unfriendly"], average="macro")
            print(f"{json.dumps(config):55s} {C:5.2f} " + " ".join(f"{s:8.3f}" for s in scores)
                  + f"  {unfriendly:7.3f} {time.time() - t0:6.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
