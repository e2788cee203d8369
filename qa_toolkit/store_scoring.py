"""Scoring the stored conversations: reply labels, thread flags and the scorecard for each, written to the
store with db.results (the review queue is filled from them).

:func:`compute_results` is pure (conversations in, results out); :func:`score_store` reads the stored
conversations that have no automatic results yet (or changed since), in batches, and writes them; run
again, it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from qa_toolkit.db.crud import iter_conversations
from qa_toolkit.db.results import (
    ConversationResults,
    ScoredWith,
    load_conversations,
    models_key,
    save_results,
    unscored_conversations,
)
from qa_toolkit.errors import QAError
from qa_toolkit.flagging import CorpusBuilder, FlagSettings, flag_thread
from qa_toolkit.metrics import compute_metrics
from qa_toolkit.rules import Corpus, ReplyResult
from qa_toolkit.schema import ConversationIn
from qa_toolkit.scorecard import Scorecard, apply_scorecard
from qa_toolkit.scoring import REPLY_SELECTION, ReplyScorer, reply_contexts


def model_versions(scorer: ReplyScorer | None) -> dict[str, str]:
    """Label name -> the classifier artefact that gave it (``tone-v1@2026-11-21+1a2b3c4d``, see
    classifiers.artefacts.artefact_version; the bare name for a classifier not loaded from a file), and
    "replies" -> ``scoring.REPLY_SELECTION`` (which messages were scored)."""
    if scorer is None:
        return {}
    versions = {name: str(getattr(clf, "version", None) or clf.name) for name, clf in scorer.classifiers.items()}
    return {**versions, "replies": REPLY_SELECTION}  # results from before a change to it are stale too


def scored_with(scorer: ReplyScorer | None, card: Scorecard | None) -> ScoredWith:
    """What results made now are scored with (compare stored results against it to find stale ones)."""
    return ScoredWith(models=models_key(model_versions(scorer)), scorecard=card.key if card is not None else None)


def label_replies(convs: Sequence[ConversationIn], scorer: ReplyScorer) -> list[dict[str, ReplyResult]]:
    """Each conversation's agent replies labelled (message id -> ReplyResult), scored as one batch.

    Kept per conversation by position, so conversations from different sources may share ids."""
    contexts = [reply_contexts(conv) for conv in convs]
    flat = [rc for per_conv in contexts for _, rc in per_conv]
    scores = iter(scorer.score_replies(flat))
    out = []
    for conv, per_conv in zip(convs, contexts, strict=True):
        out.append(
            {
                mid: ReplyResult.model_validate({"message_id": mid, "conversation_id": conv.id, **next(scores)})
                for mid, _ in per_conv
            }
        )
    return out


def compute_results(
    items: Sequence[tuple[int, str, ConversationIn]],
    *,
    scorer: ReplyScorer | None,
    card: Scorecard | None,
    settings: FlagSettings | None = None,
    corpus: Corpus | None = None,
) -> list[ConversationResults]:
    """Labels (with a scorer), flags and the scorecard result for stored conversations given as
    (store id, content digest, conversation). ``settings`` default to the card's rules and business hours;
    ``corpus`` (relative thresholds, mined templates) to none: rules that need it abstain."""
    if settings is None:
        settings = FlagSettings.from_card(card) if card is not None else FlagSettings()
    convs = [conv for _, _, conv in items]
    labels = label_replies(convs, scorer) if scorer is not None else [{} for _ in convs]
    versions = model_versions(scorer)
    out = []
    for (cid, digest, conv), replies in zip(items, labels, strict=True):
        metrics = compute_metrics(conv.messages)
        flags, _ = flag_thread(
            conv,
            rule_params=settings.rule_params,
            business_hours=settings.business_hours,
            corpus=corpus,
            replies=replies,
            metrics=metrics,
        )
        score = (
            apply_scorecard(card, replies=list(replies.values()), flags=flags, metrics=metrics)
            if card is not None
            else None
        )
        out.append(
            ConversationResults(
                conversation_id=cid,
                content_hash=digest,
                replies=list(replies.values()),
                flags=flags,
                score=score,
                model_versions=versions,
            )
        )
    return out


def store_corpus(engine: Engine, settings: FlagSettings) -> Corpus:
    """Pass 1 over every stored conversation: group baselines and mined templates (counts only)."""
    builder = CorpusBuilder(settings.rule_params)
    for conv in iter_conversations(engine):
        builder.add(conv)
    return builder.build()


@dataclass
class ScoreStoreSummary:
    conversations: int = 0
    replies: int = 0
    flagged: int = 0
    flags: int = 0


def score_store(
    engine: Engine,
    *,
    scorer: ReplyScorer | None,
    card: Scorecard | None,
    settings: FlagSettings | None = None,
    batch: int = 200,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    corpus: Corpus | None = None,
    rescore_stale: bool = False,
) -> ScoreStoreSummary:
    """Score every stored conversation without automatic results (or changed since it was scored), in
    batches of ``batch``, one transaction each; idempotent (a second run finds nothing to do).

    Relative thresholds and templates come from a first pass over the whole store (``corpus`` to pass one
    in). Conversations scored earlier keep their results even when later imports shift those thresholds;
    with ``rescore_stale`` those scored with other models or another scorecard (after switching models in
    the admin page, say) are scored again too. Reviews are never touched. ``progress`` gets the number done
    after each batch.
    """
    if rescore_stale and scorer is None:
        raise QAError(
            "scoring stale results again needs the reply models: without them every reply label in the store "
            "would be dropped (leave out --no-models)"
        )
    if settings is None:
        settings = FlagSettings.from_card(card) if card is not None else FlagSettings()
    summary = ScoreStoreSummary()
    stale = scored_with(scorer, card) if rescore_stale else None
    pending = unscored_conversations(engine, limit=batch, rescore_stale=stale)
    if not pending:
        return summary
    if corpus is None:
        corpus = store_corpus(engine, settings)
    while pending:
        if limit is not None:
            pending = pending[: max(0, limit - summary.conversations)]
            if not pending:
                break
        results = compute_results(
            load_conversations(engine, ids=pending), scorer=scorer, card=card, settings=settings, corpus=corpus
        )
        save_results(engine, results=results)
        summary.conversations += len(results)
        summary.replies += sum(len(r.replies) for r in results)
        summary.flags += sum(len(r.flags) for r in results)
        summary.flagged += sum(1 for r in results if r.flags)
        if progress is not None:
            progress(summary.conversations)
        pending = unscored_conversations(engine, after_id=pending[-1], limit=batch, rescore_stale=stale)
    return summary
