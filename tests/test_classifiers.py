"""Reply classifiers: the featurizer's scikit-learn contract, an overfit test, the committed models, the
scoring contract (library and CLI) and the calibration metric."""

from __future__ import annotations

import dataclasses
import pickle
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import joblib
import numpy as np
import orjson
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from qa_toolkit.classifiers import LABEL_SETS, ReplyClassifier, make_pipeline_for
from qa_toolkit.classifiers.artefacts import load_all, read_card
from qa_toolkit.classifiers.estimator import CalibratedLinear, tune_decision_weights
from qa_toolkit.classifiers.models import POLITENESS_WEIGHT, ShownEntries
from qa_toolkit.classifiers.training import (
    evaluate_predictions,
    expected_calibration_error,
    f1_intervals,
    f1_of_resamples,
    format_report,
)
from qa_toolkit.cli import app
from qa_toolkit.features import DENSE_NAMES, ReplyContext, ReplyFeaturizer, dense_features
from qa_toolkit.nlp import clean_for_model, get_nlp
from qa_toolkit.review import evidence_spans
from qa_toolkit.schema import ConversationIn
from qa_toolkit.scoring import ReplyScorer, score_conversation

CUSTOMER = (("customer", "My order #48213 arrived broken, the blue Corra kettle has a cracked lid."),)
WARM = [
    "Hi Dana, so sorry your Corra kettle arrived with a cracked lid! I've sent a new one today, order #48213.",
    "Thanks so much for letting us know, Dana! Happy to help: a replacement kettle is on its way.",
    "Hello Dana, that sounds really frustrating. I have refunded order #48213 in full, have a lovely day!",
    "Hi there! Sorry about the cracked lid on your kettle, a new one ships today. Take care!",
    "Thanks for reaching out, Dana! I've arranged a courier pickup for the kettle and a refund.",
    "Hi Dana! Great question, and sorry for the trouble with the lid: we've sent a replacement.",
]
COLD = [
    "As we already told you, you should have checked the parcel before accepting it. Not our problem.",
    "You did not follow our returns process. Read the terms.",
    "Nothing we can do. It is your responsibility to check the item.",
    "As previously stated, we do not replace items after delivery. Please read our policy.",
    "Not our problem. You should have read the confirmation e-mail.",
    "We already explained this. You failed to report it within 24 hours.",
]


def replies(texts: list[str]) -> list[ReplyContext]:
    return [ReplyContext(t, CUSTOMER, "en") for t in texts]


# --------------------------------------------------------------------------- featurizer contract


def test_featurizer_follows_the_scikit_learn_contract(tmp_path: Path) -> None:
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=(3, 4))
    with pytest.raises(NotFittedError):
        f.transform(replies(WARM[:1]))
    assert clone(f).get_params() == f.get_params()
    assert f.fit(replies(WARM + COLD)) is f
    X = f.transform(replies(WARM[:2]))
    again = pickle.loads(pickle.dumps(f)).transform(replies(WARM[:2]))
    assert (X != again).nnz == 0
    assert X.shape == (2, 2 * 2**12 + len(f.dense_names_) + 64) and f.n_columns == X.shape[1]
    assert f.fingerprint() == pickle.loads(pickle.dumps(f)).fingerprint()
    assert ReplyFeaturizer(n_features=2**12, char_ngrams=(3, 4), vector_weight=None).fit(
        replies(WARM)
    ).n_columns == 2 * 2**12 + len(DENSE_NAMES)


def test_word_vectors_put_related_replies_close_together() -> None:
    """The reply's mean word vector: a unit vector (times the weight) that is closer for two replies about
    the same thing in different words than for replies about different things; unknown words are split
    into the vocabulary's pieces."""
    from qa_toolkit.word_vectors import load_word_vectors

    f = ReplyFeaturizer(n_features=2**10, vector_weight=1.0).fit(replies(WARM + COLD))
    texts = ["Your suitcase is lost, we are tracing the luggage.", "We are looking for your missing baggage.",
             "Your refund for the cancelled booking is on its way."]  # fmt: skip
    V = f.transform(replies(texts))[:, f.n_columns - 64 :].toarray()
    assert np.allclose(np.linalg.norm(V, axis=1), 1.0)
    assert V[0] @ V[1] > V[0] @ V[2]
    vectors = load_word_vectors()
    assert len(vectors.pieces("luggage")) == 1 and len(vectors.pieces("unrefundability")) > 1
    assert vectors.pieces("\u2603\u2603") == ()


def test_a_missing_or_different_word_vector_table_is_a_clear_error(tmp_path: Path) -> None:
    from qa_toolkit.errors import QAError
    from qa_toolkit.word_vectors import load_word_vectors

    with pytest.raises(QAError, match="missing.npz: the word vectors"):
        load_word_vectors(tmp_path / "missing.npz")
    for name, content in (("empty", b""), ("text", b"not a table")):
        (tmp_path / f"{name}.npz").write_bytes(content)
        with pytest.raises(QAError, match=f"{name}.npz: not a word-vector table"):
            load_word_vectors(tmp_path / f"{name}.npz")
    good = load_word_vectors()
    np.savez_compressed(tmp_path / "good.npz", words=np.array(good.words), vectors=good.table)
    raw = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(QAError, match="truncated.npz: not a word-vector table"):
        load_word_vectors(tmp_path / "truncated.npz")
    f = ReplyFeaturizer(n_features=2**10).fit(replies(WARM + COLD))
    f.vectors_digest_ = "0" * 64  # as if trained with another table
    with pytest.raises(QAError, match="is not what these models were trained with"):
        f.transform(replies(WARM[:1]))
    f.vectors_digest_ = good.digest
    f.vector_lookup_ = 1  # as if trained with other lookup rules
    with pytest.raises(QAError, match="is not what these models were trained with"):
        f.check_vectors()


def test_word_vectors_read_words_as_the_model_does() -> None:
    """Accents stripped and CJK ideographs one by one, as the uncased model reads them; a name counts once
    however many pieces it is cut into; numbers and placeholders are left out; a reply with no known word
    gets no vector at all (not the negated mean)."""
    from qa_toolkit.word_vectors import load_word_vectors

    vectors = load_word_vectors()
    assert vectors.pieces("Café") == vectors.pieces("cafe") != ()
    assert vectors.pieces("désolé") == vectors.pieces("desole") != ()
    assert vectors.pieces("中日") == vectors.pieces("中") + vectors.pieces("日") != ()
    counts = vectors.piece_counts([["Thanks", "Krzysztof"], ["48213", "URL", "HANDLE"], []])
    assert counts[0].sum() == pytest.approx(2.0) and counts[1].nnz == 0 and counts[2].nnz == 0
    f = ReplyFeaturizer(n_features=2**10, vector_weight=1.0).fit(replies(WARM + COLD))
    X = f.transform(replies(["", "#48213 @delta https://t.co/x", "Thanks!"]))[:, f.n_columns - 64 :].toarray()
    assert not X[0].any() and not X[1].any() and np.linalg.norm(X[2]) == pytest.approx(1.0)


def test_featurizers_saved_before_the_word_vectors_still_load() -> None:
    f = ReplyFeaturizer(n_features=2**10, vector_weight=None, dense_clip=None).fit(replies(WARM + COLD))
    state = f.__dict__.copy()
    del state["vector_weight"], state["dense_clip"]  # what a featurizer pickled before them holds
    old = ReplyFeaturizer.__new__(ReplyFeaturizer)
    old.__setstate__(state)
    assert old.vector_weight is None and old.check_vectors() is None and old.dense_clip is None
    assert (old.transform(replies(WARM[:2])) != f.transform(replies(WARM[:2]))).nnz == 0
    assert old.fingerprint() == f.fingerprint()


def test_column_names_are_pickled_packed_and_come_back_whole() -> None:
    f = ReplyFeaturizer(n_features=2**12, vector_weight=None).fit(replies(WARM + COLD))
    f.word_names_[7] = ""  # an empty name and one of many characters keep their places
    f.word_names_[9] = "café — ok 👍"
    state = f.__getstate__()
    assert "word_names_" not in state and "word_names_" in vars(f)  # packed in a copy, the featurizer untouched
    cols, lengths, joined = state["word_names_packed_"]
    assert isinstance(cols, np.ndarray) and isinstance(lengths, np.ndarray) and isinstance(joined, str)
    back = pickle.loads(pickle.dumps(f))
    assert back.word_names_ == f.word_names_ and list(back.word_names_) == list(f.word_names_)
    assert back.fingerprint() == f.fingerprint()
    assert (back.transform(replies(WARM[:2])) != f.transform(replies(WARM[:2]))).nnz == 0
    old = ReplyFeaturizer.__new__(ReplyFeaturizer)  # saved before packing: the names as a dict
    old.__setstate__(f.__dict__.copy())
    assert old.word_names_ == f.word_names_


