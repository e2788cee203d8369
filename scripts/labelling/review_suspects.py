"""Write batches of already-labelled TRAINING replies for a blind re-reading, chosen where a cross-validated
model finds the given label least likely (confident-learning style), plus the training replies whose two
independent labels already disagree.

The model only chooses what people re-read. Each chosen reply is labelled again from scratch by a second
person who never sees the first labels (the same view and prompt as any batch); where the two disagree a
third person labels it blind too, and `scripts/labelling/adjudicate.py` keeps the majority per task
(labels/train-reviewed.jsonl). Texts go OUTSIDE the repository; training splits only.

    python scripts/labelling/review_suspects.py --out /work/labelwork --n 400 --prefix review1

The out-of-fold probabilities (5-fold, grouped by conversation, the shipped featurizer, plain class-balanced
logistic regression at the shipped C) take about 10 minutes on 2 cores; `--oof FILE` caches them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from make_batches import view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.classifiers.training import LABEL_FILES_TRAIN, load_labelled, training_label_records
from qa_toolkit.datasets import TRAIN_SPLITS, iter_reply_items, shared_data_dir

ROOT = Path(__file__).resolve().parents[2]


def out_of_fold(data: Path) -> dict[str, dict]:
    """item -> {"labels": {task: label}, "proba": {task: {class: p}}}, every probability out of fold."""
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold

    from qa_toolkit.classifiers.models import make_pipeline_for
    from qa_toolkit.features import ReplyFeaturizer

    shipped = {name: make_pipeline_for(name).named_steps["clf"] for name in LABEL_SETS}  # their C and skip

    train = load_labelled(training_label_records(data), data)
    ctx, labels = train.contexts, train.labels
    groups = train.groups()  # by conversation, a reply labelled under two ids in one group (as `train` folds)
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=11).split(
        ctx, [r["tone"] for r in labels], groups
    )

    def fold(tr: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, dict]:
        f = ReplyFeaturizer().fit([ctx[i] for i in tr])
        Xtr, Xte = f.transform([ctx[i] for i in tr]).tocsr(), f.transform([ctx[i] for i in te]).tocsr()
        layout, out = f.layout(), {}
        for name, clf in shipped.items():  # the feature blocks each shipped model reads, at its C
            left_out = [np.arange(*layout[b]) for b in clf.skipped_blocks() if b in layout]
            keep = np.setdiff1d(np.arange(Xtr.shape[1]), np.concatenate([*left_out, np.zeros(0, dtype=int)]))
            y = np.array([r[name] for r in labels])
            m = LogisticRegression(C=clf.C, class_weight="balanced", max_iter=3000).fit(Xtr[:, keep], y[tr])
            out[name] = (list(m.classes_), m.predict_proba(Xte[:, keep]))
        return te, out

    runs = Parallel(n_jobs=2)(delayed(fold)(tr, te) for tr, te in folds)
    res: dict[str, dict] = {r["item"]: {"labels": {n: r[n] for n in LABEL_SETS}, "proba": {}} for r in labels}
    for te, out in runs:
        for name, (classes, P) in out.items():
            for i, p in zip(te, P, strict=True):
                res[labels[i]["item"]]["proba"][name] = dict(zip(classes, map(float, p), strict=True))
    return res


def disagreeing_second_labels(first: dict[str, dict]) -> list[str]:
    """Training replies whose second, independent label differs from the first on any task."""
    out = []
    for line in (ROOT / "labels" / "second-labels.jsonl").read_text().splitlines():
        rec = json.loads(line)
        one = first.get(rec["item"])
        if one is not None and any(rec[t] != one[t] for t in LABEL_SETS):
            out.append(rec["item"])
    return sorted(set(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=400, help="replies to re-read (the disagreeing ones first)")
    ap.add_argument("--oof", type=Path, help="cache of the out-of-fold probabilities (JSON)")
    ap.add_argument("--exclude", type=Path, nargs="*", default=[],
                    help="JSONL label files whose items to leave out (train-reviewed.jsonl always is)")  # fmt: skip
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--prefix", default="review1")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    if args.oof and args.oof.exists():
        oof = json.loads(args.oof.read_text())
        now = {r["item"] for r in training_label_records(data)}
        if set(oof) != now:
            print(f"note: {args.oof} holds {len(oof):,} training labels, the label files {len(now):,}; "
                  f"{len(now - set(oof)):,} newer labels cannot be chosen (delete the file to recompute)")  # fmt: skip
    else:
        t0 = time.time()
        oof = out_of_fold(data)
        print(f"out-of-fold probabilities of {len(oof):,} training labels in {time.time() - t0:.0f} s")
        if args.oof:
            args.oof.write_text(json.dumps(oof))
    reviewed = ROOT / LABEL_FILES_TRAIN[2]  # a reply is reviewed once: its readings stay together
    done = {json.loads(x)["item"] for p in [*args.exclude, reviewed] if p.exists() for x in p.read_text().splitlines()
            if x.strip()}  # fmt: skip
    first = {i: r["labels"] for i, r in oof.items()}
    chosen: dict[str, str] = {i: "second-label-disagrees" for i in disagreeing_second_labels(first) if i not in done}
    # per task, the replies whose given label the out-of-fold model finds least likely; taken in turn
    ranked = {
        t: sorted((r["proba"][t][r["labels"][t]], i) for i, r in oof.items() if i not in done) for t in LABEL_SETS
    }
    pos = dict.fromkeys(LABEL_SETS, 0)
    while len(chosen) < args.n and any(pos[t] < len(ranked[t]) for t in LABEL_SETS):
        for t in LABEL_SETS:
            while pos[t] < len(ranked[t]) and ranked[t][pos[t]][1] in chosen:
                pos[t] += 1
            if pos[t] < len(ranked[t]) and len(chosen) < args.n:
                chosen[ranked[t][pos[t]][1]] = f"oof-unlikely-{t}"
    order = list(chosen)
    np.random.default_rng(args.seed).shuffle(order)  # batches mix the reasons; labellers never see them
    items = {it.item: it for s in TRAIN_SPLITS for it in iter_reply_items(s, data) if it.item in chosen}
    order = [i for i in order if i in items]
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for b in range(0, len(order), args.batch):
        name = f"{args.prefix}-{b // args.batch + 1:02d}"
        write_batch(args.out, name, [view(items[i]) for i in order[b : b + args.batch]])
        manifest.update({i: {"batch": name, "reason": chosen[i]} for i in order[b : b + args.batch]})
    (args.out / f"{args.prefix}-manifest.json").write_text(json.dumps(manifest, indent=1))
    reasons = {r: sum(1 for v in manifest.values() if v["reason"] == r) for r in sorted(set(chosen.values()))}
    print(f"{len(order)} replies in {(len(order) + args.batch - 1) // args.batch} batches: {reasons}")


if __name__ == "__main__":
    main()
