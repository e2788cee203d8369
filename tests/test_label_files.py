"""The training label files: which label a reply trains on when it was read more than once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.classifiers import LABEL_SETS, training

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "labelling"))
from adjudicate import combine, decide, eval_to_read  # noqa: E402
from merge_round import refusals, round_records  # noqa: E402

from qa_toolkit.datasets import shared_data_dir  # noqa: E402


def reading(tone: str = "friendly", personalisation: str = "personalised", apology: str = "none",
            resolution: str = "solution", **extra: str) -> dict:  # fmt: skip
    return {"tone": tone, "personalisation": personalisation, "apology": apology, "resolution": resolution,
            **extra}  # fmt: skip


def _round(work: Path, labelled: dict[str, list[dict]]) -> dict[str, dict]:
    """A labelling round on disk: batch files, one labeller's file each, and the manifest."""
    (work / "out").mkdir(parents=True, exist_ok=True)
    manifest = {}
    for n, (batch, rows) in enumerate(labelled.items(), 1):
        (work / f"{batch}.jsonl").write_text("".join(json.dumps({"item": r["item"]}) + "\n" for r in rows))
        (work / "out" / f"{batch}.X{n}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        manifest |= {r["item"]: {"batch": batch, "sampling": "uncertain-tone"} for r in rows}
    return manifest


def test_a_round_merges_in_batch_order_with_labeller_and_sampling(tmp_path: Path) -> None:
    rows = {"r-01": [reading(item="a#1"), reading(item="a#2", tone="unfriendly")], "r-02": [reading(item="b#1")]}
    manifest = _round(tmp_path, rows)
    records = round_records(tmp_path, "r", manifest)
    assert [r["item"] for r in records] == ["a#1", "a#2", "b#1"]
    assert records[1] == {**reading(item="a#2", tone="unfriendly"), "labeller": "X1", "batch": "r-01",
                          "sampling": "uncertain-tone"}  # fmt: skip
    assert records[2]["labeller"] == "X2"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda w: (w / "out" / "r-01.X1.jsonl").write_text(json.dumps(reading(item="a#1")) + "\n"),
            "the items differ from those of",
        ),
        (
            lambda w: (w / "out" / "r-01.X1.jsonl").write_text(
                json.dumps(reading(item="a#1")) + "\n" + json.dumps(reading(item="a#2", tone="rude")) + "\n"
            ),
            "r-01.X1.jsonl: a#2: tone 'rude' is not one of",
        ),
        (lambda w: (w / "out" / "r-01.Y9.jsonl").write_text(""), "r-01: 2 labellers' files"),
        (lambda w: (w / "out" / "r-01.X1.jsonl").unlink(), "r-01: 0 labellers' files"),
    ],
)
def test_a_round_with_bad_label_files_is_refused(tmp_path: Path, spoil, message: str) -> None:  # type: ignore[no-untyped-def]
    manifest = _round(tmp_path, {"r-01": [reading(item="a#1"), reading(item="a#2")]})
    spoil(tmp_path)
    with pytest.raises(SystemExit, match=message):
        round_records(tmp_path, "r", manifest)


def test_the_label_two_of_three_readings_share_wins_per_task() -> None:
    first = reading(tone="neutral", apology="templated")
    second = reading(tone="unfriendly", apology="specific", resolution="step")
    third = reading(tone="unfriendly", apology="templated", resolution="none")
    assert decide([first, second, third]) == reading(tone="unfriendly", apology="templated")


def test_when_three_readings_all_differ_the_first_stays() -> None:
    readings = [reading(tone="neutral"), reading(tone="friendly"), reading(tone="unfriendly")]
    assert decide(readings)["tone"] == "neutral"


