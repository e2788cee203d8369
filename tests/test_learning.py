"""Learning from reviewers: review verdicts as training examples (latest finished review wins, drafts never
count), retraining with them on tiny models (cross-validated without ../shared/data, on an evaluation set
with it), and switching models with a way back."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import review_builder as rb
from sqlalchemy.engine import Engine

from qa_toolkit import learning
from qa_toolkit.classifiers.artefacts import load_classifier, model_dir, read_card
from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.errors import QAError
from qa_toolkit.pipeline import import_files


def _digests(folder: Path) -> dict[str, bytes]:
    return {name: (model_dir(name, folder) / "model.joblib").read_bytes() for name in LABEL_SETS}


@pytest.fixture
def store(tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    return rb.build(f"sqlite:///{tmp_path / 'learn.db'}", tmp_path, n=30)


@pytest.fixture
def reviewed(store: tuple[Engine, dict[str, int]]) -> tuple[Engine, dict[str, int]]:
    """ann finished a review of every conversation, with the true labels (correcting the poor model)."""
    engine, ids = store
    for ext, cid in ids.items():
        rb.review(engine, cid, int(ext.split("-")[1]), reviewer="ann")
    return engine, ids


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rb.tiny_models(tmp_path_factory.mktemp("tiny") / "models")


@pytest.fixture
def models(tmp_path: Path, tiny: Path) -> Path:
    """The tiny "active" models, a copy of their own for each test."""
    return Path(shutil.copytree(tiny, tmp_path / "models"))


# --------------------------------------------------------------------------- review examples


def test_examples_carry_the_reply_its_context_and_the_reviewers_labels(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    rb.review(engine, ids["r-2"], 2, reviewer="ann")  # r-2 is unfriendly; the model said neutral
    [example] = learning.review_training_records(engine)
    assert example.item == "store:test:r-2#2-2" and example.conversation_id == ids["r-2"]
    assert example.context == rb.context(2)
    assert example.labels == rb.true_labels(2) and example.labels["tone"] == "unfriendly"
    assert example.model_labels["tone"] == "neutral" and example.corrected == ["tone"]
    assert set(example.reviewers.values()) == {"ann"}


def test_drafts_do_not_count_and_the_latest_finished_review_wins(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    t = rb.T0 + timedelta(days=90)
    rb.review(engine, ids["r-2"], 2, reviewer="ann", at=t)
    rb.review(engine, ids["r-2"], 2, reviewer="bob", labels={"tone": "neutral"}, at=t + timedelta(hours=1))
    rb.review(engine, ids["r-2"], 2, reviewer="cy", labels={"tone": "friendly"}, done=False, at=t + timedelta(hours=2))
    rb.review(engine, ids["r-5"], 5, reviewer="cy", done=False)  # only a draft: no example
    [example] = learning.review_training_records(engine)
    assert example.labels["tone"] == "neutral" and example.reviewers["tone"] == "bob"  # bob finished last
    assert example.labels["apology"] == rb.true_labels(2)["apology"]


def test_only_labels_a_reviewer_judged_count(store: tuple[Engine, dict[str, int]]) -> None:
    from qa_toolkit.db.results import LabelVerdict, save_review

    engine, ids = store
    save_review(engine, conversation_id=ids["r-4"], reviewer="ann", expected_version=None, done=True,
                labels=[LabelVerdict("4-2", "apology", "specific", model_label="templated")])  # fmt: skip
    [example] = learning.review_training_records(engine)
    assert example.labels == {"apology": "specific"}


def test_a_reply_that_left_the_store_is_skipped(tmp_path: Path, store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    rb.review(engine, ids["r-1"], 1, reviewer="ann")
    rb.review(engine, ids["r-3"], 3, reviewer="ann")
    changed = rb.records(4)[1]
    changed["messages"][1]["id"] = "1-2-edited"  # re-exported with another message id
    path = tmp_path / "changed.jsonl"
    path.write_bytes(orjson.dumps(changed) + b"\n")
    import_files([path], db=engine, parallel=False)
    lines: list[str] = []
    examples = learning.review_training_records(engine, log=lines.append)
    assert [e.item for e in examples] == ["store:test:r-3#3-2"]
    assert len(lines) == 1 and lines[0].startswith("1 reviewed replies are no longer in the store or no longer scored")


# --------------------------------------------------------------------------- retraining


def test_without_shared_data_the_figures_are_cross_validated_and_say_so(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, _ = reviewed
    before = _digests(models)
    lines: list[str] = []
    result = learning.retrain_with_reviews(
        engine, data_dir=None, models_dir=models, out_dir=tmp_path / "new", pipeline_params=rb.TINY, log=lines.append
    )
    assert result.evaluation == learning.CROSS_VALIDATED and not result.independent
    assert "No independent evaluation is possible" in result.evaluation_note
    assert any("learn from the 30 review examples alone" in n for n in result.notes)
    assert result.review_examples == 30 and result.base_examples == 0
    table = {row["label"]: row for row in result.table()}
    assert set(table) == set(LABEL_SETS)
    assert all(row["evaluated on"] == 30 and row["review examples"] == 30 for row in table.values())
    # the corrections were learnt: unfriendly replies and specific apologies, which the old model missed
    for name in ("tone", "apology"):
        assert table[name]["macro_f1 after"] > table[name]["macro_f1 before"]
    assert _digests(models) == before  # the active models are untouched
    assert learning.read_result(tmp_path / "new").table() == result.table()
    card = read_card("tone", tmp_path / "new")
    assert card["training_data"]["review_examples"]["replies"] == 30
    assert card["training_data"]["review_examples"]["corrected"] == 10  # every third reply is unfriendly
    assert "metrics_cross_validated_on_reviews" in card and "metrics" not in card
    assert "reading the finished reviews" in lines and any("cross-validating tone" in m for m in lines)
    new = load_classifier("tone", tmp_path / "new")
    assert new.predict([rb.context(32)], evidence=0)[0].label == "unfriendly"


def test_with_an_evaluation_set_old_and_new_are_compared_on_it(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, _ = reviewed
    evaluation = rb.labelled_set(range(30, 48))
    result = learning.retrain_with_reviews(
        engine,
        data_dir=None,
        models_dir=models,
        out_dir=tmp_path / "new",
        pipeline_params=rb.TINY,
        training_set=rb.labelled_set(range(60, 90)),
        evaluation_set=evaluation,
    )
    assert result.evaluation == learning.EVALUATION_SET and result.independent
    # replies whose text is in the evaluation set never train (here: the ones without a name or order)
    held_out = {c.text for c in evaluation.contexts}
    leaked = sum(1 for i in range(30) if rb.context(i).text in held_out)
    assert leaked and f"{leaked} reviewed replies are in the evaluation set" in " ".join(result.notes)
    assert result.review_examples == 30 - leaked and result.base_examples == 30
    for row in result.table():
        assert row["evaluated on"] == len(evaluation.contexts)
        assert row["trained on"] == 30 + 30 - leaked
    tone = result.figures["tone"]
    assert tone["after"]["per_class"]["unfriendly"]["recall"] > tone["before"]["per_class"]["unfriendly"]["recall"]
    card = read_card("apology", tmp_path / "new")
    assert card["metrics"] == result.figures["apology"]["after"]
    assert card["metrics_before_retraining"] == result.figures["apology"]["before"]


def test_a_reviewed_reply_of_the_test_splits_never_trains(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store can hold the research test splits (imported to try the tool): their replies are test data,
    whether or not they are in the evaluation set."""
    from types import SimpleNamespace

    engine, _ = reviewed
    data = tmp_path / "data"
    data.mkdir()
    asked: list[tuple[Path, bool]] = []

    def test_replies(data_dir: Path, *, present_only: bool = False):  # type: ignore[no-untyped-def]
        asked.append((data_dir, present_only))
        # replies 0 and 1 are in a test split (spaced and cased differently: the same reply)
        yield from (SimpleNamespace(reply=SimpleNamespace(text=f"  {rb.context(i).text.upper()} "),
                                    conversation=SimpleNamespace(id=f"t-{i}")) for i in (0, 1))  # fmt: skip

    monkeypatch.setattr(learning, "iter_test_reply_items", test_replies)
    sets = {"training_set": rb.labelled_set(range(60, 90)), "evaluation_set": rb.labelled_set(range(80, 86))}
    result = learning.retrain_with_reviews(engine, data_dir=data, models_dir=models, out_dir=tmp_path / "new",
                                           names=["apology"], pipeline_params=rb.TINY, **sets)  # fmt: skip
    assert asked == [(data, True)]
    in_evaluation = {c.text for c in sets["evaluation_set"].contexts}
    leaked = sum(rb.context(i).text in in_evaluation for i in range(30))  # left out as the evaluation set's
    assert not {rb.context(0).text, rb.context(1).text} & in_evaluation
    assert result.review_examples == 30 - leaked - 2
    assert "2 reviewed replies are replies of the test splits" in " ".join(result.notes)
    # with no ../shared/data there is nothing to compare with, and every review example trains
    result = learning.retrain_with_reviews(engine, data_dir=None, models_dir=models, out_dir=tmp_path / "again",
                                           names=["apology"], pipeline_params=rb.TINY, **sets)  # fmt: skip
    assert result.review_examples == 30 - leaked and len(asked) == 1