def test_a_reply_unlike_the_training_replies_is_not_decided_by_one_rare_feature() -> None:
    # a reply with no conversation before it, where every training reply had one: unclipped, its
    # "no_context" z-score is enormous and a weight learnt from a handful of replies would decide it
    train = replies((WARM + COLD) * 10) + [ReplyContext(WARM[0], (), "en")]
    lone = [ReplyContext("Sorry for the cracked lid.", (), "en")]
    clipped = ReplyFeaturizer(n_features=2**10, vector_weight=None).fit(train)
    raw = ReplyFeaturizer(n_features=2**10, vector_weight=None, dense_clip=None).fit(train)
    a, b = clipped.layout()["dense"][0], clipped.layout().get("strategies", clipped.layout()["dense"])[1]
    col = clipped.dense_names_.index("no_context")
    assert raw.transform(lone)[0, a + col] > 2 * clipped.dense_clip
    dense = clipped.transform(lone)[:, a:b].toarray()
    assert np.abs(dense).max() == pytest.approx(clipped.dense_clip) and dense[0, col] == clipped.dense_clip
    usual_raw, usual = raw.transform(replies(WARM)).toarray(), clipped.transform(replies(WARM)).toarray()
    assert np.array_equal(usual[:, :a], usual_raw[:, :a])  # the n-grams are untouched
    assert np.array_equal(usual[:, a:b], np.clip(usual_raw[:, a:b], -clipped.dense_clip, clipped.dense_clip))


def test_hashed_ngrams_are_deterministic_and_stay_inside_a_reply() -> None:
    f = ReplyFeaturizer(n_features=2**16, char_ngrams=(2, 4)).fit(replies(WARM + COLD))
    a = f.transform(replies(["Happy to help", "Not our problem"]))
    b = f.transform(replies(["Not our problem", "Happy to help"]))
    assert (a[0] != b[1]).nnz == 0 and (a[1] != b[0]).nnz == 0  # a reply's features never depend on its batch
    words = f.transform(replies(["help"]))[:, : 2**16]
    assert words.nnz == 1  # "help" alone: one unigram, no n-gram reaching into a neighbour
    assert "happy to help" in f.word_names_.values() and "to help" in f.word_names_.values()
    col = next(c for c, g in f.word_names_.items() if g == "happy to help")
    assert f.column_name(col) == "happy to help" and f.column_name(2**16 + 5) is None
    assert f.column_name(f.dense_offset) == f"dense:{f.dense_names_[0]}"


def test_a_broken_emoji_escape_does_not_break_the_batch() -> None:
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=(2, 4)).fit(replies(WARM + COLD))
    X = f.transform(replies(["bad \ud83d text", "Happy to help"]))  # a lone surrogate, as exports contain
    assert X.shape[0] == 2 and X[0].nnz > 0


def test_decision_weights_find_a_rare_class_the_argmax_misses() -> None:
    rng = np.random.default_rng(0)
    y = np.array(["common"] * 95 + ["rare"] * 5)
    p_rare = np.where(y == "rare", rng.uniform(0.2, 0.4, 100), rng.uniform(0.0, 0.25, 100))
    proba = np.column_stack([1 - p_rare, p_rare])
    assert not (proba.argmax(axis=1) == 1).any()
    w = tune_decision_weights(proba, y, np.array(["common", "rare"]))
    assert w[0] == 1.0 and w[1] > 1.0
    picked = np.argmax(np.log(proba) + np.log(w), axis=1) == 1
    assert picked[y == "rare"].mean() >= 0.8


def test_calibrated_linear_follows_the_scikit_learn_contract() -> None:
    X = ReplyFeaturizer(n_features=2**12, char_ngrams=None).fit_transform(replies(WARM + COLD))
    y = ["friendly"] * len(WARM) + ["unfriendly"] * len(COLD)
    est = CalibratedLinear(C=5.0)
    with pytest.raises(NotFittedError):
        est.predict_proba(X)
    assert clone(est).get_params() == est.get_params()
    assert est.fit(X, y) is est
    proba = est.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1) and list(est.classes_) == ["friendly", "unfriendly"]
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.predict_proba(X), proba) and list(again.predict(X)) == list(est.predict(X))


def test_a_model_can_leave_a_feature_block_out() -> None:
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=None).fit(replies(WARM + COLD))
    layout = f.layout()
    assert list(layout) == ["word", "dense", "strategies", "vectors"] and layout["vectors"][1] == f.n_columns
    # the politeness strategies: the last dense features, a block of their own
    assert [f.dense_names_[c - f.dense_offset].startswith("pol_") for c in range(*layout["strategies"])] == [True] * 15
    assert not any(f.dense_names_[c - f.dense_offset].startswith("pol_") for c in range(*layout["dense"]))
    X = f.transform(replies(WARM + COLD))
    y = ["friendly"] * len(WARM) + ["unfriendly"] * len(COLD)
    both = CalibratedLinear(C=5.0).fit(X, y, layout=layout)
    without = CalibratedLinear(C=5.0, skip=("vectors",)).fit(X, y, layout=layout)
    lo, hi = layout["vectors"]
    assert np.all(without.linear_.coef_[:, lo:hi] == 0) and np.any(both.linear_.coef_[:, lo:hi] != 0)
    # the same as fitting on the matrix without those columns
    alone = CalibratedLinear(C=5.0).fit(X[:, :lo], y)
    assert np.allclose(without.predict_proba(X), alone.predict_proba(X[:, :lo]), atol=1e-6)
    with pytest.raises(ValueError, match="layout"):
        CalibratedLinear(skip=("vectors",)).fit(X, y)
    one = CalibratedLinear(C=5.0, skip="vectors").fit(X, y, layout=layout)  # one block named as a string
    assert np.array_equal(one.predict_proba(X), without.predict_proba(X))
    with pytest.raises(ValueError, match="no feature block named vector"):
        CalibratedLinear(skip=("vector",)).fit(X, y, layout=layout)
    # a block the featurizer does not make has nothing to leave out
    plain = ReplyFeaturizer(n_features=2**12, char_ngrams=None, vector_weight=None).fit(replies(WARM + COLD))
    Xp = plain.transform(replies(WARM + COLD))
    assert np.allclose(CalibratedLinear(C=5.0, skip=("vectors",)).fit(Xp, y, layout=plain.layout()).predict_proba(Xp),
                       CalibratedLinear(C=5.0).fit(Xp, y).predict_proba(Xp))  # fmt: skip
    # the pipelines pass the layout themselves; only personalisation reads the word vectors
    pipe = make_pipeline_for("tone", n_features=2**12, char_ngrams=None).fit(replies(WARM + COLD), y)
    assert np.all(pipe.named_steps["clf"].linear_.coef_[:, lo:hi] == 0)
    assert {n: make_pipeline_for(n).named_steps["clf"].skip for n in LABEL_SETS} == {
        "tone": ("vectors",), "personalisation": ("strategies",), "apology": ("vectors", "strategies"),
        "resolution": ("vectors", "strategies")}  # fmt: skip
    # only tone reads the politeness strategies
    lo, hi = layout["strategies"]
    res = make_pipeline_for("resolution", n_features=2**12, char_ngrams=None).fit(replies(WARM + COLD), y)
    assert np.all(res.named_steps["clf"].linear_.coef_[:, lo:hi] == 0)
    assert np.any(pipe.named_steps["clf"].linear_.coef_[:, lo:hi] != 0)
    # the strategies must be the tail of the dense features, or the blocks would hold the wrong columns
    names = list(f.dense_names_)
    f.dense_names_ = [*names, "no_context"]
    with pytest.raises(ValueError, match="must be the last dense features"):
        f.layout()
    # a featurizer fitted before the strategies (no pol_ features) has no such block
    f.dense_names_ = [n for n in names if not n.startswith("pol_")]
    assert "strategies" not in f.layout() and f.layout()["dense"][1] == f.dense_offset + len(f.dense_names_)


def test_estimators_saved_before_skip_still_load() -> None:
    est = CalibratedLinear()
    del est.skip, est.auxiliary_weight
    again = pickle.loads(pickle.dumps(est))
    assert again.skip == () and again.get_params()["skip"] == ()
    assert again.auxiliary_weight == 0.0