def test_two_agreeing_readings_keep_their_label() -> None:
    assert decide([reading(resolution="step"), reading(resolution="step")]) == reading(resolution="step")


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_reviewed_labels_replace_the_first_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    _write(tmp_path / "shared" / "labels" / "seed-train-1000.jsonl",
           [{"item": "airlines-train:1#t1", **reading(tone="neutral"), "labeller": "A"},
            {"item": "airlines-train:2#t1", **reading()}])  # fmt: skip
    repo = tmp_path / "repo"
    _write(repo / "labels" / "train-extra.jsonl", [{"item": "ibm-dev:3#4", **reading(apology="templated")}])
    monkeypatch.setattr(training, "ROOT", repo)
    before = {r["item"]: r["tone"] for r in training.training_label_records(data)}
    assert before == {"airlines-train:1#t1": "neutral", "airlines-train:2#t1": "friendly", "ibm-dev:3#4": "friendly"}

    _write(repo / "labels" / "train-reviewed.jsonl",
           [{"item": "airlines-train:1#t1", **reading(tone="unfriendly"), "review": "review1"},
            {"item": "ibm-dev:3#4", **reading(apology="specific"), "review": "review1"}])  # fmt: skip
    after = {r["item"]: r for r in training.training_label_records(data)}
    assert len(after) == 3
    assert after["airlines-train:1#t1"]["tone"] == "unfriendly"
    assert after["airlines-train:1#t1"]["labeller"] == "A"  # the rest of the first record stays
    assert after["ibm-dev:3#4"]["apology"] == "specific"
    assert after["airlines-train:2#t1"]["tone"] == "friendly"


def test_a_test_split_reply_in_the_training_labels_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    _write(tmp_path / "shared" / "labels" / "seed-train-1000.jsonl", [])
    repo = tmp_path / "repo"
    _write(repo / "labels" / "train-extra.jsonl", [{"item": "airlines-test:9#t1", **reading()}])
    monkeypatch.setattr(training, "ROOT", repo)
    with pytest.raises(AssertionError, match="test split"):
        training.training_label_records(data)


def test_combine_orders_the_readings_and_keeps_the_majority() -> None:
    first = {i: {**reading(), "labeller": "A"} for i in ("a", "b", "c", "d")}
    first["d"] = {**reading(tone="neutral", resolution="step"), "labeller": "A"}
    reread = {
        "a": {**reading(), "labeller": "B"},  # agrees: two readings
        "b": {**reading(tone="neutral"), "labeller": "B"},  # differs: a third decides
        "c": {**reading(apology="templated"), "labeller": "B"},  # had a second label: this is the third
        "d": {**reading(tone="unfriendly", resolution="none"), "labeller": "B"},
    }
    third = {"b": {**reading(tone="neutral"), "labeller": "C"},
             "d": {**reading(tone="friendly", resolution="solution"), "labeller": "C"}}  # fmt: skip
    second = {"c": {**reading(apology="templated"), "labeller": "S"}}
    manifest = {i: {"reason": "why-" + i} for i in ("d", "c", "b", "a")}
    rows = {r["item"]: r for r in combine(manifest, first, second, reread, third, review="r1")}
    assert [r["labeller"] for r in rows["a"]["readings"]] == ["A", "B"]
    assert [r["labeller"] for r in rows["b"]["readings"]] == ["A", "B", "C"]
    assert [r["labeller"] for r in rows["c"]["readings"]] == ["A", "S", "B"]
    assert rows["a"]["tone"] == "friendly" and rows["b"]["tone"] == "neutral"
    assert rows["c"]["apology"] == "templated"
    assert rows["d"]["tone"] == "neutral" and rows["d"]["resolution"] == "step"  # all differ: the first stays
    assert rows["d"]["unresolved"] == ["tone", "resolution"] and "unresolved" not in rows["b"]
    assert rows["b"]["review"] == "r1" and rows["b"]["reason"] == "why-b"


def test_adjudicated_figures_score_against_the_adjudicated_labels() -> None:
    classes = ["friendly", "neutral"]
    y = ["friendly", "friendly", "neutral", "neutral"]
    y_adj = ["friendly", "neutral", "neutral", "neutral"]
    pred = ["friendly", "neutral", "neutral", "neutral"]
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]])
    notes, figures = training.adjudicated_figures(y, y_adj, pred, proba, classes, [0, 1])
    assert notes["adjudicated_changed"] == 1
    assert notes["adjudicated_distribution"] == {"friendly": 1, "neutral": 3}
    assert figures["metrics_adjudicated"]["accuracy"] == 1.0
    assert figures["metrics_adjudicated_random_sample"]["n"] == 2
    assert figures["metrics_adjudicated_random_sample"]["accuracy"] == 1.0
    assert training.evaluate_predictions(y, pred, proba, classes)["accuracy"] == 0.75