def test_calibration_folds_group_reviewed_replies_by_conversation(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `qa-toolkit train`: the committed rows keep their groups, a reviewed reply's group is its store
    conversation, or the committed row's when it is the same reply (a store can hold the training splits)."""
    engine, _ = reviewed
    seen: dict = {}
    real = learning.fit_classifiers

    def spy(contexts, labels, **kw):  # type: ignore[no-untyped-def]
        seen.update(contexts=list(contexts), groups=kw.get("groups"))
        return real(contexts, labels, **kw)

    monkeypatch.setattr(learning, "fit_classifiers", spy)
    base = rb.labelled_set(range(0, 6))  # replies 0-5 are committed training replies too
    base.labels = [{**r, "item": f"hand:{i // 2}#{i}"} for i, r in enumerate(base.labels)]  # two a conversation
    learning.retrain_with_reviews(engine, data_dir=None, models_dir=models, out_dir=tmp_path / "new",
                                  names=["apology"], pipeline_params=rb.TINY, training_set=base,
                                  evaluation_set=rb.labelled_set(range(80, 86)))  # fmt: skip
    contexts, groups = seen["contexts"], seen["groups"]
    assert len(groups) == len(contexts) > len(base.contexts)
    assert groups[:6] == base.groups() == ["hand:0", "hand:0", "hand:1", "hand:1", "hand:2", "hand:2"]
    for context, group in zip(contexts[6:], groups[6:], strict=True):
        if context in base.contexts:
            assert group == base.groups()[base.contexts.index(context)]
        else:
            assert group.startswith("store:")
    assert sum(c in base.contexts for c in contexts[6:]) == 6
    assert len({g for g in groups[6:] if g.startswith("store:")}) == len(contexts) - 12


def test_test_data_in_a_store_is_told_by_text_and_by_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from qa_toolkit.features import ReplyContext

    def example(item: str, text: str) -> SimpleNamespace:
        return SimpleNamespace(item=item, context=ReplyContext(text))

    test_reply = SimpleNamespace(reply=SimpleNamespace(text="__cust__ Please  DM us your booking code."),
                                 conversation=SimpleNamespace(id="3607"))  # fmt: skip
    monkeypatch.setattr(learning, "iter_test_reply_items", lambda data_dir, present_only=False: iter([test_reply]))
    monkeypatch.setattr(learning, "sample_threads_in_test", lambda data_dir: frozenset({"1223"}))
    examples = [
        example("store:twcs:99#100", "@115882 please DM us your booking code."),  # a test reply, as TWCS writes it
        example("store:twcs:1223#1230", "We have refunded the fare."),  # in a sample thread of the test split
        example("store:twcs-airlines:3607#t3", "Anything else?"),  # in an airlines test thread
        example("store:zendesk:1223#5", "We have refunded the fare."),  # a helpdesk's own ticket 1223
        example("store:twcs:55#56", "We have refunded the fare."),
    ]
    notes: list[str] = []
    kept = learning._leave_out_test_data(examples, None, tmp_path, notes, lambda _m: None)  # type: ignore[arg-type]
    assert [e.item for e in kept] == ["store:zendesk:1223#5", "store:twcs:55#56"]
    assert notes and notes[0].startswith("3 reviewed replies are replies of the test splits")
    # an evaluation reply is told by its text, whatever the source
    evaluation = rb.labelled_set(range(1))
    notes = []
    kept = learning._leave_out_test_data([example("store:zendesk:1#2", f"  {evaluation.contexts[0].text.upper()}"),
                                          *examples[3:]], evaluation, None, notes, lambda _m: None)  # type: ignore[arg-type]  # fmt: skip
    assert len(kept) == 2 and notes == ["1 reviewed replies are in the evaluation set: left out of the training"]


def test_with_the_politeness_corpus_tone_learns_from_it_as_train_does(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path
) -> None:
    from qa_toolkit.classifiers.models import POLITENESS_WEIGHT

    engine, _ = reviewed
    data = tmp_path / "data"
    (data / "stanford-politeness").mkdir(parents=True)
    rows = ["Community,Id,Request,Normalized Score"] + [
        f"x,{i},{text},{score}" for i, (text, score) in enumerate(
            [("Could you please help me with this? Thanks!", 1.5), ("Would you mind checking? Thank you", 1.2),
             ("Why is this broken", -1.0), ("Fix it now", -1.4), ("What do you mean", 0.1), ("And then", 0.0)])
    ]  # fmt: skip
    (data / "stanford-politeness" / "stack-exchange.annotated.csv").write_text("\n".join(rows), encoding="latin-1")
    sets = {"training_set": rb.labelled_set(range(60, 90)), "evaluation_set": rb.labelled_set(range(30, 48))}
    learning.retrain_with_reviews(engine, data_dir=data, models_dir=models, out_dir=tmp_path / "new",
                                  names=["tone"], pipeline_params=rb.TINY, **sets)  # fmt: skip
    aux = read_card("tone", tmp_path / "new")["training_data"]["auxiliary"]
    assert aux["examples"] == 4 and aux["distribution"] == {"friendly": 2, "neutral": 2}
    assert aux["weight"] == POLITENESS_WEIGHT and "stack-exchange" in aux["source"]
    # without the corpus tone learns from the labels alone, and the card does not claim otherwise
    (data / "stanford-politeness" / "stack-exchange.annotated.csv").unlink()
    (data / "stanford-politeness").rmdir()
    learning.retrain_with_reviews(engine, data_dir=data, models_dir=models, out_dir=tmp_path / "again",
                                  names=["tone"], pipeline_params=rb.TINY, **sets)  # fmt: skip
    assert "auxiliary" not in read_card("tone", tmp_path / "again")["training_data"]


def test_retraining_some_labels_keeps_the_others(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, _ = reviewed
    result = learning.retrain_with_reviews(
        engine,
        data_dir=None,
        models_dir=models,
        out_dir=tmp_path / "new",
        names=["apology"],
        pipeline_params=rb.TINY,
        training_set=rb.labelled_set(range(60, 70)),
        evaluation_set=rb.labelled_set(range(80, 86)),
    )
    assert list(result.figures) == ["apology"]
    new, old = _digests(tmp_path / "new"), _digests(models)
    assert new["apology"] != old["apology"]
    assert all(new[n] == old[n] for n in ("tone", "personalisation", "resolution"))


def test_a_label_with_one_class_is_not_retrained(
    tmp_path: Path, store: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, ids = store
    for i in (0, 3, 6, 9, 12, 15):  # every one friendly
        rb.review(engine, ids[f"r-{i}"], i, reviewer="ann")
    result = learning.retrain_with_reviews(
        engine, data_dir=None, models_dir=models, out_dir=tmp_path / "new", pipeline_params=rb.TINY
    )
    assert result.figures["tone"]["kept"].startswith("the active model is kept: 6 usable examples in 1 class")
    assert _digests(tmp_path / "new")["tone"] == _digests(models)["tone"]


def test_nothing_to_learn_and_bad_folders_are_clear_errors(
    tmp_path: Path, store: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, ids = store
    with pytest.raises(QAError, match="nothing to learn from"):
        learning.retrain_with_reviews(engine, data_dir=None, models_dir=models, out_dir=tmp_path / "new")
    rb.review(engine, ids["r-1"], 1, reviewer="ann")
    with pytest.raises(QAError, match="is not there"):
        learning.retrain_with_reviews(engine, data_dir=tmp_path / "nope", models_dir=models, out_dir=tmp_path / "n")
    with pytest.raises(QAError, match="must not be the active models folder"):
        learning.retrain_with_reviews(engine, data_dir=None, models_dir=models, out_dir=models)
    with pytest.raises(QAError, match="unknown classifier 'mood'"):
        learning.retrain_with_reviews(engine, data_dir=None, models_dir=models, out_dir=tmp_path / "n", names=["mood"])
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- switching


def test_activate_keeps_the_previous_models_and_rollback_brings_them_back(
    tmp_path: Path, reviewed: tuple[Engine, dict[str, int]], models: Path
) -> None:
    engine, _ = reviewed
    work = tmp_path / "work"
    candidate = learning.new_candidate_dir(work)
    learning.retrain_with_reviews(
        engine,
        data_dir=None,
        models_dir=models,
        out_dir=candidate,
        pipeline_params=rb.TINY,
        training_set=rb.labelled_set(range(60, 70)),
        evaluation_set=rb.labelled_set(range(80, 86)),
    )
    assert learning.list_candidates(work) == [candidate] and learning.activation(candidate) is None
    old, new = _digests(models), _digests(candidate)
    signature = learning.model_signature(models)
    backup = learning.activate_models(candidate, models_dir=models, backups_dir=work / "previous", by="ann")
    assert _digests(models) == new and _digests(backup) == old
    assert learning.model_signature(models) != signature
    assert learning.activation(candidate)["by"] == "ann"
    assert not [p for p in models.iterdir() if p.name.startswith(".")]  # no half-way folders left
    assert load_classifier("tone", models).predict([rb.context(32)], evidence=0)[0].label == "unfriendly"

    restored = learning.rollback_models(models_dir=models, backups_dir=work / "previous")
    assert restored == backup and _digests(models) == old
    kept = learning.list_backups(work / "previous")
    assert len(kept) == 2 and _digests(kept[0]) == new  # the rollback kept what it replaced


def test_an_incomplete_candidate_is_refused(tmp_path: Path, models: Path) -> None:
    before = _digests(models)
    (tmp_path / "half" / "tone-v1").mkdir(parents=True)
    with pytest.raises(QAError, match="not a complete set of models"):
        learning.activate_models(tmp_path / "half", models_dir=models, backups_dir=tmp_path / "prev")
    with pytest.raises(QAError, match="no kept models"):
        learning.rollback_models(models_dir=models, backups_dir=tmp_path / "prev")
    assert _digests(models) == before and not (tmp_path / "prev").exists()


def test_the_folders_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_MODELS_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("QA_RETRAIN_DIR", str(tmp_path / "r"))
    monkeypatch.setenv("QA_SHARED_DATA", str(tmp_path / "absent"))
    assert learning.active_models_dir() == tmp_path / "m" and learning.retrain_dir() == tmp_path / "r"
    assert learning.research_data_dir() is None  # set but absent: not the default one either
    monkeypatch.delenv("QA_MODELS_DIR")
    assert learning.active_models_dir().name == "models"


# --------------------------------------------------------------------------- the real data


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_real_path_on_the_committed_labels(
    shared_data: Path, tmp_path: Path, reviewed: tuple[Engine, dict[str, int]]
) -> None:
    """The committed training labels and evaluation set from ../shared/data, the committed active model as
    "before" (one label, small features, so that it takes minutes, not the full training)."""
    engine, _ = reviewed
    result = learning.retrain_with_reviews(
        engine,
        data_dir=shared_data,
        models_dir=learning.MODELS_DIR,
        out_dir=tmp_path / "new",
        names=["apology"],
        pipeline_params=rb.TINY,
    )
    assert result.independent and result.base_examples > 2000 and result.review_examples == 30
    [row] = result.table()
    assert row["evaluated on"] > 400 and row["trained on"] == result.base_examples + 30
    assert row["macro_f1 before"] > 0.5 and row["macro_f1 after"] is not None
    # the card says what `qa-toolkit train`'s cards say about the committed labels: the test-split replies
    # left out, and the replies labelled under two ids, trained on once
    data = read_card("apology", tmp_path / "new")["training_data"]
    assert data["left_out"]["replies"] >= 10 and all(i.startswith("twcs-sample:") for i in data["left_out"]["items"])
    assert data["same_reply_merged"]["replies"] >= 60
