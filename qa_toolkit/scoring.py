"""Scoring agent replies with the four classifiers: a library call and the JSONL scoring contract.

No database and no UI here: ``ReplyScorer.score_conversations`` takes conversations and returns one
record per agent reply (bot messages, auto-replies, internal notes and messages with no letter, digit or
symbol such as an emoji excluded)."""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.classifiers.artefacts import MODELS_DIR, load_all
from qa_toolkit.classifiers.models import LABEL_SETS, LinearScores, ReplyClassifier, ShownEntries
from qa_toolkit.features import ReplyContext, history_role
from qa_toolkit.schema import ConversationIn

# the version of which messages are scored (``reply_contexts``); part of the key that tells stale results
# in the store (``store_scoring.model_versions``): v2 leaves out auto-replies and messages with nothing to label;
# v3 reads an auto-reply in the conversation before a reply as a bot turn (``features.history_role``)
REPLY_SELECTION = "replies-v3"


def has_content(text: str) -> bool:
    """Whether a message has anything to label: a letter, a digit or a symbol such as an emoji."""
    return any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in text or "")


def reply_contexts(conv: ConversationIn) -> list[tuple[str, ReplyContext]]:
    """(message id, classifier input) for every agent reply: human agent answers (``MessageIn.is_answer``:
    not internal notes, not auto-replies, whether the importer flagged them or ``normalise.mark_auto_replies``
    found them) with something to label (``has_content``). Auto-replies stay in the conversation before the
    replies that follow them, as bot turns (``history_role``). The input's language is the message's, else the
    conversation's, else None (unknown: the features read such a reply as English)."""
    out = []
    history: list[tuple[str, str]] = []
    for msg in conv.messages:
        if msg.is_internal:
            continue
        if msg.is_answer and has_content(msg.text):
            out.append((msg.id, ReplyContext(msg.text, tuple(history), msg.language or conv.language)))
        history.append((history_role(msg), msg.text))
    return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one batch is scored, and resumed (and so run) after
    it: a batch allocates many small lists and dicts and holds no cycles, and the collector's passes
    over everything the loaded models and tokenizer hold were about a tenth of the scoring time. Left as
    it was when someone else has paused it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class ReplyScorer:
    """The four classifiers together. When they share one fitted featurizer (as ``qa-toolkit train``
    saves them), each reply's features are computed once for all four."""

    def __init__(self, classifiers: dict[str, ReplyClassifier]) -> None:
        missing = set(LABEL_SETS) - set(classifiers)
        if missing:
            raise ValueError(f"missing classifiers: {', '.join(sorted(missing))}")
        self.classifiers = classifiers
        # one featurizer for the four (as `qa-toolkit train` saves them): compute features once per reply
        digests = {c.featurizer.fingerprint() for c in classifiers.values()}
        self.shared_featurizer = next(iter(classifiers.values())).featurizer if len(digests) == 1 else None
        self._scores = LinearScores(list(classifiers.values())) if self.shared_featurizer is not None else None
        # the columns any of them may show as evidence: their entries are found once per batch
        self._shown_mask = (np.logical_or.reduce([c._evidence_columns().mask for c in classifiers.values()])
                            if self._scores is not None else None)  # fmt: skip

    @classmethod
    def load(cls, models_dir: Path = MODELS_DIR) -> ReplyScorer:
        return cls(load_all(models_dir))

    def score_replies(self, replies: Sequence[ReplyContext], *, evidence: int = 3) -> list[dict[str, Any]]:
        """One dict per reply: label -> {"label", "confidence", "evidence"}."""
        if not replies:
            return []
        with _collector_paused():
            return self._score_replies(replies, evidence)

    def _score_replies(self, replies: Sequence[ReplyContext], evidence: int) -> list[dict[str, Any]]:
        features = views = entries = None
        scores: list[Any] = [None] * len(self.classifiers)
        if self.shared_featurizer is not None and self._scores is not None:
            features, views = self.shared_featurizer.transform_with_views(replies)
            scores = self._scores(features)
            if evidence and self._shown_mask is not None:
                entries = ShownEntries.of(features, self._shown_mask)
        out: list[dict[str, Any]] = [{} for _ in replies]
        for (name, clf), s in zip(self.classifiers.items(), scores, strict=True):
            found = clf.decide(replies, features=features, views=views, scores=s, evidence=evidence, entries=entries)
            classes = clf.classes
            for labels, k, p, ev in zip(out, found.winners.tolist(), found.confidences(), found.evidence, strict=True):
                labels[name] = {"label": classes[k], "confidence": round(p, 4), "evidence": ev}
        return out

    def score_conversations(self, convs: Iterable[ConversationIn], *, batch: int = 500) -> Iterator[dict[str, Any]]:
        """The scoring contract: one record per agent reply (``reply_contexts``), in conversation order, with
        ``language`` (None when unknown). The conversations should be enriched as after an import
        (``pipeline.enrich``: auto-replies marked, languages detected), as ``score_conversation`` and
        ``qa-toolkit score`` do; here they are read as they are."""
        pending: list[tuple[str, str, str | None, ReplyContext]] = []

        def flush() -> Iterator[dict[str, Any]]:
            scores = self.score_replies([p[3] for p in pending])
            for (cid, mid, lang, _), s in zip(pending, scores, strict=True):
                yield {"conversation_id": cid, "message_id": mid, **s, "language": lang}
            pending.clear()

        for conv in convs:
            for mid, rc in reply_contexts(conv):
                pending.append((conv.id, mid, rc.language, rc))
            if len(pending) >= batch:
                yield from flush()
        if pending:
            yield from flush()


def score_conversation(conv: ConversationIn, *, scorer: ReplyScorer) -> list[dict[str, Any]]:
    """Scores for one conversation's agent replies (the library form of ``qa-toolkit score``): the
    conversation is enriched first, in place, as an import would (``pipeline.enrich``: auto-replies
    marked, missing languages detected), so the records are those ``qa-toolkit score`` writes."""
    from qa_toolkit.pipeline import enrich

    enrich([conv])
    return list(scorer.score_conversations([conv]))
