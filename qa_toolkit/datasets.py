"""Labelled-reply items from the research data in ../shared/data, by the item ids the labels use.

Item ids: ``airlines-<split>:<first_tweet_id>#t<i>`` (row of twcs-airlines/<split>.csv.bz2, turn i) and
``ibm-<split>:<sessionID>#<tweet_ID>`` (ibm-cdp/<split>.json), ``twcs-sample:<root tweet id>#<tweet id>``
(twcs-sample/twcs_first5000rows.csv). The texts stay in ../shared/data; only ids and labels are committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa_toolkit.importers import ImportOptions, Rejected, get_importer
from qa_toolkit.schema import ConversationIn, MessageIn
from qa_toolkit.types import Role

SPLITS = {
    "airlines-train": ("twcs-airlines", "twcs-airlines/train.csv.bz2"),
    "airlines-test": ("twcs-airlines", "twcs-airlines/test.csv.bz2"),
    "ibm-dev": ("ibm-cdp", "ibm-cdp/dev.json"),
    "ibm-test": ("ibm-cdp", "ibm-cdp/test.json"),
    "twcs-sample": ("twcs", "twcs-sample/twcs_first5000rows.csv"),
}
TEST_SPLITS = frozenset({"airlines-test", "ibm-test"})


def shared_data_dir() -> Path | None:
    """../shared/data next to the checkout (or $QA_SHARED_DATA), or None when it is not there."""
    env = os.environ.get("QA_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    return next((p for p in candidates if p.is_dir()), None)


@dataclass(frozen=True)
class ReplyItem:
    """One agent reply with the conversation before it."""

    item: str
    split: str
    conversation: ConversationIn
    index: int  # position of the reply in conversation.messages

    @property
    def reply(self) -> MessageIn:
        return self.conversation.messages[self.index]

    @property
    def context(self) -> list[MessageIn]:
        return self.conversation.messages[: self.index]


def iter_conversations(split: str, data_dir: Path) -> Iterator[ConversationIn]:
    fmt, rel = SPLITS[split]
    seen: set[str] = set()
    for item in get_importer(fmt).read(data_dir / rel, ImportOptions()):
        if isinstance(item, Rejected) or item.id in seen:
            continue
        seen.add(item.id)
        yield item


def iter_reply_items(split: str, data_dir: Path) -> Iterator[ReplyItem]:
    """Every agent reply of a split, with its item id."""
    for conv in iter_conversations(split, data_dir):
        for i, msg in enumerate(conv.messages):
            if msg.role is Role.agent and not msg.is_internal:
                sep = "#"
                yield ReplyItem(f"{split}:{conv.id}{sep}{msg.id}", split, conv, i)


def load_items(ids: set[str], data_dir: Path) -> dict[str, ReplyItem]:
    """The reply items with these ids (any splits)."""
    out: dict[str, ReplyItem] = {}
    for split in sorted({i.split(":", 1)[0] for i in ids}):
        for item in iter_reply_items(split, data_dir):
            if item.item in ids:
                out[item.item] = item
    return out
