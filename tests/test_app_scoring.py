"""Filling the store with automatic results: labels, flags and scores for every stored conversation, in
batches, idempotent, picking up changed conversations; the pure compute step on its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from store_builder import build_store, conversation_records, scorecard

from qa_toolkit.db import results as res
from qa_toolkit.errors import QAError
from qa_toolkit.features import ReplyContext
from qa_toolkit.flagging import FlagSettings
from qa_toolkit.pipeline import import_files
from qa_toolkit.store_scoring import compute_results, score_store, scored_with


class FakeScorer:
    """The ReplyScorer interface the store needs: ``classifiers`` (with names) and ``score_replies``."""

    def __init__(self) -> None:
        self.classifiers = {
            n: SimpleNamespace(name=f"{n}-v9") for n in ("tone", "personalisation", "apology", "resolution")
        }
        self.calls = 0

    def score_replies(self, replies: Sequence[ReplyContext], *, evidence: int = 3) -> list[dict[str, Any]]:
        self.calls += 1
        out = []
        for rc in replies:
            text = rc.text.lower()
            out.append(
                {
                    "tone": {"label": "friendly" if "happy" in text else "neutral", "confidence": 0.9, "evidence": []},
                    "personalisation": {"label": "generic", "confidence": 0.6, "evidence": []},
                    "apology": {
                        "label": "templated" if "inconvenience" in text else "none",
                        "confidence": 0.8,
                        "evidence": ["sorry for any inconvenience"] if "inconvenience" in text else [],
                    },
                    "resolution": {"label": "none", "confidence": 0.7, "evidence": []},
                }
            )
        return out


def counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (res.REPLY, res.FLAG, res.SCORE, res.RESULT)
        }


def test_score_store_scores_everything_once_in_batches(db_url: str, tmp_path: Path) -> None:
    engine = build_store(db_url, tmp_path, n=7)
    scorer = FakeScorer()
    done: list[int] = []
    summary = score_store(
        engine,
        scorer=scorer,  # type: ignore[arg-type]
        card=scorecard(),
        settings=FlagSettings(),  # every rule at its defaults (the test scorecard enables none)
        batch=3,
        progress=done.append,
    )
    assert (summary.conversations, summary.replies) == (7, 7)  # the human answer (not the auto-reply or the note)
    assert done == [3, 6, 7] and scorer.calls == 3
    first = counts(engine)
    assert first == {
        "reply_score": 28,
        "conversation_flag": summary.flags,
        "conversation_score": 7,
        "automatic_result": 7,
    }
    # templated apologies everywhere
    assert summary.flagged == 7
    with engine.connect() as conn:
        c1 = conn.execute(select(res.CONV.c.id).where(res.CONV.c.external_id == "c-1")).scalar_one()
    view = res.load_conversation(engine, conversation_id=c1)
    assert view is not None and view.labels["1-4"]["apology"].label == "templated"
    assert view.labels["1-4"]["apology"].model_version == "apology-v9"
    assert view.automatic is not None and view.automatic.scorecard == "test.v1"
    assert (
        view.result is not None
        and view.result["model_version"] == "apology-v9,personalisation-v9,replies-v3,resolution-v9,tone-v9"
    )

    again = score_store(engine, scorer=scorer, card=scorecard())  # type: ignore[arg-type]
    assert again.conversations == 0 and scorer.calls == 3 and counts(engine) == first

    records = conversation_records(7)
    records[4]["messages"].append({"id": "5-9", "role": "customer", "text": "and my refund?", "language": "en"})
    path = tmp_path / "changed.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    import_files([path], db=db_url, parallel=False)
    third = score_store(engine, scorer=scorer, card=scorecard())  # type: ignore[arg-type]
    assert third.conversations == 1 and counts(engine)["automatic_result"] == 7


def test_rescore_stale_scores_again_what_other_models_or_scorecards_made(db_url: str, tmp_path: Path) -> None:
    engine = build_store(db_url, tmp_path, n=4)
    old = FakeScorer()
    score_store(engine, scorer=old, card=scorecard())  # type: ignore[arg-type]
    new = FakeScorer()
    new.classifiers["tone"] = SimpleNamespace(name="tone-v9", version="tone-v9@2026-11-22+0badc0de")
    now = scored_with(new, scorecard())  # type: ignore[arg-type]
    assert res.count_stale(engine, now) == 4
    assert res.count_stale(engine, scored_with(old, scorecard())) == 0  # type: ignore[arg-type]
    # without asking, nothing is scored again; asked, every stale conversation once, then nothing
    assert score_store(engine, scorer=new, card=scorecard()).conversations == 0  # type: ignore[arg-type]
    again = score_store(engine, scorer=new, card=scorecard(), batch=3, rescore_stale=True)  # type: ignore[arg-type]
    assert again.conversations == 4 and new.calls == 2
    assert res.count_stale(engine, now) == 0
    with engine.connect() as conn:
        first = conn.execute(select(func.min(res.CONV.c.id))).scalar_one()
    view = res.load_conversation(engine, conversation_id=first)
    assert view is not None and view.labels
    assert {lab["tone"].model_version for lab in view.labels.values()} == {"tone-v9@2026-11-22+0badc0de"}
    assert score_store(engine, scorer=new, card=scorecard(), rescore_stale=True).conversations == 0  # type: ignore[arg-type]
    # another scorecard makes every result stale again; no scorer at all too
    other = scorecard().model_copy(update={"version": 7})
    assert res.count_stale(engine, scored_with(new, other)) == 4  # type: ignore[arg-type]
    assert res.count_stale(engine, scored_with(None, scorecard())) == 4
    with pytest.raises(QAError, match="needs the reply models"):  # it would drop every reply label
        score_store(engine, scorer=None, card=scorecard(), rescore_stale=True)


def test_score_store_without_a_scorer_stores_flags_and_scores(db_url: str, tmp_path: Path) -> None:
    engine = build_store(db_url, tmp_path, n=3)
    summary = score_store(engine, scorer=None, card=scorecard(), limit=2)
    assert summary.conversations == 2 and summary.replies == 0
    assert counts(engine)["reply_score"] == 0 and counts(engine)["automatic_result"] == 2
    assert score_store(engine, scorer=None, card=None).conversations == 1


def test_compute_results_is_pure_and_keeps_conversations_apart(db_url: str, tmp_path: Path) -> None:
    engine = build_store(db_url, tmp_path, n=3)
    items = res.load_conversations(engine, ids=res.unscored_conversations(engine))
    before = counts(engine)
    out = compute_results(items, scorer=FakeScorer(), card=scorecard())  # type: ignore[arg-type]
    assert counts(engine) == before
    assert [r.conversation_id for r in out] == [cid for cid, _, _ in items]
    assert [[reply.message_id for reply in r.replies] for r in out] == [["1-4"], ["2-4"], ["3-4"]]
    assert all(r.score is not None and r.score.scorecard == "test.v1" for r in out)
    assert all(flag.rule.endswith(".v1") for r in out for flag in r.flags)