@pytest.mark.parametrize("name", ["train-reviewed.jsonl", "eval-reviewed.jsonl"])
def test_committed_reviews_hold_the_majority_of_their_readings(name: str) -> None:
    rows = [json.loads(x) for x in (ROOT / "labels" / name).read_text().splitlines()]
    assert rows
    test_split = name.startswith("eval")
    for row in rows:
        assert row["item"].startswith(("airlines-test", "ibm-test")) == test_split, row["item"]
        assert {t: row[t] for t in LABEL_SETS} == decide(row["readings"]), row["item"]
        assert all(row[t] in LABEL_SETS[t] for t in LABEL_SETS), row["item"]
        assert 2 <= len(row["readings"]) <= 3, row["item"]


def test_the_adjudicated_evaluation_labels_are_used_only_when_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(training, "ROOT", tmp_path)
    items = ["airlines-test:1#t1", "ibm-test:2#3"]
    assert training.adjudicated_evaluation_labels(items) is None
    _write(tmp_path / training.LABEL_FILE_EVAL_REVIEWED, [{"item": items[0], **reading(tone="neutral")}])
    assert training.adjudicated_evaluation_labels(items) is None
    _write(tmp_path / training.LABEL_FILE_EVAL_REVIEWED,
           [{"item": items[0], **reading(tone="neutral")}, {"item": items[1], **reading()}])  # fmt: skip
    got = training.adjudicated_evaluation_labels(items)
    assert got is not None and got[items[0]]["tone"] == "neutral" and got[items[1]]["tone"] == "friendly"


def test_the_report_shows_both_label_sets_when_adjudicated() -> None:
    def metrics(f1: float) -> dict:
        return {"n": 2, "macro_f1": f1, "accuracy": 0.5, "ece": 0.1,
                "per_class": {"a": {"precision": 1.0, "recall": 0.5, "f1": f1, "support": 2}},
                "confusion": {"labels": ["a"], "matrix": [[1]]}}  # fmt: skip

    plain = training.format_report("tone", metrics(0.6), metrics(0.5))
    assert "adjudicated" not in plain and "against the first labels: macro-F1 0.600" in plain
    assert plain.count("0.600") == 2  # the line above and the class's F1: the header does not repeat it
    both = training.format_report("tone", metrics(0.6), metrics(0.5), metrics(0.7))
    assert "against the first labels: macro-F1 0.600" in both
    assert "against the adjudicated labels: macro-F1 0.700" in both


def test_the_metrics_say_how_well_each_class_is_ranked() -> None:
    classes = ["friendly", "neutral", "unfriendly"]
    y = ["friendly"] * 10 + ["neutral"] * 8 + ["unfriendly"] * 2
    proba = np.full((20, 3), 0.1)
    proba[:, 0] = 0.8
    proba[18, 2], proba[3, 2], proba[19, 2] = 0.9, 0.5, 0.05  # one unfriendly ranked first, one last
    m = training.evaluate_predictions(y, ["friendly"] * 20, proba, classes)
    unfriendly = m["per_class"]["unfriendly"]
    assert unfriendly["found_in_top_5pct"] == 1 and unfriendly["found_in_top_10pct"] == 1  # the top 1 and 2
    assert unfriendly["average_precision"] == pytest.approx((1 + 2 / 20) / 2)
    report = training.format_report("tone", m, m)
    assert "AP" in report and "top 10%" in report and f"{unfriendly['average_precision']:6.3f}" in report