def test_auxiliary_examples_teach_the_linear_model() -> None:
    f = ReplyFeaturizer(n_features=2**12, char_ngrams=None).fit(replies(WARM + COLD))
    X = f.transform(replies(WARM + COLD))
    y = ["friendly"] * len(WARM) + ["unfriendly"] * len(COLD)
    # a word the support replies never use, only in the auxiliary examples, always unfriendly there
    aux_texts = [f"zorblax {w} request" for w in ("your", "this", "that", "the", "a", "my")]
    aux = (f.transform(replies(aux_texts)), ["unfriendly"] * len(aux_texts))
    probe = f.transform(replies(["Thanks Dana, zorblax zorblax."]))
    plain = CalibratedLinear(C=5.0).fit(X, y)
    # weight 0 (the default) ignores them: the same model as without
    assert np.array_equal(CalibratedLinear(C=5.0).fit(X, y, auxiliary=aux).predict_proba(X), plain.predict_proba(X))
    taught = CalibratedLinear(C=5.0, auxiliary_weight=1.0).fit(X, y, auxiliary=aux)
    unfriendly = list(taught.classes_).index("unfriendly")
    assert taught.predict_proba(probe)[0, unfriendly] > plain.predict_proba(probe)[0, unfriendly]
    with pytest.raises(ValueError, match="auxiliary labels neutral are not among the training classes"):
        CalibratedLinear(auxiliary_weight=1.0).fit(X, y, auxiliary=(aux[0], ["neutral"] * len(aux_texts)))
    with pytest.raises(ValueError, match="auxiliary examples: 6 rows"):
        CalibratedLinear(auxiliary_weight=1.0).fit(X, y, auxiliary=(aux[0][:, :10], aux[1]))
    # a skipped block stays unread in the auxiliary examples too: what they hold there changes nothing
    lo, hi = f.layout()["vectors"]
    noisy = aux[0].toarray()
    noisy[:, lo:hi] = np.random.default_rng(0).normal(size=(len(aux_texts), hi - lo))
    skipping = CalibratedLinear(C=5.0, auxiliary_weight=1.0, skip=("vectors",))
    a = clone(skipping).fit(X, y, layout=f.layout(), auxiliary=aux).predict_proba(X)
    b = clone(skipping).fit(X, y, layout=f.layout(), auxiliary=(sp.csr_matrix(noisy), aux[1])).predict_proba(X)
    assert np.allclose(a, b, atol=1e-9)
    # class balance counts an auxiliary row at its weight: the same rows twice at half the weight are the
    # same model (counting each row once, as scikit-learn's "balanced" did before 1.7, would differ)
    twice = (sp.vstack([aux[0], aux[0]]), aux[1] * 2)
    half = CalibratedLinear(C=5.0, auxiliary_weight=0.5).fit(X, y, auxiliary=twice)
    assert np.allclose(half.linear_.coef_, taught.linear_.coef_, atol=1e-6)
    # a class that a training fold lacks is an error, as without auxiliary examples
    with pytest.raises(ValueError, match="class neutral is missing from a training fold"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")  # scikit-learn's, expected here
        CalibratedLinear(cv=3, auxiliary_weight=1.0).fit(sp.vstack([X, X[:1]]), [*y, "neutral"], auxiliary=aux)
    # only tone learns from auxiliary examples (the politeness corpus), at the weight cross-validation chose
    weights = {n: make_pipeline_for(n).named_steps["clf"].auxiliary_weight for n in LABEL_SETS}
    assert weights["tone"] == POLITENESS_WEIGHT > 0 and all(weights[n] == 0 for n in LABEL_SETS if n != "tone")


def test_dense_features_carry_their_evidence() -> None:
    view = dense_features(ReplyContext(WARM[0], CUSTOMER, "en"))
    assert view.values["name_used"] == 1 and view.evidence["name_used"] == ["Dana"]
    assert "48213" in view.evidence["numbers_from_customer"][0]
    assert {"corra", "kettle", "cracked"} <= set(view.evidence["overlap"]) | set(
        view.evidence.get("overlap_specific", [])
    )
    assert view.values["apology_names_problem"] >= 1
    cold = dense_features(ReplyContext(COLD[0], CUSTOMER, "en"))
    assert cold.values["lex_cold_blame"] >= 1


@pytest.mark.parametrize(
    ("customer", "reply", "expected"),
    [
        # an upset customer, a bare refusal: every one of the new features fires but blame
        ("This is the worst, absolutely terrible and ridiculous service. I am furious!",
         "We cannot refund this ticket. It is our policy.",
         {"cold_to_upset": True, "bare_to_upset": True, "refusal_without_warmth": True, "blame_to_upset": False,
          "no_warmth": True}),
        # the same customer, a warm refusal: none of them
        ("This is the worst, absolutely terrible and ridiculous service. I am furious!",
         "Thanks for telling us, Dana, we understand how frustrating this is. We cannot refund the ticket.",
         {"cold_to_upset": False, "bare_to_upset": False, "refusal_without_warmth": False, "blame_to_upset": False,
          "no_warmth": False}),
        # a calm customer, blame: no upset to meet, but still a bare reply
        ("Hello, could you tell me when my bag will arrive? Thanks a lot",
         "As we already told you, you should have checked the parcel.",
         {"cold_to_upset": False, "bare_to_upset": False, "refusal_without_warmth": False, "blame_to_upset": False,
          "no_warmth": True}),
        # an apology is not warmth, but it is not bare either
        ("This is awful, my bag is lost and nobody helps.", "Sorry. Your bag is in Denver.",
         {"cold_to_upset": True, "bare_to_upset": False, "refusal_without_warmth": False, "blame_to_upset": False,
          "no_warmth": False}),
    ],
)  # fmt: skip
def test_how_a_reply_meets_an_upset_customer(customer: str, reply: str, expected: dict[str, bool]) -> None:
    view = dense_features(ReplyContext(reply, (("customer", customer),), "en"))
    assert {name: view.values[name] > 0 for name in expected} == expected
    if expected["refusal_without_warmth"]:
        assert view.evidence["refusal_without_warmth"] == ["We cannot"]


def test_an_upset_customer_counts_only_in_english() -> None:
    customer = (("customer", "Die Lieferung war nicht da, die Rechnung auch nicht."),)
    german = dense_features(ReplyContext("Wir können das leider nicht ändern.", customer, "de"))
    assert german.values["cold_to_upset"] == 0 and german.values["bare_to_upset"] == 0
    angry = (("customer", "Terrible, awful service. I hate this."),)
    assert dense_features(ReplyContext("We cannot change that.", angry, None)).values["cold_to_upset"] > 0.5
    assert dense_features(ReplyContext("We cannot change that.", angry, "es")).values["cold_to_upset"] == 0


def test_blaming_words_are_never_evidence_of_a_friendly_reply() -> None:
    tone = load_all()["tone"]
    shown = tone._evidence_columns()
    col = {n: c for c, n in shown.dense.items()}
    k = {c: i for i, c in enumerate(tone.classes)}
    for name in ("lex_cold_blame", "blame_to_upset"):
        assert shown.weights[k["friendly"], col[name]] == 0 and shown.weights[k["neutral"], col[name]] == 0
    assert shown.weights[k["unfriendly"], col["lex_greeting"]] == 0
    # the model's own weights are untouched: only what is shown is limited
    assert tone._linear().coef_[k["friendly"], col["lex_greeting"]] != 0
    angry = (("customer", "This is ridiculous, the worst service ever. I am furious!"),)
    pred = tone.predict([ReplyContext("Thanks so much, Dana! As we already told you, the refund is on its way.",
                                      angry, "en")])[0]  # fmt: skip
    assert pred.label == "friendly"  # the warm words win here: the blaming words are then not its evidence
    assert pred.evidence and not any("told you" in e for e in pred.evidence)


def test_blame_to_an_upset_customer_shows_the_blaming_words() -> None:
    view = dense_features(ReplyContext("As we already told you, you should have checked the parcel.",
                                       (("customer", "Terrible, awful service. I hate this."),), "en"))  # fmt: skip
    assert view.values["blame_to_upset"] > 0.5
    assert "As we already told you" in view.evidence["blame_to_upset"]


def test_a_pipeline_learns_a_small_set_by_heart() -> None:
    pipe = make_pipeline_for("tone", n_features=2**12, char_ngrams=None, C=10.0)
    X = replies(WARM + COLD)
    y = ["friendly"] * len(WARM) + ["unfriendly"] * len(COLD)
    pipe.fit(X, y)
    assert list(pipe.predict(X)) == y
    clf = ReplyClassifier("tone", pipe)
    preds = clf.predict(replies([COLD[0]]))
    assert preds[0].label == "unfriendly" and preds[0].evidence
    assert abs(sum(preds[0].probabilities.values()) - 1) < 1e-6


def _words(text: str) -> list[str]:
    return [t.lower_ for t in get_nlp("en")(clean_for_model(text)) if not t.is_space]


def test_evidence_shows_the_words_the_reply_holds_where_columns_are_shared() -> None:
    # 64 hashed columns for hundreds of training n-grams: every column is shared, and is named after the
    # first training n-gram hashed to it. Evidence must show an n-gram the reply itself holds there, and
    # only one training met: the column's weight was learnt from those, not from a new n-gram hashed there.
    pipe = make_pipeline_for("tone", n_features=2**6, char_ngrams=None, C=10.0)
    pipe.fit(replies(WARM + COLD), ["friendly"] * len(WARM) + ["unfriendly"] * len(COLD))
    clf = ReplyClassifier("tone", pipe)
    trained = [" ".join(_words(t)) for t in WARM + COLD]
    new = ["Not our problem: parcel inspection is mandatory, refunds are refused after signature.",
           "Wonderful news, Dana: your courier collects the broken teapot tomorrow morning!"]  # fmt: skip
    for text, pred in zip(new, clf.predict(replies(new)), strict=True):
        tokens = _words(text)
        own = {" ".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)}
        named = {clf.featurizer.column_name(c) for c in clf.featurizer.transform(replies([text])).indices}
        assert named - own, "no shared column: the test shows nothing"
        assert pred.evidence and all(evidence_spans(text, {"tone": [e]}) for e in pred.evidence), (text, pred.evidence)
        for item in pred.evidence:  # each item's words were read in training, in this order
            assert any(f" {' '.join(_words(item))} " in f" {t} " for t in trained), (item, text)
    # a reply of words training never met: its columns carry weights (learnt from other n-grams), which
    # decide its label, but nothing in it is shown as what drove it
    unseen = "Parcel inspection is mandatory, refunds are refused after signature."
    assert clf.featurizer.transform(replies([unseen])).nnz and clf.predict(replies([unseen]))[0].evidence == []


