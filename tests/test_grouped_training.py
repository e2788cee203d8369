"""Training learns from each reply once, and its calibration folds keep a conversation's replies together.

twcs-sample and twcs-airlines both come from TWCS: a sample thread with a given id is the airlines thread
with that id, so a reply can be labelled under two ids; IBM sessions share tweets. ``conversation_groups``
puts such replies in one group, ``merge_same_replies`` keeps one training row per reply, and
``CalibratedLinear.fit(groups=...)`` draws its out-of-fold scores from folds that split by group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from qa_toolkit.classifiers import LABEL_SETS, estimator
from qa_toolkit.classifiers.estimator import CalibratedLinear
from qa_toolkit.classifiers.training import LabelledSet, merge_same_replies
from qa_toolkit.datasets import conversation_groups
from qa_toolkit.features import ReplyContext, ReplyFeaturizer

NAMES = list(LABEL_SETS)


def test_one_thread_read_from_two_files_is_one_group() -> None:
    items = [
        "airlines-train:792#t1",
        "twcs-sample:792#790",  # the same TWCS thread, read from the sample
        "airlines-train:801#t1",
        "ibm-dev:A#5",
        "ibm-dev:B#5",  # session B shares tweet 5 with session A
        "ibm-dev:B#6",
        "ibm-dev:C#7",
        "airlines-test:792#t1",  # a test thread has the same id space (and is never in the training labels)
    ]
    groups = conversation_groups(items)
    assert groups[0] == groups[1] == groups[7] != groups[2]
    assert groups[3] == groups[4] == groups[5] != groups[6]
    assert len(set(groups)) == 4
    # the group's name does not depend on the order the replies come in
    assert conversation_groups(items[::-1]) == groups[::-1]


def test_conversations_that_share_any_tweet_are_one_group() -> None:
    """With each conversation's tweets (as ``load_labelled`` reads them), a sample thread that holds an airlines
    thread's first tweet further down joins it, and IBM sessions sharing a tweet that is no labelled reply
    are one group."""
    items = ["airlines-train:792#t1", "twcs-sample:700#790", "twcs-sample:900#901", "ibm-dev:A#5", "ibm-dev:B#6"]
    tweets = [("792",), ("700", "790", "792"), ("900", "901"), ("4", "5", "9"), ("9", "6")]
    groups = conversation_groups(items, tweets)
    assert groups == ["twcs:700", "twcs:700", "twcs:900", "ibm:A", "ibm:A"]
    # from the ids alone these are apart: only the reply's own tweet and the thread's first are known
    assert len(set(conversation_groups(items))) == 5


def _record(item: str, **labels: str) -> dict:
    base = {"tone": "neutral", "personalisation": "generic", "apology": "none", "resolution": "step"}
    return {"item": item, **base, **labels}


def test_a_reply_labelled_under_two_ids_is_trained_on_once() -> None:
    bag = (("customer", "@AirlineX my bag never arrived"),)
    other = (("customer", "@AirlineX and the refund?"),)
    text = "Sorry about that, please DM us your bag tag number. *JD"
    labelled = LabelledSet(
        [
            ReplyContext(f"__cust__ {text}", (("customer", "__cust__ my bag never arrived"),)),
            ReplyContext("Thanks for flying with us!", bag),
            ReplyContext(f"@115882 {text.replace(', ', ',  ')}", bag),  # the same reply in twcs-sample
            ReplyContext(f"__cust__ {text}", (("customer", "__cust__ my bag never arrived"),)),  # another thread
            ReplyContext(f"@115882 {text}", other),  # same words later in the thread, after another message
        ],
        [
            _record("airlines-train:10#t1", tone="friendly"),
            _record("airlines-train:10#t3"),
            _record("twcs-sample:10#12", tone="neutral"),  # the readings disagree on tone only
            _record("airlines-train:20#t1"),
            _record("twcs-sample:10#15"),
        ],
    )
    merged, note = merge_same_replies(labelled, NAMES)
    assert [r["item"] for r in merged.labels] == [
        "airlines-train:10#t1",
        "airlines-train:10#t3",
        "airlines-train:20#t1",
        "twcs-sample:10#15",
    ]
    first = merged.labels[0]
    assert first["tone"] is None  # two readings without a majority settle nothing
    assert (first["personalisation"], first["apology"], first["resolution"]) == ("generic", "none", "step")
    assert first["same_reply_as"] == ["twcs-sample:10#12"]
    assert note is not None
    assert note["replies"] == 1 and note["labels_left_out"] == {"tone": 1}
    assert note["pairs"] == [["airlines-train:10#t1", "twcs-sample:10#12"]]
    assert "tone" in labelled.labels[0] and labelled.labels[0]["tone"] == "friendly"  # the input is not changed
    # the readings behind two records are pooled: 2 of 3 friendly settle it, where the records disagree
    read = {"tone": "friendly", "readings": [{"tone": "friendly"}, {"tone": "neutral"}]}
    pooled, note = merge_same_replies(
        LabelledSet(labelled.contexts[:3], [_record("airlines-train:10#t1", **read), labelled.labels[1],
                                            _record("twcs-sample:10#12", tone="friendly")]), NAMES)  # fmt: skip
    assert note is not None and note["labels_by_majority"] == {} and pooled.labels[0]["tone"] == "friendly"
    pooled, note = merge_same_replies(
        LabelledSet(labelled.contexts[:3], [_record("airlines-train:10#t1", **read), labelled.labels[1],
                                            _record("twcs-sample:10#12", tone="neutral")]), NAMES)  # fmt: skip
    assert pooled.labels[0]["tone"] == "neutral"  # the first record's two readings were split: 2 of 3 neutral
    other = {"tone": "neutral", "readings": [{"tone": "neutral"}, {"tone": "friendly"}]}
    pooled, note = merge_same_replies(
        LabelledSet(labelled.contexts[:3], [_record("airlines-train:10#t1", **read), labelled.labels[1],
                                            _record("twcs-sample:10#12", **other)]), NAMES)  # fmt: skip
    assert pooled.labels[0]["tone"] is None  # 2 against 2
    read = {"tone": "neutral", "readings": [{"tone": "neutral"}, {"tone": "friendly"}, {"tone": "friendly"}]}
    pooled, note = merge_same_replies(
        LabelledSet(labelled.contexts[:3], [_record("airlines-train:10#t1", **read), labelled.labels[1],
                                            _record("twcs-sample:10#12", tone="friendly")]), NAMES)  # fmt: skip
    assert pooled.labels[0]["tone"] == "friendly"  # 3 of 4 readings, though the first record said neutral
    assert note is not None and note["labels_by_majority"] == {"tone": 1} and note["labels_left_out"] == {}
    # nothing to merge: the same set back, and no note
    alone = LabelledSet(labelled.contexts[:2], labelled.labels[:2])
    assert merge_same_replies(alone, NAMES) == (alone, None)


class _RecordingFolds(estimator.StratifiedGroupKFold):
    splits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def split(self, X, y=None, groups=None):  # type: ignore[no-untyped-def]
        for train, test in super().split(X, y, groups):
            type(self).splits.append((train, test, np.asarray(groups)))
            yield train, test


@pytest.mark.parametrize("auxiliary_weight", [0.0, 1.0])
def test_calibration_folds_keep_a_conversation_together(monkeypatch: pytest.MonkeyPatch,
                                                        auxiliary_weight: float) -> None:  # fmt: skip
    monkeypatch.setattr(estimator, "StratifiedGroupKFold", _RecordingFolds)
    _RecordingFolds.splits = []
    rng = np.random.default_rng(1)
    X = sp.csr_matrix(rng.random((60, 50)) < 0.2, dtype=float)
    y = np.array(["a", "b", "c"] * 20)
    groups = [f"g{i // 3}" for i in range(60)]  # three replies a conversation
    aux = (sp.csr_matrix(rng.random((6, 50)) < 0.2, dtype=float), ["a", "b", "c"] * 2)
    CalibratedLinear(C=1.0, auxiliary_weight=auxiliary_weight).fit(X, y, groups=groups, auxiliary=aux)
    assert len(_RecordingFolds.splits) == 5
    for train, test, g in _RecordingFolds.splits:
        assert not set(g[train]) & set(g[test])
    # without groups the folds are only stratified
    _RecordingFolds.splits = []
    CalibratedLinear(C=1.0, auxiliary_weight=auxiliary_weight).fit(X, y, auxiliary=aux)
    assert _RecordingFolds.splits == []
    with pytest.raises(ValueError, match="59 groups for 60 rows"):
        CalibratedLinear().fit(X, y, groups=groups[:-1])


def test_grouped_folds_keep_a_repeated_reply_from_inflating_confidence() -> None:
    """Every reply twice (as a reply labelled under two ids is) and labels that are pure chance: with
    stratified folds a reply's copy is on the training side when it is scored, so the calibrator learns
    that the model is always right; with the copies in one group it learns the model knows little."""
    rng = np.random.default_rng(0)
    n = 80
    X = sp.csr_matrix(rng.random((n, 400)) < 0.05, dtype=float)
    y = np.array(["a", "b"] * (n // 2))
    rng.shuffle(y)
    X2, y2, groups = sp.vstack([X, X]).tocsr(), np.concatenate([y, y]), [str(i) for i in range(n)] * 2
    sureness = {}
    for grouped in (False, True):
        est = CalibratedLinear(C=100.0, tune_decisions=False).fit(X2, y2, groups=groups if grouped else None)
        sureness[grouped] = float(np.abs(est.predict_proba(X2)[:, 0] - 0.5).mean())
    assert sureness[False] > 0.45  # nearly 0 or 1 for labels that are coin flips
    assert sureness[True] < sureness[False] - 0.15


def test_train_merges_the_same_reply_and_groups_its_folds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import review_builder as rb

    from qa_toolkit.classifiers import training

    labelled = rb.labelled_set(range(60))
    twice = LabelledSet(
        [*labelled.contexts, labelled.contexts[3]],
        [*labelled.labels, {**labelled.labels[3], "item": "hand:3#again"}],
    )
    seen: list[list[str] | None] = []
    real_fit = CalibratedLinear.fit

    def spy(self, X, y, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw.get("groups"))
        return real_fit(self, X, y, **kw)

    monkeypatch.setattr(CalibratedLinear, "fit", spy)
    monkeypatch.setattr(training, "training_labels_and_left_out", lambda data_dir: (twice.labels, []))
    monkeypatch.setattr(training, "load_labelled", lambda records, data_dir: twice)
    monkeypatch.setattr(training, "auxiliary_examples", lambda name, data_dir: None)
    monkeypatch.setattr(training, "evaluate_all", lambda *a, **k: {})
    cards = training.train_all(tmp_path / "data", models_dir=tmp_path / "models", log=lambda _m: None)
    for card in cards.values():
        assert card["training_data"]["replies"] == 60
        assert card["training_data"]["same_reply_merged"]["pairs"] == [["hand:3", "hand:3#again"]]
        assert "(5 folds, grouped by conversation)" in card["model"]["pipeline"]  # as fitted, not a fixed text
    assert len(seen) == len(LABEL_SETS)
    assert all(g == labelled.groups() for g in seen)


def test_the_folds_shrink_to_the_conversations_a_class_has() -> None:
    """Each fold holds out whole conversations: a class in three conversations gets three folds; a class
    in one conversation cannot be held out at all, so its label's folds are stratified only, and said so."""
    from qa_toolkit.classifiers.training import fit_classifiers

    texts = [f"Sorry about order {i}, we will refund it today" for i in range(12)]
    texts += [f"Please DM us about ticket {i}" for i in range(12)]
    contexts = [ReplyContext(t) for t in texts]
    labels = {"resolution": ["solution"] * 12 + ["step"] * 12, "apology": ["specific"] * 12 + ["none"] * 12}
    groups = [f"c{i % 3}" for i in range(12)] + [f"d{i}" for i in range(12)]  # solutions in 3 conversations
    groups_apology = [*groups[:12], *(["one"] * 12)]  # every "none" in one conversation
    fitted = fit_classifiers(contexts, {"resolution": labels["resolution"]}, names=["resolution"], groups=groups)
    assert fitted.pipelines["resolution"].named_steps["clf"].cv == 3 and not fitted.notes
    assert fitted.folds == {"resolution": "3 folds, grouped by conversation"}  # what the card says
    fitted = fit_classifiers(contexts, {"apology": labels["apology"]}, names=["apology"], groups=groups_apology)
    assert fitted.pipelines["apology"].named_steps["clf"].cv == 5
    assert fitted.folds == {"apology": "5 folds, stratified"}
    assert fitted.notes == ["apology: a class is in one conversation only: calibration folds not grouped"]
    # the estimator itself refuses folds that leave a class out of a training part, grouped or not
    X = ReplyFeaturizer(n_features=2**10, char_ngrams=None).fit_transform(contexts)
    with pytest.raises(ValueError, match="class step is missing from a training fold: too few examples or conv"):
        CalibratedLinear(cv=2).fit(X, labels["resolution"], groups=["a"] * 12 + ["b"] * 12)


def test_a_featurized_set_fits_with_its_groups() -> None:
    """The real featurizer's matrix with grouped folds: probabilities still sum to one, classes all kept."""
    texts = [f"Sorry about order {i}, we will refund it today" for i in range(20)]
    texts += [f"Please DM us about ticket {i}" for i in range(20)]
    X = ReplyFeaturizer(n_features=2**12, char_ngrams=None).fit_transform([ReplyContext(t) for t in texts])
    y = ["solution"] * 20 + ["step"] * 20
    est = CalibratedLinear(C=2.0).fit(X, y, groups=[f"c{i // 2}" for i in range(40)])
    proba = est.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1) and list(est.classes_) == ["solution", "step"]
    assert (est.predict(X) == np.array(y)).mean() > 0.9