def test_a_round_goes_only_to_the_set_its_splits_belong_to(tmp_path: Path) -> None:
    train = [{"item": "airlines-train:1#t1"}, {"item": "ibm-dev:2#3"}]
    test = [{"item": "airlines-test:1#t1"}, {"item": "ibm-test:2#3"}]
    assert refusals(train, set(), "train", tmp_path) is None
    assert refusals(test, set(), "eval", tmp_path) is None
    assert "2 replies are not from the test splits only" in str(refusals(train, set(), "eval", tmp_path))
    mixed = refusals([*train, test[0]], set(), "train", tmp_path)
    assert "1 replies are not from the training splits only" in str(mixed)
    # an unknown split (a typo, a data set that is not a training split) is refused too, not only a test split
    unknown = [{"item": "twcs-activities:1#t1"}, {"item": "airlines-tst:2#t1"}]
    assert "2 replies are not from the training splits only" in str(refusals(unknown, set(), "train", tmp_path))
    assert "2 replies are not from the test splits only" in str(refusals(unknown, set(), "eval", tmp_path))


def test_a_round_with_a_reply_labelled_before_or_twice_is_refused(tmp_path: Path) -> None:
    test = [{"item": "airlines-test:1#t1"}, {"item": "ibm-test:2#3"}]
    assert "1 already have a first label (e.g. ibm-test:2#3)" in str(refusals(test, {"ibm-test:2#3"}, "eval", tmp_path))
    assert "1 replies appear twice" in str(refusals([*test, test[0]], set(), "eval", tmp_path))


def _rows(path: Path) -> dict[str, dict]:
    return {r["item"]: r for r in (json.loads(x) for x in path.read_text().splitlines() if x.strip())}


def test_the_adjudicated_evaluation_set_is_the_evaluation_set_read_again() -> None:
    first = _rows(ROOT / training.LABEL_FILE_EVAL)
    reviewed = _rows(ROOT / training.LABEL_FILE_EVAL_REVIEWED)
    second = _rows(ROOT / "labels" / "second-labels.jsonl")
    assert set(reviewed) == set(first)
    assert training.adjudicated_evaluation_labels(list(first)) is not None
    for item, row in reviewed.items():
        assert {t: row["readings"][0][t] for t in LABEL_SETS} == {t: first[item][t] for t in LABEL_SETS}, item
        if item in second:  # the earlier second label is the second reading
            assert {t: row["readings"][1][t] for t in LABEL_SETS} == {t: second[item][t] for t in LABEL_SETS}, item


def test_reviewed_training_labels_start_from_the_first_label() -> None:
    first = _rows(ROOT / "labels" / "train-extra.jsonl")
    data = shared_data_dir()
    if data is not None:  # the seed labels live in ../shared
        first = {**_rows(training.seed_labels_path(data)), **first}
    for item, row in _rows(ROOT / "labels" / "train-reviewed.jsonl").items():
        if data is None and item not in first:
            continue
        assert {t: row["readings"][0][t] for t in LABEL_SETS} == {t: first[item][t] for t in LABEL_SETS}, item


def test_a_review_of_a_reply_without_a_first_label_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    _write(tmp_path / "shared" / "labels" / "seed-train-1000.jsonl", [{"item": "airlines-train:1#t1", **reading()}])
    repo = tmp_path / "repo"
    _write(repo / "labels" / "train-extra.jsonl", [])
    _write(repo / "labels" / "train-reviewed.jsonl", [{"item": "airlines-train:2#t1", **reading()}])
    monkeypatch.setattr(training, "ROOT", repo)
    with pytest.raises(ValueError, match="no first label"):
        training.training_label_records(data)


def test_a_second_reading_of_the_evaluation_set_reads_only_replies_not_yet_adjudicated() -> None:
    first = {i: reading(item=i) for i in ["ibm-test:4#1", "airlines-test:1#t1", "airlines-test:2#t1", "ibm-test:3#9"]}
    adjudicated = ["airlines-test:1#t1"]
    second = {"airlines-test:2#t1": reading(item="airlines-test:2#t1")}  # has a second label already
    new, todo = eval_to_read(first, adjudicated, second)
    assert new == ["ibm-test:4#1", "airlines-test:2#t1", "ibm-test:3#9"]
    assert todo == ["ibm-test:3#9", "ibm-test:4#1"]
    assert eval_to_read(first, list(first), second) == ([], [])