# --------------------------------------------------------------------------- committed models


@pytest.fixture(scope="module")
def scorer() -> ReplyScorer:
    return ReplyScorer.load()


def test_committed_models_load_with_cards(scorer: ReplyScorer) -> None:
    for name, labels in LABEL_SETS.items():
        card = read_card(name)
        assert card["labels"] == list(labels)
        assert set(scorer.classifiers[name].classes) == set(labels)
        assert card["metrics"]["n"] >= 400 and "per_class" in card["metrics"]
        assert card["training_data"]["replies"] >= 2000
        # the card describes this very model: its featurizer and its decision weights
        clf = scorer.classifiers[name]
        assert card["model"]["featurizer_fingerprint"] == clf.featurizer.fingerprint()
        weights = clf.pipeline.named_steps["clf"].decision_weights_
        assert card["model"]["decision_weights"] == dict(zip(clf.classes, np.round(weights, 3).tolist(), strict=True))
    assert scorer.shared_featurizer is not None  # one featurizer for the four: features are computed once


@pytest.mark.parametrize(("name", "pair"), [("tone", ("friendly", "unfriendly")),
                                             ("personalisation", ("personalised", "generic")),
                                             ("apology", ("specific", "templated")),
                                             ("resolution", ("solution", "step"))])  # fmt: skip
def test_save_and_load_give_identical_probabilities(tmp_path: Path, name: str, pair: tuple[str, str]) -> None:
    # through the project's own artefacts (xz-compressed joblib, the card, the word-vector check), for each of
    # the four (personalisation alone reads the word vectors)
    from qa_toolkit.classifiers.artefacts import load_classifier, save_model

    pipe = make_pipeline_for(name, n_features=2**12, char_ngrams=(3, 4), C=10.0)
    pipe.fit(replies(WARM + COLD), [pair[0]] * len(WARM) + [pair[1]] * len(COLD))
    save_model(name, pipe, {"training_data": {"replies": 12}}, models_dir=tmp_path)
    again = load_classifier(name, tmp_path)
    assert read_card(name, tmp_path)["labels"] == list(LABEL_SETS[name]) and again.version.startswith(f"{name}-v1@")
    X = replies(WARM + COLD + ["Thanks, Dana!", ""])
    a = [(p.label, p.probabilities, p.evidence) for p in ReplyClassifier(name, pipe).predict(X)]
    b = [(p.label, p.probabilities, p.evidence) for p in again.predict(X)]
    assert a == b and {label for label, _, _ in a} == set(pair)


def test_a_broken_model_file_or_card_is_a_clear_error(tmp_path: Path) -> None:
    from qa_toolkit.classifiers.artefacts import load_classifier, save_model
    from qa_toolkit.errors import QAError

    pipe = make_pipeline_for("apology", n_features=2**10, char_ngrams=None)
    pipe.fit(replies(WARM + COLD), ["specific", "templated"] * 6)
    folder = save_model("apology", pipe, {}, models_dir=tmp_path)
    (folder / "card.json").write_text('{"name": "apology-v1", "labels": [')  # cut short
    with pytest.raises(QAError, match=r"apology-v1/card\.json: cannot read the model card"):
        load_classifier("apology", tmp_path)
    for not_a_card in ("[]", '{"library_versions": ["scikit-learn"]}'):
        (folder / "card.json").write_text(not_a_card)
        with pytest.raises(QAError, match=r"apology-v1/card\.json: not a model card"):
            load_classifier("apology", tmp_path)
    (folder / "card.json").write_text("{}")
    (folder / "model.joblib").write_bytes((folder / "model.joblib").read_bytes()[:200])  # truncated
    with pytest.raises(QAError, match=r"apology-v1/model\.joblib: cannot load the apology model"):
        load_classifier("apology", tmp_path)


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("We apologise for any inconvenience caused.", "apology", "templated"),
        ("Sorry your Corra kettle arrived with a cracked lid, that was our packing mistake.", "apology", "specific"),
        ("Please DM us your order number and we'll take a look.", "resolution", "step"),
        ("Your flight leaves from gate B12 at 2:15pm.", "resolution", "solution"),
        ("Thanks so much, have a great day!", "tone", "friendly"),
        ("Please send us your booking reference.", "tone", "neutral"),  # the guide's own neutral example
        ("Nothing we can do. It is your responsibility to check the item.", "tone", "unfriendly"),
        (WARM[2], "personalisation", "personalised"),  # the customer's name and order number
        ("Please DM us your details and we'll take a look.", "personalisation", "generic"),  # the guide's example
    ],
)
def test_committed_models_get_clear_cases_right(scorer: ReplyScorer, text: str, label: str, expected: str) -> None:
    (scores,) = scorer.score_replies(replies([text]))
    assert scores[label]["label"] == expected
    assert 0 <= scores[label]["confidence"] <= 1 and scores[label]["evidence"]


def test_an_absent_apology_shows_no_evidence(scorer: ReplyScorer) -> None:
    # the words that push a reply towards apology "none" are only words that are no apology: nothing to show
    (scores,) = scorer.score_replies(replies(["Thanks so much, have a great day when you fly with us!"]))
    assert scores["apology"]["label"] == "none" and scores["apology"]["evidence"] == []
    assert scores["tone"]["evidence"] and scores["resolution"]["evidence"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Excuses voor het ongemak. Stuur ons een DM met je ordernummer.", "nl"),
        ("Désolé pour le désagrément, envoyez-nous un DM avec votre numéro de commande.", "fr"),
        ("Entschuldigen Sie die Unannehmlichkeiten. Bitte senden Sie uns eine DM.", "de"),
    ],
)
def test_evidence_of_a_reply_in_another_language_skips_its_stop_words(
    scorer: ReplyScorer, text: str, lang: str
) -> None:
    (scores,) = scorer.score_replies([ReplyContext(text, (("customer", "kapot / broken"),), lang)])
    stop = get_nlp(lang).Defaults.stop_words
    assert scores["apology"]["label"] == "templated"
    assert scores["resolution"]["evidence"]  # "DM": a word training met (most of these replies' words it did not)
    for name, r in scores.items():
        for item in r["evidence"]:  # each item has a word that is no stop word of the reply's language
            assert any(w not in stop for w in re.findall(r"\w+", item.lower()) if len(w) > 1), (name, item)


TRICKY = [
    "@DeltaAssist Hi Sam, we\u2019re so sorry  about the delay!! We can\u2019t rebook you online: please DM us your "
    "confirmation #. https://t.co/abc ^JD",
    "Our team isn't able to help . Sorry . We cannot refund this.\nPlease  email us at help@example.com.",
    "It departs at 2:15pm from gate B12\u2026 Thanks!Happy to help , Dana \U0001f60a",
    "HANDLE I apologise for the inconvenience, your bag is on its way. https://example.com/track *AB",
    "I\u2019m sorry you didn't like the meal: we\u2019ll pass it on.   Gru\u00df, Team",
    "Your refund of $120 was sent on 3/4. It should arrive within 5-7 business days. -Kim",
    "So sorry @john for the long wait on hold today, 'cause of the storm. Hi, which flight?",
]


