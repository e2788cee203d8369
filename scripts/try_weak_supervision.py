"""Would weak supervision add useful tone examples? (session 22: no; models/README.md has the figures.)

Labelling functions over lexicons and structure (warm wording, cold or blaming wording, refusals without
regret, shouting) vote on each reply; where they agree the reply gets a weak tone label. Reads the TRAINING
splits only (never the evaluation set):
1. each function's coverage and precision against the hand labels of the training replies, and the vote's;
2. the weak labels of the training replies nobody labelled by hand, added to each training part of
   select_features.py's folds (grouped by conversation; unlabelled replies of a test fold's conversations
   left out) at --weights, with plain balanced logistic regression at C 2; scored on the hand labels only.

    python scripts/try_weak_supervision.py                 # about 25 minutes on 2 cores
    python scripts/try_weak_supervision.py --weights 0.1 0.3 1
Needs ../shared/data (the texts of the labelled replies).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from select_features import training_folds  # type: ignore[import-not-found]
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from qa_toolkit.classifiers.training import context_of
from qa_toolkit.datasets import conversation_groups, conversation_tweets, iter_training_reply_items
from qa_toolkit.features import ReplyContext, ReplyFeaturizer
from qa_toolkit.language import fill_languages

TONES = ("friendly", "neutral", "unfriendly")
_HANDLES = re.compile(r"__\w+__|@\w+")
_GREETING = re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening)|howdy|greetings)\b", re.I)
_THANKS = re.compile(r"\b(thank|thanks|thx|appreciate)\w*", re.I)
_WARM = re.compile(
    r"\b(happy to|glad|love|hope|enjoy|pleasure|awesome|great|wonderful|welcome|understand|frustrat|safe travels|"
    r"have a (great|good|nice|wonderful))\w*|!|😊|🙂|❤|💙|😀|😃|👍|✈",
    re.I,
)
_COLD = re.compile(
    r"as (we|i) (have )?(already |previously )?(said|stated|mentioned|told|explained|advised|indicated)|"
    r"not (our|my) (problem|fault|responsibility)|nothing (more |else |further )?(we|i) can do|"
    r"you (should have|failed to|were told|were advised|chose to|agreed to|did not follow)|your responsibility|"
    r"we will not be (able|responding|commenting)|this matter is (now )?closed|(please )?refrain from|"
    r"no further (action|comment|correspondence)",
    re.I,
)
_REFUSAL = re.compile(
    r"\bwe (cannot|can't|can not|won't|will not|are unable|do not|don't) (offer|provide|refund|compensate|give|"
    r"make exceptions|change|honou?r|help)|\bno (refunds?|compensation|exceptions?)\b|"
    r"\bnot (eligible|entitled|possible|permitted|allowed)|\b(per|as per|according to) (our|the) "
    r"(policy|terms|rules|conditions)",
    re.I,
)
_REGRET = re.compile(r"\b(sorry|apolog|regret|unfortunately)\w*", re.I)
_SHOUTED = re.compile(r"\b[A-Z]{4,}\b")

# name -> (the tone it votes for, the test on the reply's text with handles taken out)
FUNCTIONS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "greeting": ("friendly", lambda t: bool(_GREETING.search(t))),
    "thanks": ("friendly", lambda t: bool(_THANKS.search(t))),
    "warm_wording": ("friendly", lambda t: bool(_WARM.search(t))),
    "cold_or_blaming": ("unfriendly", lambda t: bool(_COLD.search(t))),
    "refusal_without_regret": ("unfriendly", lambda t: bool(_REFUSAL.search(t)) and not _REGRET.search(t)),
    "shouting": ("unfriendly", lambda t: len(_SHOUTED.findall(t)) >= 3),
}


def votes(text: str) -> dict[str, str]:
    """The functions that fire on a reply, with the tone each votes for."""
    t = _HANDLES.sub("", text)
    return {name: tone for name, (tone, test) in FUNCTIONS.items() if test(t)}


def weak_label(text: str) -> str | None:
    """Friendly or unfriendly when only that side's functions fire; neutral when none fires on a reply of
    some length; None (abstain) when both sides fire or a short reply has none."""
    sides = set(votes(text).values())
    if len(sides) == 1:
        return sides.pop()
    if not sides and len(_HANDLES.sub("", text).strip()) > 25:
        return "neutral"
    return None


def _fold(contexts, y, tr, te, pool, pool_y, weights):  # type: ignore[no-untyped-def]
    f = ReplyFeaturizer().fit([contexts[i] for i in tr])
    Xtr = f.transform([contexts[i] for i in tr]).tocsr()
    Xte = f.transform([contexts[i] for i in te]).tocsr()
    Xpool = f.transform(pool).tocsr()
    out = {}
    for w in [0.0, *weights]:
        X, yy = (sp.vstack([Xtr, Xpool]), np.concatenate([y[tr], pool_y])) if w else (Xtr, y[tr])
        sw = np.concatenate([np.ones(len(tr)), np.full(len(pool_y), w)]) if w else None
        lr = LogisticRegression(C=2.0, class_weight="balanced", max_iter=3000)
        out[w] = lr.fit(X, yy, sample_weight=sw).predict(Xte)
    return te, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=float, nargs="+", default=[0.1, 0.3], help="weights of the weak examples")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    data, train, folds = training_folds(5)
    y = np.array(train.y("tone"))
    print(f"{len(y):,} hand-labelled training replies: each function against their tone labels")
    for name, (tone, _) in FUNCTIONS.items():
        fired = np.array([name in votes(c.text) for c in train.contexts])
        print(f"  {name:24s} votes {tone:10s} fires on {fired.sum():6,}  precision {np.mean(y[fired] == tone):.3f}")
    weak = np.array([weak_label(c.text) or "-" for c in train.contexts])
    for tone in TONES:
        m = weak == tone
        print(f"  the vote: {tone:10s} {m.sum():6,} replies, precision {np.mean(y[m] == tone):.3f}, "
              f"recall {np.sum(m & (y == tone)) / np.sum(y == tone):.3f}")  # fmt: skip

    labelled = {r["item"] for r in train.labels}
    items = [it for it in iter_training_reply_items(data) if it.item not in labelled]
    fill_languages(list({id(i.conversation): i.conversation for i in items}.values()))
    pool: list[ReplyContext] = [context_of(it) for it in items]
    pool_y = np.array([weak_label(c.text) or "-" for c in pool])
    print(f"{len(pool):,} training replies without a hand label; weak labels: "
          + ", ".join(f"{t} {np.sum(pool_y == t):,}" for t in (*TONES, "-")))  # fmt: skip
    groups = conversation_groups([r["item"] for r in train.labels] + [it.item for it in items],
                                 list(train.tweets or []) + [conversation_tweets(it) for it in items])  # fmt: skip
    hand_groups, pool_groups = np.array(groups[: len(y)]), np.array(groups[len(y) :])
    jobs = []
    for tr, te in folds:
        keep = (pool_y != "-") & ~np.isin(pool_groups, hand_groups[te])
        jobs.append(delayed(_fold)(train.contexts, y, tr, te, [pool[i] for i in np.flatnonzero(keep)],
                                   pool_y[keep], args.weights))  # fmt: skip
    t0 = time.time()
    runs = Parallel(n_jobs=args.jobs)(jobs)
    print("tone macro-F1 (per class F1), plain balanced logistic regression at C 2, 5 folds:")
    for w in [0.0, *args.weights]:
        pred = np.empty(len(y), dtype=object)
        for te, out in runs:
            pred[te] = out[w]
        pred = pred.astype(str)
        per = f1_score(y, pred, labels=list(TONES), average=None)
        shown = "hand labels only" if not w else f"+ weak labels at {w:g}"
        print(f"  {shown:24s} {f1_score(y, pred, average='macro'):.4f}  ("
              + ", ".join(f"{t} {f:.3f}" for t, f in zip(TONES, per, strict=True)) + ")")  # fmt: skip
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
