"""The results store: automatic results replaced idempotently, the review queue (filters, order, counts,
paging, a fixed number of queries), one conversation loaded whole, reviews saved without overwriting each
other, coaching sets. On SQLite, and on PostgreSQL when QA_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import orjson
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from store_builder import build_store, conversation_records, scorecard, seed_results

from qa_toolkit.db import results as res
from qa_toolkit.db.engine import get_engine
from qa_toolkit.db.results import (
    CategoryVerdict,
    ConversationResults,
    LabelVerdict,
    NewComment,
    QueueFilters,
    ReviewConflictError,
)
from qa_toolkit.errors import QAError
from qa_toolkit.pipeline import import_files
from qa_toolkit.rules.base import Flag


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    engine = build_store(store_url, tmp_path)
    return engine, seed_results(engine)


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (res.REPLY, res.FLAG, res.SCORE, res.RESULT, res.REVIEW, res.LABEL_REVIEW, res.COMMENT)
        }


def queue_ids(engine: Engine, ids: dict[str, int], **filters: object) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back[item.conversation_id] for item in res.list_queue(engine, filters=QueueFilters(**filters))]


# --------------------------------------------------------------------------- automatic results


def test_saving_results_again_replaces_them_and_keeps_reviews(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    before = table_counts(engine)
    # 12 conversations, one human reply each with four labels; 8 flagged (c-3, c-6, ... are not)
    assert before["reply_score"] == 48 and before["automatic_result"] == 12
    assert before["conversation_flag"] == 8 + 4
    res.save_review(
        engine,
        conversation_id=ids["c-2"],
        reviewer="ann",
        expected_version=None,
        labels=[LabelVerdict("2-4", "tone", "friendly", model_label="unfriendly")],
        comments=[NewComment("look at this one")],
        done=True,
    )
    seed_results(engine)
    after = table_counts(engine)
    assert {k: after[k] for k in before if k not in ("review", "label_review", "comment")} == {
        k: before[k] for k in before if k not in ("review", "label_review", "comment")
    }
    assert (after["review"], after["label_review"], after["comment"]) == (1, 1, 1)


def test_a_reply_for_a_message_not_in_the_conversation_writes_nothing(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    before = table_counts(engine)
    view = res.load_conversation(engine, conversation_id=ids["c-1"])
    assert view is not None
    good = ConversationResults(ids["c-1"], "x", replies=view.reply_results(), flags=[])
    bad_reply = view.reply_results()[0].model_copy(update={"message_id": "no-such-message"})
    bad = ConversationResults(ids["c-2"], "x", replies=[bad_reply])
    with pytest.raises(QAError, match="no-such-message"):
        res.save_results(engine, results=[good, bad])
    assert table_counts(engine) == before


def test_unscored_lists_new_and_changed_conversations(store_url: str, tmp_path: Path) -> None:
    engine = build_store(store_url, tmp_path, n=4)
    all_ids = res.unscored_conversations(engine)
    assert len(all_ids) == 4
    assert res.unscored_conversations(engine, after_id=all_ids[1], limit=1) == [all_ids[2]]
    seed_results(engine)
    assert res.unscored_conversations(engine) == []
    records = conversation_records(4)
    records[2]["messages"].append({"id": "3-9", "role": "customer", "text": "still waiting"})
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    import_files([changed], db=store_url, parallel=False)
    assert res.unscored_conversations(engine) == [all_ids[2]]
    # the changed conversation's messages were replaced: its old reply scores went with them
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(res.REPLY).where(res.REPLY.c.conversation_id == all_ids[2]))
        assert n.scalar_one() == 0


# --------------------------------------------------------------------------- the queue


def test_queue_is_flagged_unreviewed_most_severe_first(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    order = queue_ids(engine, ids)
    # severity: the highest flag score (0.3 + i/40, and 0.5 for even i); ties newest first; 3, 6, 9, 12 unflagged
    assert order == ["c-11", "c-10", "c-8", "c-4", "c-2", "c-7", "c-5", "c-1"]
    page = res.list_queue(engine, limit=3, offset=2)
    assert [i.conversation_id for i in page] == [ids["c-8"], ids["c-4"], ids["c-2"]]
    top = res.list_queue(engine, limit=1)[0]
    assert top.flags == (("slow_first_response.v1", pytest.approx(0.575)),)
    c10 = res.list_queue(engine, limit=2)[1]
    assert [rule for rule, _ in c10.flags] == ["slow_first_response.v1", "templated_apology.v1"]
    assert c10.agent == "Sam Keller" and c10.team == "Billing" and c10.flag_count == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"rules": ("templated_apology.v1",)}, ["c-10", "c-8", "c-4", "c-2"]),
        ({"agents": ("ag_2",)}, ["c-11", "c-8", "c-2", "c-5"]),
        ({"teams": ("Billing",)}, ["c-10", "c-4", "c-7", "c-1"]),
        ({"channels": ("chat",)}, ["c-11", "c-8", "c-2", "c-5"]),
        ({"languages": ("nl",)}, ["c-8", "c-4"]),
        ({"date_from": date(2025, 3, 4), "date_to": date(2025, 3, 7)}, ["c-4", "c-2", "c-5"]),
        ({"score_max": 10.0}, ["c-11", "c-8", "c-2", "c-5"]),
        ({"score_min": 50.0, "teams": ("Billing",)}, ["c-10", "c-4", "c-7", "c-1"]),
        ({"score_min": 50.0, "channels": ("chat",)}, []),
        ({"min_severity": 0.5}, ["c-11", "c-10", "c-8", "c-4", "c-2"]),
    ],
)
def test_queue_filters(store: tuple[Engine, dict[str, int]], filters: dict, expected: list[str]) -> None:
    engine, ids = store
    assert queue_ids(engine, ids, **filters) == expected
    counts = res.queue_counts(engine, filters=QueueFilters(**filters))
    assert counts.waiting == len(expected)


def test_queue_counts(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    counts = res.queue_counts(engine)
    assert (counts.waiting, counts.in_progress, counts.reviewed, counts.not_scored) == (8, 0, 0, 0)
    assert counts.by_rule == {"slow_first_response.v1": 8, "templated_apology.v1": 4}
    res.save_review(engine, conversation_id=ids["c-11"], reviewer="ann", expected_version=None, done=True)
    res.save_review(engine, conversation_id=ids["c-10"], reviewer="bob", expected_version=None)
    counts = res.queue_counts(engine)
    assert (counts.waiting, counts.in_progress, counts.reviewed) == (7, 1, 1)
    assert counts.by_rule == {"slow_first_response.v1": 7, "templated_apology.v1": 4}
    assert res.list_queue(engine, limit=1)[0].in_review_by == ("bob",)


def test_filter_options(store: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = store
    opts = res.filter_options(engine)
    assert opts.rules == ["slow_first_response.v1", "templated_apology.v1"]
    assert opts.agents == [("ag_3", "Lee Park"), ("ag_2", "Noor de Vries"), ("ag_1", "Sam Keller")]
    assert opts.teams == ["Billing", "Orders"] and opts.channels == ["chat", "email", "social"]
    assert opts.languages == ["en", "nl"]
    assert (opts.first_day, opts.last_day) == (date(2025, 3, 3), date(2025, 3, 14))


def test_reads_use_a_fixed_number_of_queries(store_url: str, tmp_path: Path) -> None:
    engine = build_store(store_url, tmp_path, n=30)
    ids = seed_results(engine)
    res.save_review(engine, conversation_id=ids["c-2"], reviewer="ann", expected_version=None)
    with count_queries(engine) as small:
        res.list_queue(engine, limit=2)
    with count_queries(engine) as large:
        res.list_queue(engine, limit=50)
    assert len(small) == len(large) == 3
    with count_queries(engine) as one:
        res.load_conversation(engine, conversation_id=ids["c-2"])
    assert len(one) <= 10  # one query per table, whatever the length of the thread


# --------------------------------------------------------------------------- one conversation


def test_load_conversation_has_everything_the_view_shows(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    view = res.load_conversation(engine, conversation_id=ids["c-2"])
    assert view is not None
    assert [m.external_id for m in view.messages] == ["2-1", "2-2", "2-3", "2-4", "2-5"]
    assert view.messages[1].is_automated and view.messages[2].is_internal
    assert view.messages[0].sent_at is not None and view.messages[0].sent_at.tzinfo is not None
    assert set(view.labels) == {"2-4"}
    assert view.labels["2-4"]["tone"].label == "unfriendly" and view.labels["2-4"]["tone"].model_version == "tone-v1"
    assert view.labels["2-4"]["apology"].evidence == ("sorry for any inconvenience",)
    assert [f.rule for f in view.flags] == ["templated_apology.v1", "slow_first_response.v1"]
    assert view.flags[0].evidence == ["2-4", "sorry for any inconvenience"]
    assert view.automatic is not None and view.automatic.scorecard == "test.v1"
    assert view.automatic.categories["resolution"] == 0.0 and view.automatic.value == 0.0
    assert view.reviewed == [] and view.reviews == [] and view.comments == []
    assert view.metrics.exchanges == view.conv["exchanges"] == 1
    assert [r.message_id for r in view.reply_results()] == ["2-4"]
    assert res.load_conversation(engine, conversation_id=999_999) is None


# --------------------------------------------------------------------------- reviews


def test_a_review_is_saved_whole_and_kept_apart_from_the_automatic_score(
    store: tuple[Engine, dict[str, int]],
) -> None:
    from qa_toolkit.review import reviewed_score

    engine, ids = store
    cid = ids["c-2"]
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None
    verdicts = {("2-4", "resolution"): "solution", ("2-4", "tone"): "unfriendly"}
    score = reviewed_score(
        scorecard(),
        replies=view.reply_results(),
        flags=view.flags,
        metrics=view.metrics,
        label_verdicts=verdicts,
        category_overrides={"apology": None},
    )
    saved = res.save_review(
        engine,
        conversation_id=cid,
        reviewer="ann",
        expected_version=None,
        labels=[
            LabelVerdict("2-4", "resolution", "solution", model_label="none"),
            LabelVerdict("2-4", "tone", "unfriendly", model_label="unfriendly"),
        ],
        categories=[CategoryVerdict("apology", None, model_value=50.0, overridden=True)],
        comments=[NewComment("good fix"), NewComment("  "), NewComment("name the order", message_external_id="2-4")],
        comment="resolved after all",
        score=score,
        done=True,
    )
    assert (saved.version, saved.status) == (1, "done")
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None
    review = view.review_by("ann")
    assert review is not None and review.status == "done" and review.finished_at is not None
    assert review.comment == "resolved after all" and review.scorecard == "test.v1"
    assert review.labels[("2-4", "resolution")] == LabelVerdict("2-4", "resolution", "solution", "none")
    assert review.categories["apology"].overridden and review.categories["apology"].reviewer_value is None
    assert [(c.text, c.message_external_id, c.reviewer) for c in view.comments] == [
        ("good fix", None, "ann"),
        ("name the order", "2-4", "ann"),
    ]
    # the automatic score is untouched; the reviewed one (tone 0, resolution 100, apology N/A) sits apart
    assert view.automatic is not None and view.automatic.value == 0.0
    assert len(view.reviewed) == 1 and view.reviewed[0].reviewer == "ann"
    assert view.reviewed[0].value == 60.0 and view.reviewed[0].categories["apology"] is None
    assert cid not in [i.conversation_id for i in res.list_queue(engine)]


def test_a_draft_review_keeps_the_conversation_in_the_queue_and_can_be_finished(
    store: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = store
    cid = ids["c-5"]
    first = res.save_review(
        engine,
        conversation_id=cid,
        reviewer="ann",
        expected_version=None,
        labels=[LabelVerdict("5-4", "tone", "neutral", model_label="unfriendly")],
    )
    assert (first.version, first.status) == (1, "in_progress")
    assert cid in [i.conversation_id for i in res.list_queue(engine)]
    second = res.save_review(
        engine,
        conversation_id=cid,
        reviewer="ann",
        expected_version=1,
        labels=[LabelVerdict("5-4", "tone", "friendly", model_label="unfriendly")],
        done=True,
    )
    assert (second.review_id, second.version, second.status) == (first.review_id, 2, "done")
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None and len(view.reviews) == 1
    assert view.reviews[0].labels[("5-4", "tone")].reviewer_label == "friendly"
    assert cid not in [i.conversation_id for i in res.list_queue(engine)]


def test_two_reviewers_never_overwrite_each_other(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    cid = ids["c-4"]
    res.save_review(
        engine,
        conversation_id=cid,
        reviewer="ann",
        expected_version=None,
        labels=[LabelVerdict("4-4", "tone", "friendly")],
    )
    res.save_review(
        engine,
        conversation_id=cid,
        reviewer="bob",
        expected_version=None,
        labels=[LabelVerdict("4-4", "tone", "unfriendly")],
        done=True,
    )
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None
    ann, bob = view.review_by("ann"), view.review_by("bob")
    assert ann is not None and bob is not None and ann.id != bob.id
    assert ann.labels[("4-4", "tone")].reviewer_label == "friendly" and ann.status == "in_progress"
    assert bob.labels[("4-4", "tone")].reviewer_label == "unfriendly" and bob.status == "done"


def test_a_stale_save_of_the_same_review_is_refused(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    cid = ids["c-7"]
    res.save_review(engine, conversation_id=cid, reviewer="ann", expected_version=None, comment="tab one")
    res.save_review(engine, conversation_id=cid, reviewer="ann", expected_version=1, comment="tab one again")
    before = table_counts(engine)
    with pytest.raises(ReviewConflictError, match="saved elsewhere"):  # a second tab opened at version 1
        res.save_review(
            engine,
            conversation_id=cid,
            reviewer="ann",
            expected_version=1,
            comment="tab two",
            comments=[NewComment("lost?")],
            labels=[LabelVerdict("7-4", "tone", "neutral")],
        )
    with pytest.raises(ReviewConflictError):  # a tab that saw no review at all
        res.save_review(engine, conversation_id=cid, reviewer="ann", expected_version=None, comment="tab three")
    assert table_counts(engine) == before
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None and view.reviews[0].comment == "tab one again" and view.reviews[0].version == 2


@pytest.mark.parametrize("expected", [None, 1])
def test_simultaneous_saves_of_one_review_let_exactly_one_through(
    store: tuple[Engine, dict[str, int]], expected: int | None
) -> None:
    engine, ids = store
    cid = ids["c-8"]
    if expected is not None:
        res.save_review(engine, conversation_id=cid, reviewer="ann", expected_version=None)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            res.save_review(
                engine, conversation_id=cid, reviewer="ann", expected_version=expected, comment=f"writer {n}"
            )
            outcomes.append("saved")
        except ReviewConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None and view.reviews[0].version == (1 if expected is None else 2)


def test_bad_review_input_gives_clear_errors(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    cid = ids["c-1"]
    with pytest.raises(QAError, match="reviewer name"):
        res.save_review(engine, conversation_id=cid, reviewer="  ", expected_version=None)
    with pytest.raises(QAError, match="valid: friendly, neutral, unfriendly"):
        res.save_review(
            engine,
            conversation_id=cid,
            reviewer="ann",
            expected_version=None,
            labels=[LabelVerdict("1-4", "tone", "rude")],
        )
    with pytest.raises(QAError, match="unknown label 'mood'"):
        res.save_review(
            engine,
            conversation_id=cid,
            reviewer="ann",
            expected_version=None,
            labels=[LabelVerdict("1-4", "mood", "x")],
        )
    with pytest.raises(QAError, match="0-100"):
        res.save_review(
            engine,
            conversation_id=cid,
            reviewer="ann",
            expected_version=None,
            categories=[CategoryVerdict("tone", 120)],
        )
    with pytest.raises(QAError, match="no conversation"):
        res.save_review(engine, conversation_id=999_999, reviewer="ann", expected_version=None)
    assert table_counts(engine)["review"] == 0


def test_rescoring_keeps_reviewed_scores(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    cid = ids["c-1"]
    score = res.load_conversation(engine, conversation_id=cid).automatic  # type: ignore[union-attr]
    assert score is not None
    res.save_review(engine, conversation_id=cid, reviewer="ann", expected_version=None, score=score, done=True)
    seed_results(engine)
    res.save_results(
        engine, results=[ConversationResults(cid, "changed", flags=[Flag(rule="x.v1", score=1.0, reason="r")])]
    )
    view = res.load_conversation(engine, conversation_id=cid)
    assert view is not None and view.automatic is None and len(view.reviewed) == 1
    assert view.result is not None and view.result["severity"] == 1.0 and view.result["content_hash"] == "changed"


# --------------------------------------------------------------------------- coaching sets


def test_coaching_sets(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    set_id = res.create_coaching_set(engine, name="Good apologies", description="specific ones", created_by="ann")
    with pytest.raises(QAError, match="exists already"):
        res.create_coaching_set(engine, name="Good apologies")
    res.add_to_coaching_set(
        engine, set_id=set_id, conversation_id=ids["c-2"], message_external_id="2-4", note="names it"
    )
    res.add_to_coaching_set(engine, set_id=set_id, conversation_id=ids["c-5"], note="whole thread", added_by="bob")
    with pytest.raises(QAError, match="no coaching set"):
        res.add_to_coaching_set(engine, set_id=set_id + 100, conversation_id=ids["c-2"])
    sets = res.list_coaching_sets(engine)
    assert [(s["name"], s["items"]) for s in sets] == [("Good apologies", 2)]
    items = res.list_coaching_items(engine, set_id=set_id)
    assert [(i["external_id"], i["message_external_id"], i["note"]) for i in items] == [
        ("c-2", "2-4", "names it"),
        ("c-5", None, "whole thread"),
    ]


def test_an_older_store_gets_indexes_added_since(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "old.db"
    get_engine(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        con.execute("DROP INDEX ix_message_replies")  # as a store made before the index existed
    get_engine.cache_clear()
    get_engine(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "ix_message_replies" in names
