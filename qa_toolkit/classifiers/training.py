"""Training data for the reply classifiers (hand labels joined with ../shared/data) and evaluation."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, f1_score, precision_recall_fscore_support

from qa_toolkit.datasets import ReplyItem, conversation_groups, conversation_tweets, in_test_split, load_items
from qa_toolkit.errors import QAError
from qa_toolkit.features import ReplyContext, history_role
from qa_toolkit.language import fill_languages

ROOT = Path(__file__).resolve().parents[2]
LABEL_FILES_TRAIN = ("seed", "labels/train-extra.jsonl", "labels/train-reviewed.jsonl")  # later files win
LABEL_FILE_EVAL = "labels/eval-test.jsonl"
LABEL_FILE_EVAL_REVIEWED = "labels/eval-reviewed.jsonl"


def context_of(item: ReplyItem) -> ReplyContext:
    """The classifier input for a labelled reply: its text and the conversation before it."""
    return ReplyContext(
        item.reply.text,
        tuple((history_role(m), m.text) for m in item.context if not m.is_internal),
        item.reply.language or item.conversation.language or "en",
    )


# Public human-labelled examples a classifier learns from beside the training labels (never the evaluation set),
# weighted by its estimator's ``auxiliary_weight``.
AUXILIARY_SOURCES = {
    "tone": "stanford-politeness/stack-exchange.annotated.csv: the published task's top-quartile requests as "
    "friendly, bottom quartile as neutral (Wikipedia stays out: it is the cross-site check)",
}


def auxiliary_examples(name: str, data_dir: Path, *,
                       required: bool = True) -> tuple[list[ReplyContext], list[str]] | None:  # fmt: skip
    """The extra training examples of one label (AUXILIARY_SOURCES), as contexts without a conversation.
    None for a label without any; also when their corpus is not in ``data_dir`` and not ``required``."""
    if name != "tone":
        return None
    from qa_toolkit.classifiers.external import POLITENESS_FILES, politeness_extremes

    if not required and not (Path(data_dir) / "stanford-politeness" / POLITENESS_FILES["stack-exchange"]).is_file():
        return None
    texts, labels = politeness_extremes(data_dir, "stack-exchange", impolite_as="neutral")
    return [ReplyContext(t, (), "en") for t in texts], labels


def auxiliary_note(name: str, labels: Sequence[str], weight: float) -> dict:
    """What a card says about the extra examples a classifier learnt from."""
    return {"source": AUXILIARY_SOURCES.get(name, "given by the caller"), "examples": len(labels),
            "distribution": _distribution(labels), "weight": weight}  # fmt: skip


TRAINING_SOURCES = ("twcs-airlines/train, ibm-cdp/dev, twcs-sample without its threads of twcs-airlines/test "
                    "(texts read from ../shared/data)")  # fmt: skip


def read_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class LabelledSet:
    contexts: list[ReplyContext]
    labels: list[dict]  # the label records, in the same order
    # each reply's conversation_tweets (datasets), when read from ../shared/data: what groups() joins by
    tweets: list[tuple[str, ...]] | None = None

    def y(self, name: str) -> list[str]:
        return [r[name] for r in self.labels]

    def groups(self) -> list[str]:
        """Each reply's conversation group (``datasets.conversation_groups``), for grouped folds."""
        return conversation_groups([r["item"] for r in self.labels], self.tweets)


_MENTION = re.compile(r"@\w+|__\w+__")


def reply_key(text: str) -> str:
    """A reply's text as two files of one corpus both give it: without @mentions (twcs-airlines writes
    ``__cust__`` where TWCS has ``@115882``) and with whitespace collapsed, lower-cased."""
    return " ".join(_MENTION.sub(" ", text).split()).lower()


def same_reply_key(context: ReplyContext) -> tuple[str, str]:
    """A reply as two sources of one conversation both give it (``reply_key``): its text and the message
    before it. Within one conversation group, two replies with the same key are the same reply."""
    return reply_key(context.text), reply_key(context.context[-1][1]) if context.context else ""


def _votes(record: dict, name: str) -> list[str]:
    """The readings behind a record's label: each re-reading when it was read again, else its one label."""
    readings = [r[name] for r in record.get("readings", ()) if r.get(name)]
    return readings or [record[name]]


