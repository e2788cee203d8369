"""Choose features and regularisation by cross-validation on the TRAINING labels only (never the evaluation
set): 5-fold cross-validation grouped by conversation, plain class-balanced logistic regression (or, with
--shipped, the shipped calibrated estimator), macro-F1 per label for each candidate featurizer configuration.

    python scripts/select_features.py                 # the predefined candidates
    python scripts/select_features.py --configs '[{"char_ngrams": null}, {"word_ngrams": [1, 2]}]'
    python scripts/select_features.py --shipped --configs '[{}]' --labels resolution --C 10 30
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from qa_toolkit.classifiers.estimator import FEATURE_BLOCKS
from qa_toolkit.classifiers.external import politeness_extremes
from qa_toolkit.classifiers.models import LABEL_SETS, make_pipeline_for
from qa_toolkit.classifiers.training import LabelledSet, load_labelled, merge_same_replies, training_label_records
from qa_toolkit.datasets import shared_data_dir
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

CANDIDATES = [
    {},
    {"char_ngrams": None},
    {"char_ngrams": [3, 5]},
    {"word_ngrams": [1, 2], "char_ngrams": None},
    {"char_ngrams": None, "dense_weight": 2.0},
]


def _fold(config: dict, C: float | None, contexts, labels, train_idx, test_idx, names, extra, shipped, skip=None):  # type: ignore[no-untyped-def]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    f = ReplyFeaturizer(**params).fit([contexts[i] for i in train_idx])
    Xtr = f.transform([contexts[i] for i in train_idx]).tocsr()
    Xte = f.transform([contexts[i] for i in test_idx]).tocsr()
    out = {}
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    for name in names:
        y = np.array([r[name] for r in labels])
        aux = None
        if name == "tone" and extra is not None:  # extra tone examples (e.g. politeness extremes), training folds only
            ex_contexts, ex_y, ex_weight = extra
            aux = (f.transform(ex_contexts), ex_y, ex_weight)
        if shipped:  # the shipped estimator (its C unless given, skipped blocks, calibration and decision weights)
            clf = clone(make_pipeline_for(name).named_steps["clf"])
            if C is not None:  # --C given: instead of the label's shipped C
                clf.set_params(C=C)
            if skip is not None:  # --skip given: the blocks left out, instead of the label's own
                clf.set_params(skip=tuple(skip))
            if aux is not None:
                clf.set_params(auxiliary_weight=aux[2])
            clf.fit(Xtr, y[train_idx], layout=f.layout(), auxiliary=None if aux is None else aux[:2])
            out[name] = clf.predict(Xte)
        elif aux is not None:
            w = np.concatenate([np.ones(len(train_idx)), np.full(len(aux[1]), aux[2])])
            X = sp.vstack([Xtr, aux[0]])
            out[name] = clone(lr).fit(X, np.concatenate([y[train_idx], aux[1]]), sample_weight=w).predict(Xte)
        else:
            out[name] = clone(lr).fit(Xtr, y[train_idx]).predict(Xte)
    return test_idx, out


def training_folds(n_folds: int = 5) -> tuple[Path, LabelledSet, list[tuple[np.ndarray, np.ndarray]]]:
    """../shared/data, the training labels with their texts, and the cross-validation folds every selection
    script uses: grouped by conversation, stratified by tone (so the rare unfriendly replies are in every
    fold), a fixed seed."""
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    # one row per reply and folds grouped by conversation, as `qa-toolkit train` (training.merge_same_replies);
    # the few replies with a label their readings left unsettled (None) are left out here, where every label
    # of a row is scored
    merged, _ = merge_same_replies(load_labelled(training_label_records(data), data), list(LABEL_SETS))
    rows = [i for i, r in enumerate(merged.labels) if all(r[n] is not None for n in LABEL_SETS)]
    tweets = None if merged.tweets is None else [merged.tweets[i] for i in rows]
    train = LabelledSet([merged.contexts[i] for i in rows], [merged.labels[i] for i in rows], tweets)
    groups = train.groups()
    strat = [r["tone"] for r in train.labels]
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=7)
    return data, train, list(splitter.split(train.contexts, strat, groups))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", type=json.loads, default=CANDIDATES)
    ap.add_argument(
        "--C",
        type=float,
        nargs="+",
        default=None,
        help="inverse regularisation, one run each (default 2.0; with --shipped, each label's own)",
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--labels", nargs="*", default=list(LABEL_SETS), help="which labels to evaluate")
    ap.add_argument(
        "--politeness",
        choices=["wikipedia", "stack-exchange"],
        default=None,
        help="add that site's top/bottom-quartile requests as tone examples (friendly / --impolite-as)",
    )
    ap.add_argument("--politeness-weight", type=float, nargs="+", default=None,
                    help="weights of the politeness examples, one run each (0: none); default 0.3")  # fmt: skip
    ap.add_argument("--impolite-as", choices=["neutral", "unfriendly"], default="neutral",
                    help="the tone label given to bottom-quartile requests")  # fmt: skip
    ap.add_argument("--shipped", action="store_true",
                    help="fit the shipped estimators (CalibratedLinear: each label's C unless --C is given, its "
                    "skipped blocks, calibration and decision weights) on each --configs featurizer; tone gets "
                    "politeness examples only with --politeness")  # fmt: skip
    ap.add_argument("--skip", nargs="*", default=None, choices=sorted(FEATURE_BLOCKS), metavar="BLOCK",
                    help="with --shipped: the feature blocks that every --labels model leaves out (e.g. vectors "
                    "strategies), instead of each one's own; --skip alone: every block read")  # fmt: skip
    args = ap.parse_args()
    if args.skip is not None and not args.shipped:
        ap.error("--skip needs --shipped")
    if args.C and min(args.C) <= 0:
        ap.error("--C must be positive")
    data, train, folds = training_folds(args.folds)
    contexts, labels = train.contexts, train.labels
    if args.politeness_weight is not None and not args.politeness:
        ap.error("--politeness-weight needs --politeness")
    args.politeness_weight = args.politeness_weight or [0.3]
    extras: list = [None]
    if args.politeness:
        texts, ex_y = politeness_extremes(data, args.politeness, impolite_as=args.impolite_as)
        ex_contexts = [ReplyContext(t, (), "en") for t in texts]
        extras = [(ex_contexts, np.array(ex_y), w) if w else None for w in args.politeness_weight]
        print(f"+ {len(ex_y):,} {args.politeness} politeness extremes (impolite as {args.impolite_as}), "
              f"weights {args.politeness_weight}")  # fmt: skip
    print(f"{len(contexts):,} training replies, {args.folds} folds grouped by conversation")
    print(f"{'config':55s} {'C':>5s} " + " ".join(f"{n[:8]:>8s}" for n in args.labels) + "  unfr-F1   secs")
    Cs = args.C or ([None] if args.shipped else [2.0])
    for config, C, extra in itertools.product(args.configs, Cs, extras):
        t0 = time.time()
        runs = Parallel(n_jobs=args.jobs)(
            delayed(_fold)(config, C, contexts, labels, tr, te, args.labels, extra, args.shipped, args.skip)
            for tr, te in folds
        )
        scores, unfriendly = [], "-"  # unfriendly F1 only when tone is evaluated
        for name in args.labels:
            y = np.array([r[name] for r in labels])
            pred = np.empty(len(y), dtype=object)
            for te, out in runs:
                pred[te] = out[name]
            scores.append(f1_score(y, pred.astype(str), average="macro"))
            if name == "tone":
                unfriendly = f"{f1_score(y, pred.astype(str), labels=['unfriendly'], average='macro'):.3f}"
        weight = f" +polite {extra[2]}" if extra else ""
        skipped = f" skip={','.join(args.skip) or '-'}" if args.skip is not None else ""
        shown = ("ship" if C is None else f"s{C:g}") if args.shipped else f"{C:g}"  # s: the shipped estimator
        print(f"{json.dumps(config) + weight + skipped:55s} {shown:>5s} " + " ".join(f"{s:8.3f}" for s in scores)
              + f"  {unfriendly:>7s} {time.time() - t0:6.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
