"""A small store with finished reviews, and tiny classifiers, for the agreement and learning tests.

Replies are written here from phrase pieces, so each one's true labels are known; the automatic labels are
those of a deliberately poor model (it misses every unfriendly reply and calls specific apologies
templated), and the reviewers correct them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine

from qa_toolkit.classifiers.artefacts import save_model
from qa_toolkit.classifiers.training import LabelledSet, fit_classifiers
from qa_toolkit.db.engine import get_engine
from qa_toolkit.db.results import CONV, CategoryVerdict, ConversationResults, LabelVerdict, save_results, save_review
from qa_toolkit.features import ReplyContext
from qa_toolkit.pipeline import import_files
from qa_toolkit.rules.base import LabelResult, ReplyResult

TINY = {"n_features": 2**12, "tune_decisions": False}  # small and quick: tests run in seconds
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo")
AGENTS = (("ag_1", "Sam Keller"), ("ag_2", "Noor de Vries"))

TONE = {
    "friendly": "Hi {name}, thanks so much for reaching out, happy to help!",
    "neutral": "Hello.",
    "unfriendly": "As already stated twice, this is not our problem and you should have read the terms.",
}
APOLOGY = {
    "none": "",
    "templated": "Sorry for any inconvenience caused.",
    "specific": "I am sorry your parcel {order} arrived with a broken screen.",
}
RESOLUTION = {
    "solution": "I have refunded order {order} today, the money is on its way.",
    "step": "Please DM us your order number so we can look into it.",
    "none": "There is nothing we can do about that.",
}


def reply_text(i: int, tone: str, apology: str, resolution: str) -> str:
    name, order = NAMES[i % len(NAMES)], f"A{4000 + i}"
    parts = [TONE[tone], APOLOGY[apology], RESOLUTION[resolution]]
    return " ".join(p.format(name=name, order=order) for p in parts if p)


def true_labels(i: int) -> dict[str, str]:
    """The labels reply i really has (a fixed cycle over the classes)."""
    tone = ("friendly", "neutral", "unfriendly")[i % 3]
    apology = ("none", "templated", "specific")[(i // 3) % 3]
    resolution = ("solution", "step", "none")[(i // 2) % 3]
    personal = tone == "friendly" or apology == "specific" or resolution == "solution"
    return {
        "tone": tone,
        "personalisation": "personalised" if personal else "generic",
        "apology": apology,
        "resolution": resolution,
    }


def model_labels(i: int) -> dict[str, str]:
    """What the poor model said: never unfriendly, never specific."""
    labels = dict(true_labels(i))
    if labels["tone"] == "unfriendly":
        labels["tone"] = "neutral"
    if labels["apology"] == "specific":
        labels["apology"] = "templated"
    return labels


def context(i: int) -> ReplyContext:
    labels = true_labels(i)
    return ReplyContext(
        reply_text(i, labels["tone"], labels["apology"], labels["resolution"]),
        (("customer", f"My order A{4000 + i} has not arrived, where is it?"),),
        "en",
    )


def labelled_set(indices: range) -> LabelledSet:
    """Hand-written replies with their true labels (a stand-in for committed labels)."""
    return LabelledSet([context(i) for i in indices], [{"item": f"hand:{i}", **true_labels(i)} for i in indices])


def records(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        labels = true_labels(i)
        agent, agent_name = AGENTS[i % 2]
        start = T0 + timedelta(days=i)
        out.append(
            {
                "id": f"r-{i}",
                "source": "test",
                "channel": "email",
                "created_at": start,
                "assignee": {"id": agent, "name": agent_name},
                "team": "Orders",
                "language": "en",
                "messages": [
                    {"id": f"{i}-1", "role": "customer", "author": f"cus_{i}", "sent_at": start,
                     "text": f"My order A{4000 + i} has not arrived, where is it?", "language": "en"},
                    {"id": f"{i}-2", "role": "agent", "author": agent, "author_name": agent_name,
                     "sent_at": start + timedelta(hours=1), "language": "en",
                     "text": reply_text(i, labels["tone"], labels["apology"], labels["resolution"])},
                ],
            }
        )  # fmt: skip
    return out


def build(url: str, tmp_path: Path, *, n: int = 30) -> tuple[Engine, dict[str, int]]:
    """A store with ``n`` one-reply conversations r-0 ... and the poor model's automatic results."""
    path = tmp_path / "review-convs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records(n)))
    import_files([path], db=url, parallel=False)
    engine = get_engine(url)
    with engine.connect() as conn:
        rows = {ext: (cid, digest) for cid, ext, digest in conn.execute(
            select(CONV.c.id, CONV.c.external_id, CONV.c.content_hash))}  # fmt: skip
    results = []
    for ext, (cid, digest) in rows.items():
        i = int(ext.split("-")[1])
        labels = model_labels(i)
        reply = ReplyResult(
            message_id=f"{i}-2",
            conversation_id=ext,
            **{name: LabelResult(label=label, confidence=0.8, evidence=[]) for name, label in labels.items()},
        )
        results.append(ConversationResults(conversation_id=cid, content_hash=digest, replies=[reply]))
    save_results(engine, results=results)
    return engine, {ext: cid for ext, (cid, _) in rows.items()}


def review(
    engine: Engine,
    cid: int,
    i: int,
    *,
    reviewer: str,
    labels: dict[str, str] | None = None,
    done: bool = True,
    at: datetime | None = None,
    categories: dict[str, tuple[float | None, float | None]] | None = None,
) -> None:
    """``reviewer`` reviews conversation r-i: the true labels unless ``labels`` say otherwise; categories
    as name -> (automatic value, reviewer value)."""
    chosen = {**true_labels(i), **(labels or {})}
    model = model_labels(i)
    save_review(
        engine,
        conversation_id=cid,
        reviewer=reviewer,
        expected_version=None,
        labels=[LabelVerdict(f"{i}-2", name, label, model_label=model[name]) for name, label in chosen.items()],
        categories=[
            CategoryVerdict(name, human, model_value=auto, overridden=auto != human)
            for name, (auto, human) in (categories or {}).items()
        ],
        done=done,
        now=at or (T0 + timedelta(days=60, hours=i)),
    )


def tiny_models(models_dir: Path, indices: range = range(0, 18)) -> Path:
    """Tiny classifiers trained on the poor model's labels of some hand-written replies (the "active" ones)."""
    contexts = [context(i) for i in indices]
    labels = {name: [model_labels(i)[name] for i in indices] for name in ("tone", "personalisation", "apology",
                                                                           "resolution")}  # fmt: skip
    # the poor model knows no unfriendly reply and no specific apology: it gets one of each so that it
    # has the same label set as a real model (and then learns little from them)
    contexts += [context(2), context(6)]
    labels["tone"] += ["unfriendly", "unfriendly"]
    labels["apology"] += ["specific", "specific"]
    for name in ("personalisation", "resolution"):
        labels[name] += [true_labels(2)[name], true_labels(6)[name]]
    fitted = fit_classifiers(contexts, labels, pipeline_params=TINY, min_per_class=2)
    for name, pipe in fitted.pipelines.items():
        save_model(name, pipe, {"training_data": {"replies": len(contexts)}}, models_dir)
    return models_dir
