"""Small stores for the results, review and app tests: conversations written here, automatic results
computed with a small scorecard and made-up flags (no classifiers needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qa_toolkit.db.engine import get_engine
from qa_toolkit.db.results import CONV, ConversationResults, save_results
from qa_toolkit.metrics import compute_metrics
from qa_toolkit.pipeline import import_files
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult
from qa_toolkit.schema import ConversationIn
from qa_toolkit.scorecard import Scorecard, apply_scorecard, parse_scorecard

HOSTILE = (
    'Hello <script>alert("x")</script> and <img src=x onerror="alert(1)"> **bold** [link](javascript:alert(2)) '
    "$x^2$ :red[red] & done\n\nsecond paragraph <b>not bold</b>"
)

SCORECARD_TOML = """
name = "test"
version = 1
pass_mark = 75

[categories.tone]
weight = 2
labels.tone = { friendly = 100, neutral = 80, unfriendly = 0 }

[categories.resolution]
weight = 3
critical = true
fail_below = 40
labels.resolution = { solution = 100, step = 70, none = 0 }

[categories.apology]
weight = 1
labels.apology = { specific = 100, templated = 50 }
"""

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
AGENTS = (("ag_1", "Sam Keller", "Billing"), ("ag_2", "Noor de Vries", "Orders"), ("ag_3", "Lee Park", "Orders"))
CHANNELS = ("email", "chat", "social")


def scorecard() -> Scorecard:
    import tomllib

    return parse_scorecard(tomllib.loads(SCORECARD_TOML), source="test.toml")


def write_scorecards(folder: Path) -> Path:
    """A scorecards folder whose default.toml is the small test scorecard."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "default.toml").write_text(SCORECARD_TOML)
    return folder


def conversation_records(n: int = 12, *, hostile: bool = True) -> list[dict]:
    """``n`` conversations c-1 ... c-n: three agents in two teams, three channels, en and nl, one day apart;
    c-1 (when ``hostile``) has a customer message full of HTML, script and markdown."""
    out = []
    for i in range(1, n + 1):
        agent, name, team = AGENTS[(i - 1) % len(AGENTS)]
        start = T0 + timedelta(days=i - 1)
        customer_text = HOSTILE if hostile and i == 1 else f"My order {1000 + i} has not arrived, where is it?"
        messages = [
            {"id": f"{i}-1", "role": "customer", "author": f"cus_{i}", "sent_at": start, "text": customer_text},
            {
                "id": f"{i}-2",
                "role": "agent",
                "author": "system",
                "sent_at": start + timedelta(seconds=20),
                "text": "Thanks for your e-mail. We will answer within 3 working days.",
                "is_automated": True,
            },
            {
                "id": f"{i}-3",
                "role": "agent",
                "author": agent,
                "sent_at": start + timedelta(minutes=30),
                "text": "Checked the courier, the parcel is delayed.",
                "is_internal": True,
            },
            {
                "id": f"{i}-4",
                "role": "agent",
                "author": agent,
                "author_name": name,
                "sent_at": start + timedelta(hours=2),
                "text": f"Sorry for any inconvenience. Your order {1000 + i} arrives tomorrow, happy to help.",
            },
            {
                "id": f"{i}-5",
                "role": "customer",
                "author": f"cus_{i}",
                "sent_at": start + timedelta(hours=3),
                "text": "Thanks, that worked.",
            },
        ]
        out.append(
            {
                "id": f"c-{i}",
                "source": "test",
                "channel": CHANNELS[(i - 1) % len(CHANNELS)],
                "subject": f"Order {1000 + i}",
                "created_at": start,
                "customer": {"id": f"cus_{i}", "name": f"Customer {i}"},
                "assignee": {"id": agent, "name": name},
                "team": team,
                "language": "nl" if i % 4 == 0 else "en",
                "messages": [{**m, "language": "nl" if i % 4 == 0 else "en"} for m in messages],
            }
        )
    return out


def build_store(url: str, tmp_path: Path, *, n: int = 12, hostile: bool = True) -> Engine:
    """A store at ``url`` with ``n`` conversations imported (see conversation_records)."""
    path = tmp_path / "convs.jsonl"
    with path.open("wb") as out:
        for rec in conversation_records(n, hostile=hostile):
            out.write(orjson.dumps(rec) + b"\n")
    import_files([path], db=url, parallel=False)
    return get_engine(url)


def replies_for(conv: ConversationIn, i: int) -> list[ReplyResult]:
    """Made-up labels for the human agent replies of conversation c-i (deterministic)."""
    tones = ("friendly", "neutral", "unfriendly")
    resolutions = ("solution", "step", "none")
    return [
        ReplyResult(
            message_id=m.id,
            conversation_id=conv.id,
            tone=LabelResult(label=tones[i % 3], confidence=0.9, evidence=["happy to help"]),
            personalisation=LabelResult(label="personalised", confidence=0.8, evidence=[str(1000 + i)]),
            apology=LabelResult(label="templated", confidence=0.85, evidence=["sorry for any inconvenience"]),
            resolution=LabelResult(label=resolutions[i % 3], confidence=0.7, evidence=["arrives tomorrow"]),
        )
        for m in conv.messages
        if m.is_answer
    ]


def flags_for(i: int) -> list[Flag]:
    """Flags of c-i: none for every third conversation, else one or two with score growing with i."""
    if i % 3 == 0:
        return []
    flags = [
        Flag(rule="slow_first_response.v1", score=round(min(1.0, 0.3 + i / 40), 3), reason="2 h to answer", evidence=[])
    ]
    if i % 2 == 0:
        flags.append(
            Flag(
                rule="templated_apology.v1",
                score=0.5,
                reason="templated apology <b>twice</b>",
                evidence=[f"{i}-4", "sorry for any inconvenience"],
            )
        )
    return flags


def seed_results(engine: Engine, *, card: Scorecard | None = None) -> dict[str, int]:
    """Automatic results for every stored conversation; external id -> store id."""
    from qa_toolkit.db.crud import iter_conversations

    card = card or scorecard()
    with engine.connect() as conn:
        ids = {ext: (cid, digest) for cid, ext, digest in conn.execute(
            select(CONV.c.id, CONV.c.external_id, CONV.c.content_hash)
        )}  # fmt: skip
    results = []
    for conv in iter_conversations(engine):
        i = int(conv.id.split("-")[1])
        replies = replies_for(conv, i)
        flags = flags_for(i)
        score = apply_scorecard(card, replies=replies, flags=flags, metrics=compute_metrics(conv.messages))
        cid, digest = ids[conv.id]
        results.append(
            ConversationResults(
                conversation_id=cid,
                content_hash=digest,
                replies=replies,
                flags=flags,
                score=score,
                model_versions={name: f"{name}-v1" for name in ("tone", "personalisation", "apology", "resolution")},
            )
        )
    save_results(engine, results=results)
    return {ext: cid for ext, (cid, _) in ids.items()}


def app_store(tmp_path: Path, monkeypatch: Any, *, n: int = 12, scored: bool = True) -> tuple[Engine, dict[str, int]]:
    """A store and scorecards folder for the app (QA_TOOLKIT_DB, QA_SCORECARDS_DIR set); external id -> id."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("QA_TOOLKIT_DB", url)
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(write_scorecards(tmp_path / "scorecards")))
    engine = build_store(url, tmp_path, n=n)
    if scored:
        return engine, seed_results(engine)
    with engine.connect() as conn:
        return engine, {ext: cid for cid, ext in conn.execute(select(CONV.c.id, CONV.c.external_id))}