def test_every_evidence_item_is_found_in_the_replys_own_text(scorer: ReplyScorer) -> None:
    # the models read a cleaned text (placeholders for handles, URLs and sign-offs, straight quotes, whitespace
    # collapsed, spaCy's split words): the evidence a reviewer sees must still be the reply's own words, so that
    # the app can highlight every item in the text the reviewer reads
    context = (("customer", "My bag never arrived on flight 1403 and nobody answers"),)
    scored = scorer.score_replies([ReplyContext(t, context, "en") for t in TRICKY])
    for text, labels in zip(TRICKY, scored, strict=True):
        assert sum(bool(r["evidence"]) for r in labels.values()) >= 3, (text, labels)
        for name, r in labels.items():
            for item in r["evidence"]:
                assert item == item.strip() and not any(p in item for p in ("HANDLE", "URL", "SIGNOFF")), item
                assert evidence_spans(text, {name: [item]}), (text, name, item)


def test_the_scorer_finds_the_same_evidence_as_each_classifier_alone(scorer: ReplyScorer) -> None:
    # the scorer finds the entries worth showing once for all four; each classifier alone finds its own
    batch = replies(WARM + COLD) + [ReplyContext("Please DM us your order number, Dana.", CUSTOMER, "en")]
    together = scorer.score_replies(batch)
    for name, clf in scorer.classifiers.items():
        alone = clf.predict(batch)
        assert [s[name]["evidence"] for s in together] == [p.evidence for p in alone]
        assert [s[name]["label"] for s in together] == [p.label for p in alone]
        # the confidence is the calibrated probability of the decided label (which need not be the argmax)
        assert [s[name]["confidence"] for s in together] == [round(p.confidence, 4) for p in alone]
        proba = clf.pipeline.predict_proba(batch)
        decided = [proba[i, clf.classes.index(p.label)] for i, p in enumerate(alone)]
        assert [p.confidence for p in alone] == pytest.approx(decided, abs=1e-9)
    assert sum(bool(s[name]["evidence"]) for s in together for name in s) > 3 * len(batch)
    assert len({s[name]["confidence"] for s in together for name in s}) > 10  # not one value for all


def test_four_classifiers_with_featurizers_of_their_own_score_as_each_alone() -> None:
    # the scorer's shared path is an optimisation: classifiers fitted apart (another featurizer each) must give
    # what each gives alone; and a scorer without one of the four is refused
    batch = replies(WARM + COLD)
    classifiers = {}
    for i, (name, labels) in enumerate(LABEL_SETS.items()):
        pipe = make_pipeline_for(name, n_features=2 ** (10 + i), char_ngrams=None, C=10.0)
        pipe.fit(batch, [labels[0]] * len(WARM) + [labels[1]] * len(COLD))
        classifiers[name] = ReplyClassifier(name, pipe)
    separate = ReplyScorer(classifiers)
    assert separate.shared_featurizer is None
    scored = separate.score_replies(batch[:2] + batch[-2:])
    for name, clf in classifiers.items():
        alone = clf.predict(batch[:2] + batch[-2:])
        assert [s[name] for s in scored] == [
            {"label": p.label, "confidence": round(p.confidence, 4), "evidence": p.evidence} for p in alone
        ]
        assert [s[name]["label"] for s in scored] == [LABEL_SETS[name][k] for k in (0, 0, 1, 1)]
    with pytest.raises(ValueError, match="missing classifiers: resolution, tone"):
        ReplyScorer({k: v for k, v in classifiers.items() if k not in ("tone", "resolution")})


def test_the_evidence_is_at_most_as_long_as_asked(scorer: ReplyScorer) -> None:
    batch = replies(WARM + COLD)
    default = scorer.score_replies(batch)
    assert max(len(s[name]["evidence"]) for s in default for name in s) == 3  # three items at most, by default
    one = scorer.score_replies(batch, evidence=1)
    none = scorer.score_replies(batch, evidence=0)
    for d, o, n in zip(default, one, none, strict=True):
        for name in LABEL_SETS:
            assert len(o[name]["evidence"]) == min(1, len(d[name]["evidence"]))
            assert n[name] == {**d[name], "evidence": []}  # the same label and confidence without evidence


def test_the_entries_that_can_be_shown_are_found_once_for_the_four(scorer: ReplyScorer) -> None:
    batch = replies(WARM + COLD) + [ReplyContext("Please DM us your order number, Dana.", CUSTOMER, "en")]
    assert scorer.shared_featurizer is not None and scorer._shown_mask is not None
    features, views = scorer.shared_featurizer.transform_with_views(batch)
    entries = ShownEntries.of(features, scorer._shown_mask)
    grams = scorer.shared_featurizer.word_grams(views.tokens)
    found = [entries.showable(grams, views, c._evidence_columns()) for c in scorer.classifiers.values()]
    assert all(f is found[0] for f in found)  # one featurizer: the same entries for the four
    can, shown = found[0], next(iter(scorer.classifiers.values()))._evidence_columns()
    word = can.cols < grams.n_features
    assert 0 < len(can.cols) < len(entries.cols) and word.any() and not word.all()
    assert grams.informative(can.first[word], can.length[word]).all()  # each word entry is worth showing
    dense = views.values[can.rows[~word], shown.values[can.cols[~word] - shown.dense_offset]]
    assert (dense != 0).all() and (can.length[~word] == 0).all()  # each dense one is present
    other = scorer.shared_featurizer.transform_with_views(batch)[1]  # other views (of the same replies): found again
    again = entries.showable(scorer.shared_featurizer.word_grams(other.tokens), other, shown)
    assert again is not can and again.cols.tolist() == can.cols.tolist()
    # another layout (which dense feature each dense column is, where the dense block starts): found again
    moved = dataclasses.replace(shown, values=np.roll(shown.values, 1))
    assert entries.showable(grams, views, moved) is not entries.showable(grams, views, shown)
    later = dataclasses.replace(shown, dense_offset=shown.dense_offset + 1)
    assert entries.showable(grams, views, later) is not entries.showable(grams, views, shown)
    # a featurizer saved before the training n-grams (None) beside one with them: told apart, no error
    old = dataclasses.replace(shown, seen=None)
    assert entries.showable(grams, views, old) is not entries.showable(grams, views, shown)
    assert entries.showable(grams, views, old) is not entries.showable(grams, views, dataclasses.replace(shown))
    # entries of every column (character n-grams and word vectors too): the same evidence, those never shown
    wide = ShownEntries.of(features, np.ones(features.shape[1], dtype=bool))
    for clf in scorer.classifiers.values():
        assert clf.decide(batch, features=features, views=views, entries=wide).evidence == (
            clf.decide(batch, features=features, views=views, entries=entries).evidence
        )