def merge_same_replies(labelled: LabelledSet, names: Sequence[str]) -> tuple[LabelledSet, dict | None]:
    """One training row per reply: a reply labelled under two ids (a twcs-sample thread is also a
    twcs-airlines thread; IBM sessions share tweets) is one reply, which would otherwise count twice and
    could sit on both sides of a cross-validation fold. The same reply means the same conversation group,
    text and message before it (mentions aside). The first record is kept. Where the records' labels
    differ, the readings behind them are pooled (a re-read record brings each of its readings) and the
    majority is kept; without a majority the label is left out for that reply (None), the others are kept.
    Returns the merged set and what a card says about it (None when nothing was merged)."""
    keys = [(g, *same_reply_key(c)) for g, c in zip(labelled.groups(), labelled.contexts, strict=True)]
    first: dict[tuple, int] = {}
    merged: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        if key in first:
            merged.setdefault(first[key], []).append(i)
        else:
            first[key] = i
    if not merged:
        return labelled, None
    records = [dict(r) for r in labelled.labels]
    tweets = list(labelled.tweets) if labelled.tweets is not None else None
    settled, unsettled = dict.fromkeys(names, 0), dict.fromkeys(names, 0)
    for i, others in merged.items():
        rows = [labelled.labels[j] for j in [i, *others]]
        records[i]["same_reply_as"] = [r["item"] for r in rows[1:]]
        if tweets is not None:  # the kept row stands for all: its group stays the one they shared
            tweets[i] = tuple(sorted({t for j in [i, *others] for t in labelled.tweets[j]}))
        for name in names:
            if len({r[name] for r in rows}) == 1:
                continue
            votes = Counter(v for r in rows for v in _votes(r, name)).most_common()
            majority = votes[0][1] * 2 > sum(n for _, n in votes)
            records[i][name] = votes[0][0] if majority else None
            (settled if majority else unsettled)[name] += 1
    keep = sorted(first.values())
    note = {
        "replies": sum(len(v) for v in merged.values()),
        "why": "the same reply labelled under two ids (a twcs-sample thread that is also a twcs-airlines thread, "
        "an IBM tweet in two sessions): trained on once; where its labels differ, the majority of the readings "
        "behind them, or no label without one",
        "labels_by_majority": {n: k for n, k in settled.items() if k},
        "labels_left_out": {n: k for n, k in unsettled.items() if k},
        "pairs": sorted(
            [labelled.labels[i]["item"], *(labelled.labels[j]["item"] for j in v)] for i, v in merged.items()
        ),
    }
    kept_tweets = None if tweets is None else [tweets[i] for i in keep]
    return LabelledSet([labelled.contexts[i] for i in keep], [records[i] for i in keep], kept_tweets), note


def load_labelled(label_records: Sequence[dict], data_dir: Path) -> LabelledSet:
    """Join label records with their texts; records whose text cannot be found are skipped."""
    items = load_items({r["item"] for r in label_records}, data_dir)
    fill_languages(list({id(i.conversation): i.conversation for i in items.values()}.values()))
    rows = [(context_of(items[r["item"]]), r, conversation_tweets(items[r["item"]]))
            for r in label_records if r["item"] in items]  # fmt: skip
    return LabelledSet([c for c, _, _ in rows], [r for _, r, _ in rows], [t for _, _, t in rows])


def seed_labels_path(data_dir: Path) -> Path:
    return data_dir.parent / "labels" / "seed-train-1000.jsonl"


def expected_calibration_error(
    proba: np.ndarray,
    y_true: Sequence[str],
    classes: Sequence[str],
    bins: int = 10,
    y_pred: Sequence[str] | None = None,
) -> float:
    """ECE of the confidence shown with each label: |accuracy - confidence| averaged over equal-width
    confidence bins, weighted by size. The label is ``y_pred`` (the decided label) or else the argmax."""
    classes = list(classes)
    idx = np.array([classes.index(p) for p in y_pred]) if y_pred is not None else proba.argmax(axis=1)
    conf = proba[np.arange(len(idx)), idx]
    pred = np.array(classes)[idx]
    correct = pred == np.array(y_true)
    ece = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


BOOTSTRAP_RESAMPLES = 2000


