"""Test data stays out of training: twcs-sample and twcs-airlines both come from TWCS, so the sample holds
threads of the airlines test split, whose replies are test data however they are reached."""

from __future__ import annotations

import bz2
import csv
import json
import re
import sys
from pathlib import Path

import pytest

from qa_toolkit.classifiers import training
from qa_toolkit.datasets import (
    TEST_SPLITS,
    in_test_split,
    iter_reply_items,
    iter_training_reply_items,
    sample_threads_in_test,
)
from qa_toolkit.errors import QAError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "labelling"))
from merge_round import refusals  # noqa: E402

LABELS = {"tone": "neutral", "personalisation": "generic", "apology": "none", "resolution": "step"}
TWCS_COLUMNS = ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id",
                "in_response_to_tweet_id"]  # fmt: skip


def _tweet(tid: int, author: str, text: str, reply_to: int | None, answer: int | None) -> list[str]:
    return [str(tid), author, str(author.isdigit()), f"Tue Oct 31 22:{10 + tid % 40}:00 +0000 2017", text,
            "" if answer is None else str(answer), "" if reply_to is None else str(reply_to)]  # fmt: skip


def _shared(tmp_path: Path) -> Path:
    """A ../shared/data with two twcs-sample threads (roots 10 and 20) and an airlines test split whose one
    thread starts with tweet 20: the second sample thread is a test thread."""
    data = tmp_path / "shared" / "data"
    (data / "twcs-sample").mkdir(parents=True)
    (data / "twcs-airlines").mkdir()
    with (data / "twcs-sample" / "twcs_first5000rows.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TWCS_COLUMNS)
        w.writerow(_tweet(10, "115712", "@AirCo my bag never arrived", None, 11))
        w.writerow(_tweet(11, "AirCo", "@115712 Please DM us your bag tag number. ^AB", 10, None))
        w.writerow(_tweet(20, "115713", "@AirCo my flight was cancelled", None, 21))
        w.writerow(_tweet(21, "AirCo", "@115713 Sorry about that, DM us your booking. ^CD", 20, None))
    (data / "ibm-cdp").mkdir()
    (data / "ibm-cdp" / "dev.json").write_text("[]")
    with bz2.open(data / "twcs-airlines" / "train.csv.bz2", "wt", newline="") as fh:
        csv.writer(fh).writerow(["first_tweet_id", "tag", "first_utterance", "context"])
    with bz2.open(data / "twcs-airlines" / "test.csv.bz2", "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["first_tweet_id", "tag", "first_utterance", "context"])
        w.writerow(["20", "UNK", "<cust__ __company__ my flight was cancelled __cust>",
                    "<rep__ __cust__ Sorry about that, DM us your booking. ^CD __rep>"])  # fmt: skip
    return data


def test_the_sample_threads_that_are_test_threads_are_found(tmp_path: Path) -> None:
    data = _shared(tmp_path)
    assert sample_threads_in_test(data) == frozenset({"20"})
    assert in_test_split("twcs-sample:20#21", data) and not in_test_split("twcs-sample:10#11", data)
    assert in_test_split("airlines-test:5#t1", data) and in_test_split("ibm-test:a#b", data)
    assert not in_test_split("airlines-train:5#t1", data) and not in_test_split("ibm-dev:a#b", data)
    assert [i.item for i in iter_reply_items("twcs-sample", data)] == ["twcs-sample:10#11", "twcs-sample:20#21"]
    assert [i.item for i in iter_training_reply_items(data)] == ["twcs-sample:10#11"]  # what labelling draws from


def test_the_sample_without_the_test_split_is_an_error_not_training_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _shared(tmp_path)
    (data / "twcs-airlines" / "test.csv.bz2").unlink()
    with pytest.raises(QAError, match=r"test\.csv\.bz2: not found"):
        in_test_split("twcs-sample:20#21", data)
    (tmp_path / "shared" / "labels").mkdir()
    (tmp_path / "shared" / "labels" / "seed-train-1000.jsonl").write_text(
        json.dumps({"item": "twcs-sample:20#21", **LABELS}) + "\n"
    )
    (tmp_path / "repo" / "labels").mkdir(parents=True)
    (tmp_path / "repo" / "labels" / "train-extra.jsonl").write_text("")
    monkeypatch.setattr(training, "ROOT", tmp_path / "repo")
    with pytest.raises(QAError, match="cannot be told apart"):  # never trained on for want of the file
        training.training_label_records(data)
    (data / "twcs-sample" / "twcs_first5000rows.csv").unlink()  # no sample: nothing of it to leave out
    assert sample_threads_in_test(data) == frozenset() and not in_test_split("airlines-train:1#t1", data)


def test_training_leaves_out_the_labels_of_test_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _shared(tmp_path)
    labels = tmp_path / "shared" / "labels"
    labels.mkdir()
    (labels / "seed-train-1000.jsonl").write_text(json.dumps({"item": "twcs-sample:20#21", **LABELS}) + "\n")
    repo = tmp_path / "repo"
    (repo / "labels").mkdir(parents=True)
    (repo / "labels" / "train-extra.jsonl").write_text(json.dumps({"item": "twcs-sample:10#11", **LABELS}) + "\n")
    monkeypatch.setattr(training, "ROOT", repo)
    assert [r["item"] for r in training.training_label_records(data)] == ["twcs-sample:10#11"]
    records, left_out = training.training_labels_and_left_out(data)
    assert [r["item"] for r in records] == ["twcs-sample:10#11"] and left_out == ["twcs-sample:20#21"]
    note = training.left_out_note(left_out)
    assert note["replies"] == 1 and note["items"] == ["twcs-sample:20#21"] and "twcs-airlines/test" in note["why"]


def test_a_training_round_may_not_hold_a_reply_of_a_test_thread(tmp_path: Path) -> None:
    data = _shared(tmp_path)
    ok, test = [{"item": "twcs-sample:10#11", **LABELS}], [{"item": "twcs-sample:20#21", **LABELS}]
    assert refusals(ok, set(), "train", data) is None
    assert "1 replies are in threads of a test split" in str(refusals([*ok, *test], set(), "train", data))


def _plain(text: str) -> str:
    """A reply or its context as the two files write it: handles, links and spacing aside."""
    text = re.sub(r"https?://\S+", "URL", re.sub(r"@\w+|__\w+__", " ", text or ""))
    return " ".join(text.lower().split())


def test_no_evaluation_reply_is_a_training_reply(shared_data: Path) -> None:
    """The replies training reads include none of the evaluation set's, found by text: the same reply after
    the same conversation (a stock reply sent in another thread is another reply). Airlines train and test
    are split by thread and IBM dev and test by session, so twcs-sample is where one could come back in;
    it is read whole, against every evaluation reply."""
    evaluation = {r["item"] for r in training.evaluation_label_records()}
    assert all(i.split(":", 1)[0] in TEST_SPLITS for i in evaluation)
    seen = {}
    for split in sorted(TEST_SPLITS):
        for it in iter_reply_items(split, shared_data):
            if it.item in evaluation:
                seen[_plain(it.reply.text), _plain(" ".join(m.text for m in it.context))[-200:]] = it.item
    assert len(seen) > 1000
    trained = {r["item"] for r in training.training_label_records(shared_data)}
    back = []
    for it in iter_reply_items("twcs-sample", shared_data):
        key = _plain(it.reply.text), _plain(" ".join(m.text for m in it.context))[-200:]
        if key in seen:
            assert it.conversation.id in sample_threads_in_test(shared_data), (it.item, seen[key])
            back.append(it.item)
            assert it.item not in trained, (it.item, seen[key])
    assert len(back) >= 3  # the sample holds evaluation replies: this test reads where they are