def test_scoring_pauses_the_garbage_collector_only_while_it_scores(
    scorer: ReplyScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import qa_toolkit.scoring as scoring

    seen: list[bool] = []
    decide = scoring.ReplyClassifier.decide

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return decide(self, *args, **kwargs)

    monkeypatch.setattr(scoring.ReplyClassifier, "decide", spy)
    assert gc.isenabled()
    first = scorer.score_replies(replies(["Thanks, Dana!"]))
    assert gc.isenabled() and seen == [False] * 4  # paused inside, resumed after
    gc.disable()  # a caller that paused it keeps it paused
    try:
        assert scorer.score_replies(replies(["Thanks, Dana!"])) == first
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------- scoring contract


def test_score_conversation_skips_notes_and_auto_replies(scorer: ReplyScorer, fixtures: Path) -> None:
    line = (fixtures / "canonical" / "basic.jsonl").read_text().splitlines()[1]
    conv = ConversationIn.model_validate(orjson.loads(line))
    records = score_conversation(conv, scorer=scorer)
    # 1702 is an auto-reply ("We will answer within 28 working days"), 1703 an internal note
    assert [r["message_id"] for r in records] == ["1704"]
    for r in records:
        assert r["conversation_id"] == "c-2" and r["language"] == "en"
        for name, labels in LABEL_SETS.items():
            assert r[name]["label"] in labels and 0 <= r[name]["confidence"] <= 1
            assert isinstance(r[name]["evidence"], list)
            # plain Python values, as a caller compares and prints them (not numpy's strings and floats)
            assert type(r[name]["label"]) is str and type(r[name]["confidence"]) is float
            assert all(type(item) is str for item in r[name]["evidence"])
    assert records[0]["apology"]["label"] == "specific" and records[0]["apology"]["evidence"]


def test_internal_notes_stay_out_of_the_conversation_the_classifiers_read(fixtures: Path) -> None:
    from qa_toolkit.scoring import reply_contexts

    line = (fixtures / "canonical" / "basic.jsonl").read_text().splitlines()[1]
    conv = ConversationIn.model_validate(orjson.loads(line))
    contexts = dict(reply_contexts(conv))
    assert list(contexts) == ["1704"]  # the auto-reply 1702 is marked as such in the file
    before = contexts["1704"].context
    assert [text for _, text in before] == [conv.messages[0].text, conv.messages[1].text]  # customer, auto-reply
    assert not any("Stripe" in text for _, text in before)  # the internal note 1703 is not read
    assert [role for role, _ in before] == ["customer", "bot"]  # the auto-reply is no agent's answer


def test_an_auto_reply_before_the_first_answer_leaves_it_the_first_answer(scorer: ReplyScorer) -> None:
    # a helpdesk's acknowledgement ("we have received your e-mail") is not an agent's answer: the human reply
    # after it reads as the first reply to the customer's words, as without it (training saw no auto-replies)
    customer = ("customer", "My order 48213 arrived broken, the kettle lid is cracked. Can I get a new one?")
    auto = ("agent", "Thank you for your e-mail. This is an automated response: we will reply within 48 hours.")
    reply = ("agent", "Hi, so sorry about the cracked lid on order 48213! A new kettle ships today.")
    with_auto = _conversation([customer, auto, reply])
    assert with_auto.messages[1].is_automated is False  # marked when scored (normalise.mark_auto_replies)
    records = score_conversation(with_auto, scorer=scorer)
    (alone,) = score_conversation(_conversation([customer, reply]), scorer=scorer)
    assert [r["message_id"] for r in records] == ["2"]
    assert {k: v for k, v in records[0].items() if k != "message_id"} == {
        k: v for k, v in alone.items() if k != "message_id"
    }


def test_scoring_in_batches_gives_the_same_records(scorer: ReplyScorer, fixtures: Path) -> None:
    lines = (fixtures / "canonical" / "basic.jsonl").read_text().splitlines()
    convs = [ConversationIn.model_validate(orjson.loads(x)) for x in lines]
    whole = list(scorer.score_conversations(convs))
    assert len(whole) == 3
    for size in (1, 2):
        assert list(scorer.score_conversations(convs, batch=size)) == whole


def _conversation(messages: list[tuple[str, str]], **extra: object) -> ConversationIn:
    return ConversationIn.model_validate(
        {"id": "t-1", "messages": [{"id": str(k), "role": r, "text": t} for k, (r, t) in enumerate(messages)], **extra}
    )


def test_only_agent_replies_with_something_to_label_are_scored(scorer: ReplyScorer) -> None:
    conv = _conversation(
        [
            ("customer", "My order 48213 arrived broken, the kettle lid is cracked. What now?"),
            ("agent", "Thank you for contacting us. This is an automated response, we will reply within 48 hours."),
            ("agent", ""),  # an attachment only, say
            ("agent", " \u200b "),
            ("agent", "..."),
            ("agent", "Sorry about the cracked lid on order 48213! A new kettle ships today."),
            ("customer", "Brilliant, thank you"),
            ("agent", "\U0001f60a\U0001f64f"),  # emoji are a reply
            ("agent", "\u2b50\u2b50\u2b50\u2b50\u2b50"),  # so are symbols outside the emoji blocks
        ]
    )
    records = score_conversation(conv, scorer=scorer)
    assert [r["message_id"] for r in records] == ["5", "7", "8"]
    assert conv.messages[1].is_automated  # marked as after an import, so the library call is the CLI's
    assert records[1]["tone"]["label"] == "friendly"


def test_the_library_call_and_the_cli_write_the_same_records(fixtures: Path, tmp_path: Path,
                                                             scorer: ReplyScorer) -> None:  # fmt: skip
    path = fixtures / "canonical" / "basic.jsonl"
    out = tmp_path / "scores.jsonl"
    assert CliRunner().invoke(app, ["score", str(path), "--out", str(out)]).exit_code == 0
    lines = path.read_text().splitlines()
    library = [
        r for x in lines for r in score_conversation(ConversationIn.model_validate(orjson.loads(x)), scorer=scorer)
    ]
    assert [orjson.loads(x) for x in out.read_text().splitlines()] == library
    assert [r["language"] for r in library] == ["en", "en", "nl"]  # the Dutch chat is detected as Dutch


def test_a_reply_of_unknown_language_says_so(scorer: ReplyScorer) -> None:
    conv = _conversation(
        [
            ("customer", "Мой заказ не пришёл, где он?"),
            ("agent", "Простите за задержку, мы проверим ваш заказ."),
        ]
    )
    (record,) = score_conversation(conv, scorer=scorer)
    assert record["language"] is None  # not one of the detected languages: not claimed to be English
    stated = score_conversation(_conversation([("agent", "Thanks for waiting, your refund went out today.")],
                                              language="en"), scorer=scorer)  # fmt: skip
    assert stated[0]["language"] == "en"


@pytest.mark.parametrize("tag", ["en-US", "EN", "en_GB", " en ", "eng", "English"])
def test_a_language_tag_is_read_as_its_code(scorer: ReplyScorer, tag: str) -> None:
    # a helpdesk's locale ("en-US") is English: the same features and scores as "en" (the upset customer and
    # the politeness strategies are read for English replies only)
    upset = [("customer", "This is useless, I am furious!! Third time I ask."), ("agent", "No. Please read the terms.")]
    tagged, plain = (score_conversation(_conversation(upset, language=lang), scorer=scorer) for lang in (tag, "en"))
    assert tagged == plain and tagged[0]["language"] == "en"
    text, before = upset[1][1], (upset[0],)
    assert scorer.score_replies([ReplyContext(text, before, tag)]) == scorer.score_replies(
        [ReplyContext(text, before, "en")]
    )


def test_score_cli_writes_one_line_per_agent_reply(fixtures: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    result = CliRunner().invoke(app, ["score", str(fixtures / "canonical" / "basic.jsonl"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(x) for x in out.read_text().splitlines()]
    assert [(r["conversation_id"], r["message_id"]) for r in lines] == [("c-1", "6"), ("c-2", "1704"), ("3", "3")]
    for r in lines:
        assert set(r) == {"conversation_id", "message_id", "language", *LABEL_SETS}
        for name, labels in LABEL_SETS.items():
            assert r[name]["label"] in labels and 0 < r[name]["confidence"] <= 1
            assert set(r[name]) == {"label", "confidence", "evidence"} and len(r[name]["evidence"]) <= 3
            assert all(isinstance(e, str) and e for e in r[name]["evidence"])
    assert lines[0]["resolution"]["label"] == "step"  # "Please DM us your account number"
    bad = CliRunner().invoke(app, ["score", str(fixtures / "canonical" / "bad-line-3.jsonl"), "--out", str(out)])
    assert bad.exit_code == 2 and "bad-line-3.jsonl:3:" in bad.output
    assert len(out.read_text().splitlines()) == 3  # a failed run leaves the earlier output alone


def test_score_cli_scores_a_repeated_conversation_id_once(tmp_path: Path) -> None:
    def record(reply: str) -> bytes:
        return orjson.dumps({"id": "c1", "messages": [{"id": "1", "role": "customer", "text": "Where is my parcel?"},
                                                     {"id": "2", "role": "agent", "text": reply}]})  # fmt: skip

    src, out = tmp_path / "twice.jsonl", tmp_path / "scores.jsonl"
    src.write_bytes(record("It arrives tomorrow, Dana!") + b"\n" + record("Read the terms.") + b"\n")
    result = CliRunner().invoke(app, ["score", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(x) for x in out.read_text().splitlines()]
    assert [(r["conversation_id"], r["message_id"]) for r in lines] == [("c1", "2")]  # once: the first
    assert lines[0]["tone"]["label"] == "friendly" and "1 repeated conversation id scored once" in result.output


def test_score_skip_invalid_names_each_skipped_record_and_why(tmp_path: Path) -> None:
    good = {"id": "g", "messages": [{"id": "1", "role": "customer", "text": "Where is my parcel?"},
                                    {"id": "2", "role": "agent", "text": "It arrives tomorrow."}]}  # fmt: skip
    no_id = {"id": "b", "messages": [{"id": " ", "role": "agent", "text": "Happy to help!"}]}  # could not be joined
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in (good, no_id, good | {"id": "g2"})) + b"\n")
    out = tmp_path / "scores.jsonl"
    strict = CliRunner().invoke(app, ["score", str(path), "--out", str(out)])
    assert strict.exit_code == 2 and "mixed.jsonl:2:" in strict.output and "id must not be empty" in strict.output
    assert not out.exists()
    result = CliRunner().invoke(app, ["score", str(path), "--skip-invalid", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "scored 2 agent replies; skipped 1 invalid record " in result.output
    assert re.search(r"skipped \S*mixed\.jsonl:2: .*id must not be empty", result.output), result.output
    assert [orjson.loads(x)["conversation_id"] for x in out.read_text().splitlines()] == ["g", "g2"]


def test_score_uses_the_active_models(fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_MODELS_DIR", str(tmp_path / "no-models-here"))
    result = CliRunner().invoke(app, ["score", str(fixtures / "canonical" / "basic.jsonl"), "--out",
                                      str(tmp_path / "s.jsonl")])  # fmt: skip
    assert result.exit_code == 2 and "no trained" in result.output and "no-models-here" in result.output


def test_politeness_extremes_are_the_published_tasks_quartiles(tmp_path: Path) -> None:
    from qa_toolkit.classifiers.external import politeness_extremes
    from qa_toolkit.classifiers.training import auxiliary_examples

    folder = tmp_path / "stanford-politeness"
    folder.mkdir()
    head = ",".join(["Community", "Id", "Request", *(f"Score{i}" for i in range(1, 6)),
                     *(f"TurkId{i}" for i in range(1, 6)), "Normalized Score"])  # fmt: skip
    rows = [f'x,{i},"Request {i} &lt;url&gt; caf\xe9",1,2,3,4,5,a,b,c,d,e,{s}' for i, s in enumerate(range(-4, 4))]
    rows.append("x,99,a row without a score")  # skipped, not an error
    # some requests were scored by 4 or 10 people: shorter or longer rows, the score still last
    rows.append(f'x,98,"Request 98",{",".join(["9"] * 20)},3.5')
    rows.append('x,97,"Request 97",1,2,3,4,a,b,c,d,-5')
    (folder / "stack-exchange.annotated.csv").write_bytes("\n".join([head, *rows]).encode("latin-1"))
    texts, labels = politeness_extremes(tmp_path, "stack-exchange")
    # scores -4..3, 3.5 and -5: quartiles at -2.75 and 1.75, so -4, -3, -5 (neutral) and 2, 3, 3.5 (friendly)
    assert texts == [*(f"Request {i} http://url caf\xe9" for i in (0, 1, 6, 7)), "Request 98", "Request 97"]
    assert clean_for_model(texts[0]) == "Request 0 URL caf\xe9"  # the masked link reads as the URL placeholder
    assert labels == ["neutral", "neutral", "friendly", "friendly", "friendly", "neutral"]
    assert politeness_extremes(tmp_path, "stack-exchange", impolite_as="unfriendly")[1][:2] == ["unfriendly"] * 2
    contexts, aux_labels = auxiliary_examples("tone", tmp_path)
    assert [c.text for c in contexts] == texts and aux_labels == labels and contexts[0].context == ()
    assert auxiliary_examples("apology", tmp_path) is None
    with pytest.raises(FileNotFoundError, match="wikipedia.annotated.csv"):
        politeness_extremes(tmp_path, "wikipedia")
    (folder / "wikipedia.annotated.csv").write_text("Community,Id,Text,Score\nx,1,hello,2\n")
    with pytest.raises(ValueError, match="wikipedia.annotated.csv: not the Stanford Politeness Corpus's columns"):
        politeness_extremes(tmp_path, "wikipedia")


def test_the_apology_check_reads_only_the_tweets_with_an_apology_label(tmp_path: Path) -> None:
    """Each brand's twcs-activities file has its own activities: a file without "Apologize" says nothing
    about apologies, so its tweets are not counted as replies without one."""
    from qa_toolkit.classifiers.external import apology_check

    folder = tmp_path / "twcs-activities"
    folder.mkdir()
    head = "main_tweet_id,tweet_id,in_response_to_tweet_id,response_tweet_id,created_at,author_id,inbound,text,company"
    (folder / "twcs-A-100-outbound.csv").write_text(
        f"{head},Provide URL,Apologize\n1,2,1.0,,t,A,False,Sorry about the delay,A,,1.0\n"
        "3,4,3.0,,t,A,False,Here is the link,A,1.0,\n5,6,5.0,,t,A,False,So sorry for the trouble,A,,\n"
    )
    (folder / "twcs-B-100-outbound.csv").write_text(f"{head},Request DM\n7,8,7.0,,t,B,False,Sorry! DM us,B,1.0\n")

    class Said:  # says "templated" when the tweet has "sorry", else "none"
        def predict(self, replies, evidence=3):  # type: ignore[no-untyped-def]
            return [SimpleNamespace(label="templated" if "orry" in r.text else "none") for r in replies]

    out = apology_check(Said(), tmp_path)  # type: ignore[arg-type]
    assert out["files"] == ["twcs-A-100-outbound.csv"] and out["tweets"] == 3 and out["apologies"] == 1
    assert out["precision"] == 0.5 and out["recall"] == 1.0  # the unlabelled apology in A counts against it


def test_f1_of_resamples_is_sklearns_f1_of_each_resample() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 200)
    pred = np.where(rng.random(200) < 0.7, truth, rng.integers(0, 3, 200))
    draws = rng.integers(0, 200, size=(25, 200))
    draws[0] = 0  # every draw the same reply: two classes neither true nor predicted get 0
    got = f1_of_resamples(truth, pred, 3, draws)
    assert got.shape == (25, 3)
    for row, idx in zip(got, draws, strict=True):
        expected = f1_score(truth[idx], pred[idx], labels=[0, 1, 2], average=None, zero_division=0)
        assert row == pytest.approx(expected)


def test_f1_intervals_cover_the_figure_and_widen_for_a_rare_class() -> None:
    labels = ["friendly", "neutral", "unfriendly"]
    y = ["friendly"] * 300 + ["neutral"] * 300 + ["unfriendly"] * 20
    perfect = f1_intervals(y, y, labels)
    assert perfect["macro_f1"] == [1.0, 1.0] and perfect["f1"]["unfriendly"] == [1.0, 1.0]
    pred = list(y)
    for i in range(0, 300, 10):  # a tenth of the friendly replies called neutral
        pred[i] = "neutral"
    for i in range(600, 610):  # half the unfriendly ones missed
        pred[i] = "neutral"
    out = f1_intervals(y, pred, labels)
    assert out["level"] == 0.95 and out["resamples"] == 2000
    point = f1_score(y, pred, labels=labels, average="macro")
    lo, hi = out["macro_f1"]
    assert lo < point < hi
    width = {c: b - a for c, (a, b) in out["f1"].items()}
    assert width["unfriendly"] > 3 * width["friendly"]
    assert f1_intervals(y, pred, labels) == out  # seeded: the same figures every run
    # the 2.5th and 97.5th percentiles of sklearn's figures on the same seeded draws
    draws = np.random.default_rng(0).integers(0, len(y), size=(2000, len(y)))
    truth, guess = np.array(y), np.array(pred)
    macro = [f1_score(truth[d], guess[d], labels=labels, average="macro", zero_division=0) for d in draws]
    assert out["macro_f1"] == pytest.approx(np.percentile(macro, [2.5, 97.5]).tolist())
    unfriendly = [f1_score(truth[d], guess[d], labels=["unfriendly"], average="macro", zero_division=0) for d in draws]
    assert out["f1"]["unfriendly"] == pytest.approx(np.percentile(unfriendly, [2.5, 97.5]).tolist())
    # a label outside the classes (one the model never learnt) counts against them, as in sklearn
    odd = list(y)
    odd[0] = "other"
    bounds = f1_intervals(odd, pred, labels)["macro_f1"]
    macro = [f1_score(np.array(odd)[d], guess[d], labels=labels, average="macro", zero_division=0) for d in draws]
    assert bounds == pytest.approx(np.percentile(macro, [2.5, 97.5]).tolist())
    proba = np.full((len(y), 3), 1 / 3)
    figures = evaluate_predictions(y, pred, proba, labels)
    assert figures["bootstrap"] == out
    assert f"bootstrap interval {lo:.3f}-{hi:.3f}" in format_report("tone", figures, figures)


def test_the_evaluation_figures_of_a_small_case_worked_by_hand() -> None:
    y = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    proba = np.array([[0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2]])
    figures = evaluate_predictions(y, pred, proba, ["a", "b", "c"])
    a, b, c = (figures["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["f1"], a["support"]) == (0.5, 0.5, 0.5, 2)
    assert (b["precision"], b["recall"], b["f1"], b["support"]) == pytest.approx((2 / 3, 1, 0.8, 2))
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0, 0, 0, 1)  # never predicted: 0, no warning
    assert figures["macro_f1"] == pytest.approx((0.5 + 0.8 + 0) / 3) and figures["accuracy"] == 0.6
    assert figures["confusion"] == {"labels": ["a", "b", "c"], "matrix": [[1, 1, 0], [0, 2, 0], [1, 0, 0]]}
    # ranked by P(a): the two a replies are first and third, so average precision (1 + 2/3) / 2
    assert a["average_precision"] == pytest.approx(5 / 6)


def test_expected_calibration_error() -> None:
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    assert expected_calibration_error(proba, ["a", "a", "a", "b"], ["a", "b"]) == pytest.approx(0.5 * 0.1 + 0.5 * 0.1)
    # the confidence shown is that of the decided label, which need not be the argmax
    decided = ["a", "a", "b", "b"]
    assert expected_calibration_error(proba, ["a", "a", "a", "b"], ["a", "b"], y_pred=decided) == pytest.approx(
        0.5 * 0.1 + 0.5 * abs(0.5 - 0.4)
    )


def test_the_committed_models_score_the_same_in_a_fresh_process(scorer: ReplyScorer) -> None:
    import json
    import subprocess
    import sys

    texts = [WARM[0], COLD[0], "Please DM us your order number."]
    code = (
        "import json, sys\n"
        "from qa_toolkit.features import ReplyContext\n"
        "from qa_toolkit.scoring import ReplyScorer\n"
        f"customer = {CUSTOMER!r}\n"
        "texts = json.loads(sys.stdin.read())\n"
        "print(json.dumps(ReplyScorer.load().score_replies([ReplyContext(t, customer, 'en') for t in texts])))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                         check=False, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == scorer.score_replies(replies(texts))


@pytest.mark.shared_data
def test_evaluate_writes_figures_into_the_cards(shared_data: Path, tmp_path: Path) -> None:
    import shutil

    from qa_toolkit.classifiers.artefacts import MODELS_DIR

    shipped: dict[str, dict] = {}
    for name in LABEL_SETS:
        shutil.copytree(MODELS_DIR / f"{name}-v1", tmp_path / f"{name}-v1")
        card = tmp_path / f"{name}-v1" / "card.json"
        data = orjson.loads(card.read_bytes())
        shipped[name] = data.pop("metrics")
        card.write_bytes(orjson.dumps(data))
    result = CliRunner().invoke(app, ["evaluate", "--models-dir", str(tmp_path), "--data-dir", str(shared_data)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "confusion" in result.output
    for name in LABEL_SETS:
        card = read_card(name, tmp_path)
        assert card["metrics"]["n"] >= 500 and set(card["metrics"]["per_class"]) == set(LABEL_SETS[name])
        # the same models on the same evaluation set: the figures the shipped card holds (floats up to the
        # rounding of another machine's arithmetic)
        got, held = card["metrics"], shipped[name]
        assert got["confusion"] == held["confusion"], name
        figures = ("macro_f1", "accuracy", "ece")
        assert [got[k] for k in figures] == pytest.approx([held[k] for k in figures], rel=1e-9), name
        for label, per_class in got["per_class"].items():
            assert per_class == pytest.approx(held["per_class"][label], rel=1e-9), (name, label)
        assert card["speed"] == read_card(name)["speed"]  # what evaluate does not measure, it keeps
    politeness = read_card("tone", tmp_path)["external_checks"]["stanford_politeness"]
    # the shipped tone model learnt from Stack Exchange's extremes: only Wikipedia is a check, and the card says so
    assert politeness["stack-exchange"]["in_training"] and not politeness["wikipedia"]["in_training"]
    assert read_card("tone", tmp_path)["training_data"]["auxiliary"]["examples"] > 3000
    activities = read_card("apology", tmp_path)["external_checks"]["twcs_activities_apology_presence"]
    assert activities["tweets"] == 100 and activities["files"] == ["twcs-AmazonHelp-100-outbound.csv"]


# --------------------------------------------------------------------------- qa-toolkit train (train_all)


def _stub_training_data(monkeypatch: pytest.MonkeyPatch, labelled, polite) -> None:  # type: ignore[no-untyped-def]
    """``train_all`` on hand-written replies: its label records, texts and politeness examples stubbed, the
    evaluation (which reads ../shared/data) left out."""
    from qa_toolkit.classifiers import training

    # the label records, and one labelled reply left out as test data
    left_out = ["twcs-sample:7#8"]
    monkeypatch.setattr(training, "training_labels_and_left_out", lambda data_dir: (labelled.labels, left_out))
    monkeypatch.setattr(training, "load_labelled", lambda records, data_dir: labelled)
    monkeypatch.setattr(training, "auxiliary_examples", lambda name, data_dir: polite if name == "tone" else None)
    monkeypatch.setattr(training, "evaluate_all", lambda *a, **k: {})


def test_train_fits_what_fit_classifiers_fits_and_writes_the_cards(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    import review_builder as rb

    from qa_toolkit.classifiers.training import fit_classifiers, train_all

    labelled = rb.labelled_set(range(60))
    polite = ([ReplyContext(t, (), "en") for t in WARM + COLD], ["friendly"] * len(WARM) + ["neutral"] * len(COLD))
    _stub_training_data(monkeypatch, labelled, polite)
    cards = train_all(tmp_path / "data", models_dir=tmp_path / "models", log=lambda _m: None)

    labels = {name: labelled.y(name) for name in LABEL_SETS}
    alone = fit_classifiers(labelled.contexts, labels, auxiliary={"tone": polite}, groups=labelled.groups())
    for name in LABEL_SETS:
        saved = joblib.load(tmp_path / "models" / f"{name}-v1" / "model.joblib").named_steps["clf"]
        same = alone.pipelines[name].named_steps["clf"]
        np.testing.assert_array_equal(saved.linear_.coef_, same.linear_.coef_)
        # and the same calibration folds (grouped by conversation): the same calibrator and decision weights
        np.testing.assert_array_equal(saved.calibrator_.coef_, same.calibrator_.coef_)
        np.testing.assert_array_equal(saved.decision_weights_, same.decision_weights_)
        card = read_card(name, tmp_path / "models")
        assert card["training_data"]["replies"] == 60
        assert card["training_data"]["distribution"] == alone.distribution[name]
        assert set(card["model"]) >= {"pipeline", "params", "decision_weights", "featurizer_fingerprint"}
        assert card == {**card, **cards[name]}
    assert cards["tone"]["training_data"]["auxiliary"]["examples"] == len(polite[1])
    assert cards["tone"]["training_data"]["auxiliary"]["weight"] == POLITENESS_WEIGHT
    assert "auxiliary" not in cards["apology"]["training_data"]
    for card in cards.values():  # the card lists the labelled replies left out as test data
        assert card["training_data"]["left_out"]["items"] == ["twcs-sample:7#8"]


def test_train_refuses_a_class_with_too_few_labels_before_fitting(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    import review_builder as rb

    from qa_toolkit.classifiers.training import train_all
    from qa_toolkit.errors import QAError

    labelled = rb.labelled_set(range(60))
    unfriendly = [r for r in labelled.labels if r["tone"] == "unfriendly"]
    for r in unfriendly[3:]:
        r["tone"] = "neutral"  # 3 unfriendly left
    _stub_training_data(monkeypatch, labelled, None)
    with pytest.raises(QAError, match=r"tone: unfriendly \(3\)"):
        train_all(tmp_path / "data", models_dir=tmp_path / "models", log=lambda _m: None)
    assert not (tmp_path / "models").exists()  # nothing written
    # the command says so, and exits with the error code
    result = CliRunner().invoke(app, ["train", "--data-dir", str(tmp_path), "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 2 and "unfriendly (3)" in result.output, result.output
    assert not (tmp_path / "models").exists()


def test_the_train_command_writes_the_four_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import review_builder as rb

    labelled = rb.labelled_set(range(60))
    _stub_training_data(monkeypatch, labelled, None)
    models = tmp_path / "models"
    result = CliRunner().invoke(app, ["train", "--data-dir", str(tmp_path), "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    loaded = ReplyScorer.load(models)  # what it wrote loads as the four, sharing one featurizer
    assert loaded.shared_featurizer is not None
    for name in LABEL_SETS:
        assert read_card(name, models)["training_data"]["replies"] == 60
    (scores,) = loaded.score_replies(replies([WARM[0]]))
    assert set(scores) == set(LABEL_SETS)