def f1_of_resamples(truth: np.ndarray, pred: np.ndarray, k: int, resamples: np.ndarray) -> np.ndarray:
    """Per-class F1 of each resample (a row of ``resamples`` holds indices into ``truth``/``pred``, which hold
    class numbers 0..k-1): one row of k F1s per resample, as ``f1_score(average=None, zero_division=0)``
    gives for that resample (a class neither in the truth nor predicted gets 0)."""
    b = len(resamples)
    codes = (np.arange(b)[:, None] * k * k + truth[resamples] * k + pred[resamples]).ravel()
    confusion = np.bincount(codes, minlength=b * k * k).reshape(b, k, k)
    tp = np.diagonal(confusion, axis1=1, axis2=2).astype(float)
    wrong = confusion.sum(axis=1) + confusion.sum(axis=2) - 2 * tp  # false positives + false negatives
    denominator = 2 * tp + wrong
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def f1_intervals(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], *,
                 resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95, seed: int = 0) -> dict:  # fmt: skip
    """Percentile bootstrap intervals (replies drawn with replacement, a fixed seed) of macro-F1 and of each
    class's F1: how far the figures could move on another evaluation set of the same size. A rare class
    (24 unfriendly replies, say) gets a wide one."""
    labels = list(labels)
    # a label outside ``labels`` (a class the model never learnt, say) counts as sklearn counts it: as a
    # wrong answer for the classes it meets, with no F1 of its own in the average
    others = sorted({*y_true, *y_pred} - set(labels))
    index = {c: i for i, c in enumerate([*labels, *others])}
    truth = np.array([index[c] for c in y_true], np.int64)
    pred = np.array([index[c] for c in y_pred], np.int64)
    draws = np.random.default_rng(seed).integers(0, len(truth), size=(resamples, len(truth)))
    per_class = f1_of_resamples(truth, pred, len(index), draws)[:, : len(labels)]
    tails = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def interval(values: np.ndarray) -> list[float]:
        return [float(v) for v in np.percentile(values, tails)]

    return {
        "level": level,
        "resamples": resamples,
        "macro_f1": interval(per_class.mean(axis=1)),
        "f1": {c: interval(per_class[:, i]) for i, c in enumerate(labels)},
    }


def evaluate_predictions(y_true: Sequence[str], y_pred: Sequence[str], proba: np.ndarray,
                         classes: Sequence[str]) -> dict:  # fmt: skip
    """Per-class precision/recall/F1/support, macro-F1, accuracy, ECE and the confusion matrix, plus how
    well each class's probability ranks the replies (what a reviewer reading the most likely ones first
    gets): average precision, and how many of the class are among the 5% and 10% of replies most likely
    to be it; and bootstrap intervals of macro-F1 and the per-class F1s (``f1_intervals``)."""
    labels = list(classes)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    truth = np.array(y_true)
    ranking = {}
    for i, c in enumerate(labels):
        positive = truth == c
        order = np.argsort(-proba[:, i], kind="stable")
        top = {f"found_in_top_{pct}pct": int(positive[order[: round(len(truth) * pct / 100)]].sum()) for pct in (5, 10)}
        ap = float(average_precision_score(positive, proba[:, i])) if positive.any() else 0.0
        ranking[c] = {"average_precision": ap, **top}
    return {
        "n": len(y_true),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(np.mean(truth == np.array(y_pred))),
        "ece": expected_calibration_error(proba, y_true, classes, y_pred=y_pred),
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i]), **ranking[c]}
            for i, c in enumerate(labels)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
        "bootstrap": f1_intervals(y_true, y_pred, labels),
    }


# --------------------------------------------------------------------------- training and evaluation runs


def training_label_records(data_dir: Path) -> list[dict]:
    """The seed labels plus the project's own training labels (never the evaluation set). A reply re-read by
    more people (labels/train-reviewed.jsonl: the majority of two or three readings) takes the reviewed
    labels and keeps the rest of its first record. Labels of twcs-sample replies in a thread of the
    airlines test split are left out: that is test data (``training_labels_and_left_out``)."""
    return training_labels_and_left_out(data_dir)[0]


def training_labels_and_left_out(data_dir: Path) -> tuple[list[dict], list[str]]:
    """``training_label_records``, and the labelled replies it leaves out because they are test data:
    twcs-sample replies in a thread that is also in twcs-airlines/test (``datasets.sample_threads_in_test``),
    labelled before the overlap was known; some are the very replies of the evaluation set."""
    records = read_labels(seed_labels_path(data_dir)) + read_labels(ROOT / LABEL_FILES_TRAIN[1])
    by_item = {r["item"]: r for r in records}  # a reply labelled twice: the later file wins
    reviewed = ROOT / LABEL_FILES_TRAIN[2]
    for row in read_labels(reviewed) if reviewed.exists() else []:
        if row["item"] not in by_item:
            raise ValueError(f"{LABEL_FILES_TRAIN[2]}: {row['item']} has no first label to review")
        by_item[row["item"]] = {**by_item[row["item"]], **row}
    assert not any(i.startswith(("airlines-test", "ibm-test")) for i in by_item), "test split in training labels"
    left_out = [i for i in by_item if in_test_split(i, data_dir)]
    skip = set(left_out)
    return [r for i, r in by_item.items() if i not in skip], left_out


