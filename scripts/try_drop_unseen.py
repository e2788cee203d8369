"""Should the features leave out the word (and character) n-grams training never met? (session 24: no;
models/README.md has the figures). Read on the TRAINING labels only.

A hashed column is shared by every n-gram hashed to it, so an n-gram training never met adds the weight its
column learnt from other n-grams: noise, one would think. Each of select_features.py's folds (grouped by
conversation) fits the shipped featurizer on its training part; the held-out part is then featurized three
ways: as shipped; without the word n-grams the training part never held (``features.seen_keys`` of every
training n-gram); without those and the unseen character n-grams. Plain class-balanced logistic regression
per label at the label's shipped C on the training part (the same model for the three ways); pooled
out-of-fold macro-F1 and log loss, and for tone unfriendly average precision and F1.

    python scripts/try_drop_unseen.py      # about 25 minutes on 2 cores
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
from sklearn.metrics import average_precision_score, f1_score, log_loss

from qa_toolkit.classifiers.models import LABEL_SETS, make_pipeline_for
from qa_toolkit.features import ReplyFeaturizer, _char_units, _counts, _ngram_columns, _tfidf, seen_keys

WAYS = ("as shipped", "without unseen words", "without unseen words and characters")


def _ngrams(f: ReplyFeaturizer, tokens):  # type: ignore[no-untyped-def]
    """(rows, columns, keys) of the word n-grams and of the character n-grams of a batch's tokens."""
    grams = f.word_grams(tokens)
    rows, cols, _, _ = grams._found
    units, groups, char_rows = _char_units(tokens.texts)
    where: list[np.ndarray] = []
    c_rows, c_cols = _ngram_columns(units, groups, char_rows, f.char_ngrams, f.n_features, where)
    return (rows, cols, seen_keys(grams.hashes, f.n_features)), (c_rows, c_cols, seen_keys(where[2], f.n_features))


def _fold(contexts, labels, tr, te):  # type: ignore[no-untyped-def]
    train, held = [contexts[i] for i in tr], [contexts[i] for i in te]
    f = ReplyFeaturizer().fit(train)
    nf, n = f.n_features, len(held)
    word_tr, char_tr = _ngrams(f, f._tokens(train))
    word, char = _ngrams(f, f._tokens(held))
    keep_w, keep_c = np.isin(word[2], word_tr[2]), np.isin(char[2], char_tr[2])
    words = _tfidf(_counts(word[0][keep_w], word[1][keep_w], n, nf), f.word_idf_)
    chars = _tfidf(_counts(char[0][keep_c], char[1][keep_c], n, nf), f.char_idf_)
    X, X_held = f.transform(train).tocsr(), f.transform(held).tocsr()
    ways = dict(zip(WAYS, (X_held, sp.hstack([words, X_held[:, nf:]], format="csr"),
                           sp.hstack([words, chars, X_held[:, 2 * nf:]], format="csr")), strict=True))  # fmt: skip
    out = {}
    for name in LABEL_SETS:
        C = make_pipeline_for(name).named_steps["clf"].C
        linear = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        linear.fit(X, np.array([labels[i][name] for i in tr]))
        out[name] = (linear.classes_, {way: linear.predict_proba(M) for way, M in ways.items()})
    return te, out, (1 - keep_w.mean(), 1 - keep_c.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    _, train, folds = training_folds()
    t0 = time.time()
    runs = Parallel(n_jobs=args.jobs)(delayed(_fold)(train.contexts, train.labels, tr, te) for tr, te in folds)
    unseen = np.array([r[2] for r in runs])
    print(f"unseen in the held-out parts: word n-grams {unseen[:, 0].mean():.1%}, character n-grams "
          f"{unseen[:, 1].mean():.1%}")  # fmt: skip
    for name in LABEL_SETS:
        y = np.array([r[name] for r in train.labels])
        classes = runs[0][1][name][0]
        for way in WAYS:
            proba = np.zeros((len(y), len(classes)))
            for te, out, _ in runs:
                proba[te] = out[name][1][way]
            pred = classes[proba.argmax(1)]
            extra = ""
            if name == "tone":
                ap_u = average_precision_score(y == "unfriendly", proba[:, list(classes).index("unfriendly")])
                extra = f", unfriendly AP {ap_u:.3f} F1 {f1_score(y, pred, labels=['unfriendly'], average='macro'):.3f}"
            print(f"{name:16s} {way:38s} macro-F1 {f1_score(y, pred, average='macro'):.4f}, "
                  f"log loss {log_loss(y, proba, labels=classes):.4f}{extra}", flush=True)  # fmt: skip
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
