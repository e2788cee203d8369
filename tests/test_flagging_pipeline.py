"""The flagging pipeline: the corpus pass (group baselines, templates), rules, reply labels and the scorecard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from qa_toolkit.flagging import (
    CorpusBuilder,
    FlagSettings,
    build_corpus,
    flag_conversations,
    flag_corpus,
    flag_file,
    load_settings,
)
from qa_toolkit.rules import BusinessHours
from qa_toolkit.schema import ConversationIn
from qa_toolkit.scoring import reply_contexts

T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)
CANNED = "Thanks for reaching out {n}! Please send us a DM with your order number and we will take a look."


def thread(
    cid: str, exchanges: int, *, team: str = "billing", day: int = 0, agent: str = "ag1", reply: str = "Here you go."
) -> dict:
    start = T0 + timedelta(days=day)
    msgs = []
    for i in range(exchanges):
        msgs.append(
            {
                "id": f"{cid}-c{i}",
                "role": "customer",
                "text": f"question {i}?",
                "sent_at": (start + timedelta(minutes=20 * i)).isoformat(),
            }
        )
        msgs.append(
            {
                "id": f"{cid}-a{i}",
                "role": "agent",
                "author": agent,
                "text": reply.format(n=cid),
                "sent_at": (start + timedelta(minutes=20 * i + 10)).isoformat(),
            }
        )
    return {"id": cid, "team": team, "channel": "email", "assignee": {"id": agent}, "messages": msgs}


def corpus_records() -> list[dict]:
    records = [thread(f"b{i}", 1, day=i % 7) for i in range(45)]
    records += [thread(f"s{i}", 2, team="sales", day=i % 7, agent="ag2", reply=CANNED) for i in range(40)]
    records.append(thread("long-billing", 3))
    records.append(thread("long-sales", 3, team="sales", agent="ag2", reply=CANNED))
    return records


def convs(records: list[dict]) -> list[ConversationIn]:
    return [ConversationIn.model_validate(r) for r in records]


def no_card(**rule_overrides: Any) -> FlagSettings:
    settings = FlagSettings(business_hours=BusinessHours(always_open=True))
    for name, params in rule_overrides.items():
        settings.rule_params[name] = type(settings.rule_params[name])(**params)
    return settings


def test_corpus_pass_keeps_counts_per_group_not_conversations() -> None:
    corpus = build_corpus(convs(corpus_records()))
    groups = corpus.baselines.groups()
    assert groups[("team", "billing")] == 46 and groups[("team", "sales")] == 41 and groups[("channel", "email")] == 87
    assert corpus.conversations == 87
    assert corpus.templates is not None and [t.uses for t in corpus.templates.most_used()] == [
        83
    ]  # 40 x 2 + 3 canned replies


def test_relative_threshold_is_per_team() -> None:
    settings = no_card(**{"long_back_and_forth.v2": {"max_exchanges": 10, "group_by": ["team"]}})
    results = {r.conversation_id: r for r in flag_corpus(convs(corpus_records()), settings=settings)}
    billing = [f for f in results["long-billing"].flags if f.rule == "long_back_and_forth.v2"]
    assert billing and billing[0].reason == "3 exchanges; team billing p90 is 1 (n=46)"
    # in sales two exchanges are usual (p90 is 2): three are over it too, but less far
    sales = [f for f in results["long-sales"].flags if f.rule == "long_back_and_forth.v2"]
    assert sales and sales[0].reason.startswith("3 exchanges; team sales p90 is 2")
    assert not [f for f in results["b1"].flags if f.rule == "long_back_and_forth.v2"]


def test_results_carry_the_contract_shape_agent_team_and_template_uses() -> None:
    results = flag_corpus(convs(corpus_records()), settings=no_card())
    record = results[-1].to_record()
    assert list(record) == ["conversation_id", "metrics", "flags", "score"]
    assert list(record["metrics"]) == ["exchanges", "first_response_seconds", "longest_customer_wait_seconds"]
    assert record["metrics"] == {
        "exchanges": 3,
        "first_response_seconds": 600.0,
        "longest_customer_wait_seconds": 600.0,
    }
    assert record["score"] == {"value": None, "passed": None, "categories": {}}  # no scorecard: no score
    for flag in record["flags"]:
        assert list(flag) == ["rule", "score", "reason", "evidence"]
    last = results[-1]
    assert last.team == "sales" and last.agent == "ag2"
    assert len(last.template_uses) == 3 and last.template_uses[0][0] == "ag2"


def test_without_the_template_rule_nothing_is_mined() -> None:
    settings = no_card()
    del settings.rule_params["template_reuse.v1"]
    builder = CorpusBuilder(settings.rule_params)
    for conv in convs(corpus_records()[:3]):
        builder.add(conv)
    assert builder.build().templates is None


class FakeScorer:
    """Labels every agent reply generic and templated (records of the shape ReplyScorer.score_conversations
    returns, for the same replies)."""

    def score_conversations(self, convs):  # type: ignore[no-untyped-def]
        for conv in convs:
            for message_id, _ in reply_contexts(conv):
                yield {
                    "conversation_id": conv.id,
                    "message_id": message_id,
                    "tone": {"label": "neutral", "confidence": 0.9, "evidence": []},
                    "personalisation": {"label": "generic", "confidence": 0.9, "evidence": []},
                    "apology": {"label": "templated", "confidence": 0.9, "evidence": ["sorry"]},
                    "resolution": {"label": "solution", "confidence": 0.9, "evidence": []},
                    "language": "en",
                }


def test_reply_labels_feed_the_rules() -> None:
    records = [thread("x", 1, reply="Noted.")]
    records[0]["messages"][0]["text"] = "Order #123456 is late"
    plain = flag_corpus(convs(records), settings=no_card())[0]
    labelled = flag_corpus(convs(records), settings=no_card(), scorer=FakeScorer())[0]
    assert {"templated_apology.v1", "generic_reply.v2"} <= {f.rule for f in labelled.flags}
    assert "templated_apology.v1" not in {f.rule for f in plain.flags}


def test_scorecard_is_applied_per_conversation() -> None:
    pytest.importorskip("qa_toolkit.scorecard")
    settings = load_settings()
    assert "long_back_and_forth.v2" in settings.rule_params and settings.card is not None
    results = flag_corpus(convs([thread("x", 1), thread("y", 6)]), settings=settings, scorer=FakeScorer())
    for result in results:
        score = result.to_record()["score"]
        assert score["value"] is None or 0 <= score["value"] <= 100
        assert isinstance(score["categories"], dict) and score["categories"]


def test_flag_file_reads_twice_and_dedups(tmp_path: Path) -> None:
    records = corpus_records()
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records + records[:2]))
    seen: list[tuple[str, int]] = []
    results = list(flag_file([path], settings=no_card(), progress=lambda stage, n: seen.append((stage, n))))
    assert len(results) == len(records)
    assert [r.conversation_id for r in results] == [r["id"] for r in records]
    assert seen and seen[-1] == ("flags", len(records))


def test_flag_conversations_streams_in_batches() -> None:
    corpus = build_corpus(convs(corpus_records()))
    out = list(flag_conversations(iter(convs(corpus_records())), corpus=corpus, settings=no_card(), batch=7))
    assert len(out) == 87