def training_label_files() -> list[str]:
    """The label files training reads, as a card names them."""
    return ["../shared/labels/seed-train-1000.jsonl"] + [f for f in LABEL_FILES_TRAIN[1:] if (ROOT / f).exists()]


def evaluation_label_records() -> list[dict]:
    return read_labels(ROOT / LABEL_FILE_EVAL)


def adjudicated_evaluation_labels(items: Sequence[str]) -> dict[str, dict] | None:
    """item -> the evaluation set's adjudicated labels (LABEL_FILE_EVAL_REVIEWED: each reply read by two
    people, by a third where they differed, the majority kept), when every given item has them."""
    path = ROOT / LABEL_FILE_EVAL_REVIEWED
    if not path.exists():
        return None
    reviewed = {r["item"]: r for r in read_labels(path)}
    return reviewed if all(i in reviewed for i in items) else None


def train_all(data_dir: Path, *, models_dir: Path | None = None, names: Sequence[str] | None = None,
              log=print) -> dict[str, dict]:  # type: ignore[no-untyped-def]  # fmt: skip
    """Fit one featurizer and the four classifiers on the training labels, evaluate them on the
    evaluation set, and save them with their cards. Returns the cards."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # BLAS threads only fight each other in these sparse solvers
        return _train_all(data_dir, models_dir=models_dir, names=names, log=log)


def _train_all(data_dir: Path, *, models_dir: Path | None, names: Sequence[str] | None,
               log) -> dict[str, dict]:  # type: ignore[no-untyped-def]  # fmt: skip
    from qa_toolkit.classifiers.artefacts import MODELS_DIR, save_model
    from qa_toolkit.classifiers.models import LABEL_SETS

    models_dir = models_dir or MODELS_DIR
    names = list(names or LABEL_SETS)
    records, left_out = training_labels_and_left_out(data_dir)
    train, same_replies = merge_same_replies(load_labelled(records, data_dir), names)
    merged = f" ({same_replies['replies']} more merged: the same reply under two ids)" if same_replies else ""
    test_threads = f" ({len(left_out)} more left out: replies of test-split threads)" if left_out else ""
    log(f"training on {len(train.contexts):,} labelled replies{test_threads}{merged}")
    labels = {name: train.y(name) for name in names}
    _refuse_too_few(labels)  # before minutes of fitting; the same loop as fit_classifiers, which leaves them out
    auxiliary = {name: auxiliary_examples(name, data_dir) for name in names}
    fitted = _fit_classifiers(train.contexts, labels, names=names, pipeline_params=None, min_per_class=MIN_PER_CLASS,
                              auxiliary=auxiliary, groups=train.groups(), log=log)  # fmt: skip
    cards = {}
    for name in names:
        pipe = fitted.pipelines[name]
        featurizer, clf = pipe.named_steps["features"], pipe.named_steps["clf"]
        card = {
            **card_notes(name),
            "training_data": {
                "replies": fitted.rows[name],
                "label_files": training_label_files(),
                "sources": TRAINING_SOURCES,
                "distribution": fitted.distribution[name],
                **({"left_out": left_out_note(left_out)} if left_out else {}),
                **({"same_reply_merged": same_replies} if same_replies else {}),
                **({"auxiliary": fitted.auxiliary[name]} if name in fitted.auxiliary else {}),
            },
            "model": {
                "pipeline": "ReplyFeaturizer -> CalibratedLinear: LogisticRegression(class_weight='balanced'), "
                f"a multinomial calibrator on its out-of-fold scores ({fitted.folds[name]}), per-class "
                "decision weights tuned for macro-F1 on the calibrated out-of-fold probabilities (training labels "
                "only)",
                "params": {k: repr(v) for k, v in clf.get_params(deep=False).items()},
                "decision_weights": dict(
                    zip(clf.classes_.tolist(), np.round(clf.decision_weights_, 3).tolist(), strict=True)
                ),  # fmt: skip
                "featurizer": {k: repr(v) for k, v in featurizer.get_params().items()},
                "featurizer_fingerprint": featurizer.fingerprint(),
                "word_vectors": word_vectors_note(featurizer, clf),
                "evidence": evidence_note(featurizer),
            },  # fmt: skip
        }
        save_model(name, pipe, card, models_dir)
        cards[name] = card
        log(f"  {name}: saved")
    evaluate_all(data_dir, models_dir=models_dir, names=names, log=log)
    return cards


def evidence_note(featurizer: Any) -> str:
    """What the card says about the word n-grams evidence may show."""
    seen = getattr(featurizer, "word_seen_", None)
    if seen is None:
        return "word n-grams: a reply's n-gram in a weighted column, whether or not training met it"
    return (f"word n-grams training met ({len(seen):,}, those worth showing): a reply's n-gram that only shares "
            "its hashed column with them is not shown; context features: the words behind them")  # fmt: skip


def left_out_note(items: Sequence[str]) -> dict:
    """What a card says about the labelled replies training left out as test data."""
    why = "twcs-sample replies in threads that are also in twcs-airlines/test: test data, never trained on"
    return {"replies": len(items), "items": sorted(items), "why": why}


def _refuse_too_few(labels: Mapping[str, Sequence[str | None]]) -> None:
    """``train`` ships every label with every class of the guide: a class with fewer than MIN_PER_CLASS
    training examples (or a label without examples) is an error here, naming the label and the class."""
    from collections import Counter

    from qa_toolkit.classifiers.models import LABEL_SETS

    problems = []
    for name, y in labels.items():
        counts = Counter(v for v in y if v is not None)
        few = [f"{c} ({counts[c]})" for c in LABEL_SETS[name] if counts[c] < MIN_PER_CLASS]
        if few:
            problems.append(f"{name}: {', '.join(few)}")
    if problems:
        raise QAError(f"too few training labels (each class needs at least {MIN_PER_CLASS}): " + "; ".join(problems))


def word_vectors_note(featurizer: Any, clf: Any = None) -> str | None:
    """Which word-vector table the featurizer reads (None when it has no word-vector block), and whether
    the classifier ``clf`` reads it."""
    if featurizer.vector_weight is None:
        return None
    if clf is not None and "vectors" in clf.skipped_blocks():
        return (
            "not read by this model (it skips the 'vectors' block: cross-validation on the training labels "
            "found they help personalisation only; the shared featurizer still computes them)"
        )
    return (f"models/word-vectors-v1/vectors.npz (sha256 {featurizer.vectors_digest_[:16]}...): "
            f"{len(featurizer.vector_mean_)} dimensions, static vectors of all-MiniLM-L6-v2's vocabulary, weight "
            f"{featurizer.vector_weight}")  # fmt: skip


TARGET_MACRO_F1 = {"tone": 0.80, "personalisation": 0.88, "apology": 0.90, "resolution": 0.87}
TARGET_ECE = 0.05


def card_notes(name: str) -> dict:
    """The parts of a card that do not come from a run: targets, languages, intended use."""
    return {
        "definition": "../shared/docs/labeling-guide.md, section "
        + {"tone": "1", "personalisation": "2", "apology": "3", "resolution": "4"}[name],  # fmt: skip
        "targets": {"macro_f1": TARGET_MACRO_F1[name], "ece": TARGET_ECE},
        "languages": {
            "en": "trained and evaluated on English Twitter customer care (airlines, 25 brands)",
            "nl, de, fr": "their own lexicons (greetings, thanks, apology formulas, cold wording) and the English "
            "n-gram weights; the upset-customer and politeness features are off: no labelled Dutch, German or "
            "French replies exist, so these languages are not validated",
            "other": "the English lexicons and n-gram weights, the upset-customer and politeness features off "
            "(a reply of unknown language is read as English); not validated",
        },
        "intended_use": "rank and explain agent replies for human review; not for decisions about people "
        "without a reviewer",
    }


def _distribution(values: Sequence[str]) -> dict[str, int]:
    from collections import Counter

    return dict(sorted(Counter(values).items()))


def evaluate_all(data_dir: Path, *, models_dir: Path | None = None, names: Sequence[str] | None = None,
                 log=print) -> dict[str, dict]:  # type: ignore[no-untyped-def]  # fmt: skip
    """Evaluate the saved classifiers on the hand-labelled evaluation set (test splits) and write the
    figures into their cards: all of it, and its uniformly sampled part."""
    from qa_toolkit.classifiers.artefacts import MODELS_DIR, load_classifier, model_dir, read_card, write_card
    from qa_toolkit.classifiers.models import LABEL_SETS

    models_dir = models_dir or MODELS_DIR
    names = list(names or LABEL_SETS)
    evaluation = load_labelled(evaluation_label_records(), data_dir)
    random_idx = [i for i, r in enumerate(evaluation.labels) if r.get("sampling") == "random"]
    adjudicated = adjudicated_evaluation_labels([r["item"] for r in evaluation.labels])
    if adjudicated is None:
        log(f"({LABEL_FILE_EVAL_REVIEWED} does not cover every reply of {LABEL_FILE_EVAL}: first labels only)")
    results = {}
    for name in names:
        clf = load_classifier(name, models_dir)
        preds = clf.predict(evaluation.contexts, evidence=0)
        classes = clf.classes
        proba = np.array([[p.probabilities[c] for c in classes] for p in preds])
        y = evaluation.y(name)
        pred = [p.label for p in preds]
        whole = evaluate_predictions(y, pred, proba, classes)
        sample = evaluate_predictions([y[i] for i in random_idx], [pred[i] for i in random_idx],
                                      proba[random_idx], classes)  # fmt: skip
        results[name] = {
            "evaluation_set": {
                "label_file": LABEL_FILE_EVAL,
                "sources": "twcs-airlines/test, ibm-cdp/test (never used for training or tuning)",
                "replies": len(y),
                "distribution": _distribution(y),
            },
            "metrics": whole,
            "metrics_random_sample": sample,
        }
        if adjudicated is not None:
            y_adj = [adjudicated[r["item"]][name] for r in evaluation.labels]
            set_notes, figures = adjudicated_figures(y, y_adj, pred, proba, classes, random_idx)
            results[name]["evaluation_set"].update(set_notes)
            results[name].update(figures)
        card = read_card(name, models_dir)
        learnt_from = card.get("training_data", {}).get("auxiliary", {}).get("source", "")
        results[name]["external_checks"] = _external(name, clf, data_dir, log, learnt_from=learnt_from)
        card.update(results[name])
        write_card(model_dir(name, models_dir), card)
        log(format_report(name, whole, sample, results[name].get("metrics_adjudicated")))
    return results


def adjudicated_figures(y: Sequence[str], y_adj: Sequence[str], pred: Sequence[str], proba: np.ndarray,
                        classes: Sequence[str], random_idx: Sequence[int]) -> tuple[dict, dict]:  # fmt: skip
    """The card's notes on the adjudicated labels and the figures against them (whole set, uniform part)."""
    notes = {
        "adjudicated_label_file": LABEL_FILE_EVAL_REVIEWED,
        "adjudicated_changed": sum(a != b for a, b in zip(y, y_adj, strict=True)),
        "adjudicated_distribution": _distribution(y_adj),
    }
    idx = list(random_idx)
    figures = {
        "metrics_adjudicated": evaluate_predictions(y_adj, pred, proba, classes),
        "metrics_adjudicated_random_sample": evaluate_predictions(
            [y_adj[i] for i in idx], [pred[i] for i in idx], proba[idx], classes
        ),
    }
    return notes, figures


