"""Labelled-reply items from the research data in ../shared/data, by the item ids the labels use.

Item ids: ``airlines-<split>:<first_tweet_id>#t<i>`` (row of twcs-airlines/<split>.csv.bz2, turn i) and
``ibm-<split>:<sessionID>#<tweet_ID>`` (ibm-cdp/<split>.json), ``twcs-sample:<root tweet id>#<tweet id>``
(twcs-sample/twcs_first5000rows.csv). The texts stay in ../shared/data; only ids and labels are committed.

twcs-sample and twcs-airlines both come from TWCS, so the first 5,000 rows hold a few threads of the
airlines **test** split (11 of them): those are test data wherever they are read, never training data
(``sample_threads_in_test``, ``in_test_split``, ``iter_training_reply_items``). For the same reason a
twcs-sample thread can be a twcs-airlines thread under another id: ``conversation_groups`` puts replies of
one thread in one group, whichever file they were read from.
"""

from __future__ import annotations

import bz2
import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa_toolkit.errors import QAError
from qa_toolkit.groups import DisjointSets
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
TRAIN_SPLITS = ("airlines-train", "ibm-dev", "twcs-sample")  # the splits training labels may come from


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


@lru_cache(maxsize=4)
def sample_threads_in_test(data_dir: Path) -> frozenset[str]:
    """The twcs-sample threads (their root tweet ids, the conversation ids) that hold a thread of the
    twcs-airlines test split: one of their tweets is a test thread's first tweet. Both files come from
    TWCS, so the sample holds some test threads (11); their replies are test data. Empty without the sample;
    with the sample but not the test split, which ones they are cannot be told: an error, not an empty set."""
    test_file = data_dir / SPLITS["airlines-test"][1]
    if not (data_dir / SPLITS["twcs-sample"][1]).is_file():
        return frozenset()
    if not test_file.is_file():
        raise QAError(f"{test_file}: not found, so the twcs-sample threads that belong to the airlines test split "
                      "cannot be told apart from training threads; restore ../shared/data whole")  # fmt: skip
    with bz2.open(test_file, "rt", encoding="utf-8", newline="") as fh:
        firsts = {row["first_tweet_id"].strip() for row in csv.DictReader(fh)} - {""}
    return frozenset(
        conv.id for conv in iter_conversations("twcs-sample", data_dir)
        if conv.id in firsts or any(m.id in firsts for m in conv.messages)
    )  # fmt: skip


def in_test_split(item: str, data_dir: Path) -> bool:
    """Whether a reply item is test data: from a test split, or a twcs-sample reply of a test thread."""
    split, _, rest = item.partition(":")
    if split in TEST_SPLITS:
        return True
    return split == "twcs-sample" and rest.partition("#")[0] in sample_threads_in_test(data_dir)


def iter_test_reply_items(data_dir: Path, *, present_only: bool = False) -> Iterator[ReplyItem]:
    """Every agent reply of the test splits (``TEST_SPLITS``), in a fixed order: what evaluation rounds draw
    from, and what no training may learn from. (twcs-sample's test threads are these same tweets.)
    ``present_only``: skip a split whose file is not in ``data_dir`` instead of failing."""
    for split in sorted(TEST_SPLITS):
        if not present_only or (data_dir / SPLITS[split][1]).is_file():
            yield from iter_reply_items(split, data_dir)


def iter_training_reply_items(data_dir: Path) -> Iterator[ReplyItem]:
    """Every agent reply of the training splits (``TRAIN_SPLITS``) that is not test data: what labelling
    rounds draw from."""
    left_out = sample_threads_in_test(data_dir)
    for split in TRAIN_SPLITS:
        for item in iter_reply_items(split, data_dir):
            if not (split == "twcs-sample" and item.conversation.id in left_out):
                yield item


# Splits whose conversations are TWCS threads named by their first tweet's id: a twcs-airlines thread and the
# twcs-sample thread that holds its first tweet are one thread, read from two files.
_TWCS_SPLITS = frozenset({"airlines-train", "airlines-test", "twcs-sample"})
# Splits whose message ids are tweet ids (unique across conversations): IBM sessions can share tweets.
_TWEET_ID_SPLITS = frozenset({"ibm-dev", "ibm-test", "twcs-sample"})


def _corpus(split: str) -> str:
    return "twcs" if split in _TWCS_SPLITS else split.split("-")[0]


def conversation_tweets(item: ReplyItem) -> tuple[str, ...]:
    """The tweet ids a reply's conversation is made of, as ``conversation_groups`` reads them: every message
    id where those are tweet ids (IBM, twcs-sample), else the thread's first tweet (twcs-airlines)."""
    if item.split in _TWEET_ID_SPLITS:
        return tuple(m.id for m in item.conversation.messages)
    return (item.conversation.id,) if item.split in _TWCS_SPLITS else ()


def conversation_groups(items: Sequence[str], tweets: Sequence[Sequence[str]] | None = None) -> list[str]:
    """The conversation group of each reply item: replies of one conversation share a group, whichever
    split file they were read from, and conversations that share a tweet are one group (a twcs-airlines
    thread is the twcs-sample thread that holds its first tweet; IBM sessions share tweets).
    Cross-validation folds split by these groups, so no fold learns from a reply of the very conversation it
    is scored on. ``tweets``: each item's ``conversation_tweets``; without them only the ids are read (the
    conversation and the reply's own tweet), which joins an airlines thread to the sample thread named
    by the same tweet but misses conversations that share only other tweets."""
    groups = DisjointSets()  # the smallest key names a group: the same for any order
    keys = []
    for i, item in enumerate(items):
        split, _, rest = item.partition(":")
        conv, _, message = rest.partition("#")
        corpus = _corpus(split)
        key = f"{corpus}:{conv}"  # sorts before every "tweet:" key, so a group is named by a conversation
        if tweets is not None:
            shared = list(tweets[i])
        else:  # from the ids alone: a TWCS thread's first tweet (its id), the reply's own tweet
            shared = [conv] if split in _TWCS_SPLITS else []
            shared += [message] if split in _TWEET_ID_SPLITS and message else []
        groups.find(key)
        for tweet in shared:
            groups.union(key, f"tweet:{corpus}:{tweet}")
        keys.append(key)
    return [groups.find(k) for k in keys]