def _external(name: str, clf, data_dir: Path, log, learnt_from: str = "") -> dict:  # type: ignore[no-untyped-def]
    """The public-label checks that concern this classifier (qa_toolkit.classifiers.external).
    ``learnt_from``: the card's note on the auxiliary examples the model was trained with (their source)."""
    from qa_toolkit.classifiers.external import POLITENESS_FILES, apology_check, politeness_check

    if name == "tone":
        trained = tuple(site for site, file in POLITENESS_FILES.items() if file in learnt_from)
        checks = {"stanford_politeness": politeness_check(clf, data_dir, in_training=trained)}
        for site, m in checks["stanford_politeness"].items():
            how = "in training: in-domain, not a check" if m["in_training"] else "not in training: cross-site"
            log(f"  politeness ({site}, {how}): Spearman {m['spearman']:.3f}, top-vs-bottom quartile accuracy "
                f"{m['quartile_accuracy']:.1%} on {m['quartile_requests']} requests (2013 paper: 83.1% in-domain, "
                "75.4% cross-site, humans 86.7%)")  # fmt: skip
        return checks
    if name == "apology":
        m = apology_check(clf, data_dir)
        log(f"  twcs-activities apology presence: F1 {m['f1']:.3f} (precision {m['precision']:.3f}, recall "
            f"{m['recall']:.3f}) on {m['tweets']} agent tweets with {m['apologies']} apologies")  # fmt: skip
        return {"twcs_activities_apology_presence": m}
    return {}


def format_report(name: str, whole: dict, sample: dict, adjudicated: dict | None = None) -> str:
    """The printed evaluation of one classifier: per-class figures and the confusion matrix against the
    first labels, and against the adjudicated labels when there are any. "AP" is the class's average
    precision and "top 5%"/"top 10%" how many of the class are among that share of replies ranked most
    likely to be it (what a reviewer reading in that order finds)."""
    head = (f"\n{name}: {whole['n']} replies (uniform sample: macro-F1 {sample['macro_f1']:.3f} on {sample['n']}, "
            "first labels)")  # fmt: skip
    lines = [head]
    for title, m in (("first labels", whole), ("adjudicated labels", adjudicated)):
        if m is None:
            continue
        boot = m.get("bootstrap")
        spread = ""
        if boot:
            lo, hi = boot["macro_f1"]
            spread = f" ({boot['level']:.0%} bootstrap interval {lo:.3f}-{hi:.3f})"
        lines.append(f"  against the {title}: macro-F1 {m['macro_f1']:.3f}{spread}, accuracy {m['accuracy']:.3f}, "
                     f"ECE {m['ece']:.3f}")  # fmt: skip
        lines.append(f"  {'class':14s} {'precision':>9s} {'recall':>7s} {'f1':>6s} {'f1 interval':>12s} "
                     f"{'support':>8s} {'AP':>6s} {'top 5%':>7s} {'top 10%':>8s}")  # fmt: skip
        for c, pc in m["per_class"].items():
            ranked = ""
            if "average_precision" in pc:
                ranked = (f" {pc['average_precision']:6.3f} {pc['found_in_top_5pct']:7d} "
                          f"{pc['found_in_top_10pct']:8d}")  # fmt: skip
            spread = "{:.3f}-{:.3f}".format(*boot["f1"][c]) if boot else "-"  # figures of older cards: none
            lines.append(f"  {c:14s} {pc['precision']:9.3f} {pc['recall']:7.3f} {pc['f1']:6.3f} "
                         f"{spread:>12s} {pc['support']:8d}{ranked}")  # fmt: skip
        labels = m["confusion"]["labels"]
        lines.append("  confusion (rows true, columns predicted): " + " / ".join(labels))
        for c, row in zip(labels, m["confusion"]["matrix"], strict=True):
            lines.append(f"  {c:14s} " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


# --------------------------------------------------------------------------- fitting on any labelled rows


@dataclass
class FittedSet:
    """What :func:`fit_classifiers` gives: one pipeline per label that could be fitted (all sharing one
    featurizer), the rows and class counts each was fitted on, and why a label was not fitted or a class
    was left out (too few examples)."""

    pipelines: dict[str, Any]
    rows: dict[str, int]
    distribution: dict[str, dict[str, int]]
    skipped: dict[str, str]
    notes: list[str]
    auxiliary: dict[str, dict] = field(default_factory=dict)  # label -> the card's note on its extra examples
    folds: dict[str, str] = field(default_factory=dict)  # label -> its calibration folds, as the card says them


# A class needs this many examples to be fitted: the calibrator learns from out-of-fold scores, and with
# fewer the folds' scores are too few and too noisy (on a handful of replies they can even point the wrong
# way, and the calibrator then learns to flip the decisions).
MIN_PER_CLASS = 5


def fit_classifiers(contexts: Sequence[ReplyContext], labels: dict[str, Sequence[str | None]], *,
                    names: Sequence[str] | None = None, pipeline_params: dict[str, Any] | None = None,
                    min_per_class: int = MIN_PER_CLASS, auxiliary: Mapping[str, Any] | None = None,
                    groups: Sequence[str] | None = None, log=None) -> FittedSet:  # type: ignore[no-untyped-def]  # fmt: skip
    """Fit one featurizer on every context and, for each label, the calibrated classifier on the rows
    that have that label (``labels[name][i]`` is the label of ``contexts[i]``, or None when it has none).

    Built by ``make_pipeline_for(name, **pipeline_params)``; ``train_all`` fits through the same loop but
    refuses a class with fewer than MIN_PER_CLASS examples before fitting. Here small label sets are
    handled, not refused: the calibration folds shrink to the rarest class's count (at most 5), a class with
    fewer than ``min_per_class`` examples is left out, and a label with fewer than two classes left is
    skipped (``skipped`` says why). BLAS runs single-threaded here: these solvers take many small steps,
    and on a busy machine BLAS threads spinning against each other made a fit up to 50 times slower.

    ``auxiliary``: label -> (contexts, labels) of extra examples (``auxiliary_examples``), used when that
    label's estimator has an ``auxiliary_weight``; examples of a class left out are left out too.
    ``groups``: each context's conversation group (``LabelledSet.groups``): the calibration folds keep a
    conversation together. Without them the folds are stratified only."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit_classifiers(contexts, labels, names=names, pipeline_params=pipeline_params,
                                min_per_class=max(2, min_per_class), auxiliary=auxiliary or {}, groups=groups,
                                log=log)  # fmt: skip


def _fit_classifiers(contexts: Sequence[ReplyContext], labels: dict[str, Sequence[str | None]], *,
                     names: Sequence[str] | None, pipeline_params: dict[str, Any] | None,
                     min_per_class: int, auxiliary: Mapping[str, Any], log,
                     groups: Sequence[str] | None = None) -> FittedSet:  # type: ignore[no-untyped-def]  # fmt: skip
    from collections import Counter

    from qa_toolkit.classifiers.models import LABEL_SETS, ReplyPipeline, make_pipeline_for

    log = log or (lambda _m: None)
    names = list(names or LABEL_SETS)
    params = dict(pipeline_params or {})
    featurizer = make_pipeline_for(names[0], **params).named_steps["features"].fit(list(contexts))
    X = featurizer.transform(list(contexts)).tocsr()
    out = FittedSet({}, {}, {}, {}, [])
    for name in names:
        y = list(labels.get(name, ()))
        counts = Counter(v for v in y if v is not None)
        rare = sorted(c for c, n in counts.items() if n < min_per_class)
        if rare:
            out.notes.append(f"{name}: left out {', '.join(rare)} (fewer than {min_per_class} examples)")
        keep = [i for i, v in enumerate(y) if v is not None and v not in rare]
        kept = Counter(y[i] for i in keep)
        if len(kept) < 2:
            out.skipped[name] = f"{len(keep)} usable examples in {len(kept)} class(es): at least two classes needed"
            log(f"  {name}: not fitted ({out.skipped[name]})")
            continue
        pipe = make_pipeline_for(name, **params)
        clf = pipe.named_steps["clf"]
        folds, fold_groups = min(clf.cv, min(kept.values())), None
        if groups is not None:
            by_class = {c: {groups[i] for i in keep if y[i] == c} for c in kept}
            fewest = min(len(g) for g in by_class.values())
            if fewest >= 2:  # each fold holds out whole conversations: as many folds as the rarest class has
                folds, fold_groups = min(folds, fewest), [groups[i] for i in keep]
            else:
                out.notes.append(f"{name}: a class is in one conversation only: calibration folds not grouped")
        clf.set_params(cv=folds)
        out.folds[name] = f"{folds} folds, " + ("grouped by conversation" if fold_groups is not None else "stratified")
        aux = None
        if auxiliary.get(name) is not None and clf.auxiliary_weight:
            aux_contexts, aux_y = auxiliary[name]
            use = [i for i, v in enumerate(aux_y) if v in kept]
            aux = (featurizer.transform([aux_contexts[i] for i in use]), [aux_y[i] for i in use])
            out.auxiliary[name] = auxiliary_note(name, aux[1], clf.auxiliary_weight)
        clf.fit(X[keep], [y[i] for i in keep], layout=featurizer.layout(), auxiliary=aux, groups=fold_groups)
        out.pipelines[name] = ReplyPipeline([("features", featurizer), ("clf", clf)])
        out.rows[name] = len(keep)
        out.distribution[name] = dict(sorted(kept.items()))
        log(f"  {name}: fitted on {len(keep):,} replies")
    return out


def evaluate_classifier(clf, contexts: Sequence[ReplyContext], y_true: Sequence[str]) -> dict:  # type: ignore[no-untyped-def]
    """``evaluate_predictions`` for a ReplyClassifier on these replies (classes: the model's, plus any
    label of ``y_true`` it does not know, which then counts as missed)."""
    preds = clf.predict(list(contexts), evidence=0)
    classes = list(clf.classes)
    extra = sorted(set(y_true) - set(classes))
    proba = np.array([[p.probabilities.get(c, 0.0) for c in classes] + [0.0] * len(extra) for p in preds])
    return evaluate_predictions(list(y_true), [p.label for p in preds], proba.reshape(len(preds), -1),
                                classes + extra)  # fmt: skip
