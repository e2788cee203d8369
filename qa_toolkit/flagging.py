"""Thread flags for many conversations: corpus pass, rules, optional reply labels and the scorecard (pure).

Relative thresholds and template mining need the whole input, so flagging makes two passes: the first
(``build_corpus``) keeps only per-group exchange counts and a bounded set of candidate templates, the
second (``flag_conversations``) runs the rules on one conversation at a time. Nothing here prints or
touches a database; ``qa-toolkit flag`` is the command-line face of ``flag_file``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qa_toolkit.metrics import ThreadMetrics, compute_metrics
from qa_toolkit.normalise import mark_auto_replies
from qa_toolkit.rules import BusinessHours, Corpus, Flag, ReplyResult, RuleContext, get_rule, registered_rules
from qa_toolkit.rules.params import TemplateReuseParams
from qa_toolkit.schema import ConversationIn
from qa_toolkit.templates import TemplateMiner

TEMPLATE_RULE = "template_reuse.v1"
REVIEW_SCORE = 0.5  # a flag at or above this puts the thread in the review queue


def latest_rules() -> list[str]:
    """The newest version of every registered rule (``unresolved_end.v2``, not also ``.v1``)."""
    newest: dict[str, tuple[int, str]] = {}
    for name in registered_rules():
        base, _, version = name.rpartition(".v")
        number = int(version) if version.isdigit() else 0
        if base not in newest or number > newest[base][0]:
            newest[base] = (number, name)
    return sorted(name for _, name in newest.values())


def default_rule_params() -> dict[str, BaseModel]:
    """The newest version of every registered rule with its default thresholds (used when there is no
    scorecard; a scorecard names the versions it runs)."""
    return {name: get_rule(name).params() for name in latest_rules()}


@dataclass
class FlagSettings:
    """What flagging needs from a scorecard: the enabled rules with their thresholds, business hours, and
    the card itself (to score each conversation; None: no score)."""

    rule_params: dict[str, BaseModel] = field(default_factory=default_rule_params)
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    card: Any = None

    @classmethod
    def from_card(cls, card: Any) -> FlagSettings:
        return cls(rule_params=dict(card.rule_params()), business_hours=card.business_hours, card=card)


def load_settings(path: Path | None = None) -> FlagSettings:
    """Settings from a scorecard file, or the default scorecard (every rule at its defaults, and no score,
    while ``qa_toolkit.scorecard`` is not there)."""
    try:
        from qa_toolkit import scorecard
    except ImportError:
        if path is not None:
            from qa_toolkit.errors import QAError

            raise QAError("--scorecard needs qa_toolkit.scorecard, which is not installed") from None
        return FlagSettings()
    card = scorecard.load_scorecard(path) if path is not None else scorecard.default_scorecard()
    return FlagSettings.from_card(card)


def agent_of(conv: ConversationIn) -> str:
    """The agent a conversation counts for: its assignee, else the author of most human answers."""
    if conv.assignee is not None and (conv.assignee.id or conv.assignee.name):
        return str(conv.assignee.id or conv.assignee.name)
    authors = Counter(m.author or m.author_name for m in conv.messages if m.is_answer and (m.author or m.author_name))
    return str(authors.most_common(1)[0][0]) if authors else "-"


# --------------------------------------------------------------------------- pass 1: the corpus


class CorpusBuilder:
    """Pass 1: ``add`` every conversation; ``build()`` gives the Corpus. Keeps counts, never conversations."""

    def __init__(self, rule_params: Mapping[str, BaseModel] | None = None) -> None:
        rule_params = default_rule_params() if rule_params is None else rule_params
        self.corpus = Corpus()
        tp = rule_params.get(TEMPLATE_RULE)
        self.template_params = tp if isinstance(tp, TemplateReuseParams) else None
        self.miner = (
            TemplateMiner(min_similarity=tp.min_similarity, min_words=tp.min_words, max_clusters=tp.max_clusters)
            if isinstance(tp, TemplateReuseParams)
            else None
        )

    def add(self, conv: ConversationIn, metrics: ThreadMetrics | None = None) -> None:
        metrics = metrics or compute_metrics(conv.messages)
        self.corpus.conversations += 1
        self.corpus.baselines.add(
            exchanges=metrics.exchanges, team=conv.team, channel=conv.channel, when=conv.created_at
        )
        if self.miner is not None:
            fallback = agent_of(conv)
            for msg in conv.messages:
                if msg.is_answer:
                    self.miner.add(msg.text, msg.author or msg.author_name or fallback)

    def build(self) -> Corpus:
        if self.miner is not None and self.template_params is not None:
            self.corpus.templates = self.miner.index_templates(min_uses=self.template_params.min_uses)
        return self.corpus


def build_corpus(convs: Iterable[ConversationIn], *, rule_params: Mapping[str, BaseModel] | None = None) -> Corpus:
    """Pass 1 over conversations (auto-replies are marked on the fly, as import does)."""
    builder = CorpusBuilder(rule_params)
    for conv in convs:
        mark_auto_replies(conv.messages)
        builder.add(conv)
    return builder.build()


# --------------------------------------------------------------------------- pass 2: the rules


@dataclass
class ConversationResult:
    """One conversation's flags and score, plus what the reports group by."""

    conversation_id: str
    metrics: ThreadMetrics
    flags: list[Flag]
    score: Any = None  # the scorecard's ScoreResult (None without a scorecard)
    team: str = "-"
    channel: str = "-"
    agent: str = "-"
    template_uses: list[tuple[str, str]] = field(default_factory=list)  # (agent, template name) per canned reply

    @property
    def top_score(self) -> float:
        return max((f.score for f in self.flags), default=0.0)

    def to_record(self) -> dict[str, Any]:
        """The line ``qa-toolkit flag`` writes (the contract in issue 4)."""
        score = self.score
        return {
            "conversation_id": self.conversation_id,
            "metrics": {
                "exchanges": self.metrics.exchanges,
                "first_response_seconds": self.metrics.first_response_seconds,
                "longest_customer_wait_seconds": self.metrics.longest_customer_wait_seconds,
            },
            "flags": [
                {"rule": f.rule, "score": round(f.score, 4), "reason": f.reason, "evidence": list(f.evidence)}
                for f in self.flags
            ],
            "score": {
                "value": None if score is None or score.value is None else round(float(score.value), 2),
                "passed": None if score is None else score.passed,
                "categories": {}
                if score is None
                else {k: (None if v is None else round(float(v), 2)) for k, v in score.categories.items()},
            },
        }


def flag_thread(
    conv: ConversationIn,
    *,
    rule_params: Mapping[str, BaseModel] | None = None,
    business_hours: BusinessHours | None = None,
    corpus: Corpus | None = None,
    replies: Mapping[str, ReplyResult] | None = None,
    metrics: ThreadMetrics | None = None,
) -> tuple[list[Flag], RuleContext]:
    """Every enabled rule on one conversation: the flags (highest score first) and the context they read."""
    rule_params = default_rule_params() if rule_params is None else rule_params
    ctx = RuleContext(
        conv=conv,
        metrics=metrics or compute_metrics(conv.messages),
        replies=dict(replies or {}),
        business_hours=business_hours or BusinessHours(),
        corpus=corpus,
    )
    flags = []
    for name, params in rule_params.items():
        flag = get_rule(name)(ctx, params)
        if flag is not None:
            flags.append(flag)
    flags.sort(key=lambda f: (-f.score, f.rule))
    return flags, ctx


def _score(card: Any, replies: Mapping[str, ReplyResult], flags: list[Flag], metrics: ThreadMetrics) -> Any:
    if card is None:
        return None
    from qa_toolkit.scorecard import apply_scorecard

    return apply_scorecard(card, replies=list(replies.values()), flags=flags, metrics=metrics)


def _template_uses(ctx: RuleContext, conv: ConversationIn) -> list[tuple[str, str]]:
    matches = ctx.cache.get("templates", {})
    fallback = agent_of(conv)
    by_id = {m.id: m for m in conv.messages}
    return [
        (by_id[mid].author or by_id[mid].author_name or fallback, t.name)
        for mid, t in matches.items()
        if t is not None and mid in by_id
    ]


def flag_conversations(
    convs: Iterable[ConversationIn],
    *,
    corpus: Corpus | None,
    settings: FlagSettings | None = None,
    scorer: Any = None,
    batch: int = 500,
) -> Iterator[ConversationResult]:
    """Pass 2: rules (and, with a ``ReplyScorer``, reply labels; with a card, the score) per conversation.
    Conversations should be enriched (auto-replies marked, languages filled) as ``pipeline.iter_enriched``
    does."""
    settings = settings or FlagSettings()
    buf: list[ConversationIn] = []

    def flush() -> Iterator[ConversationResult]:
        labels: dict[str, dict[str, ReplyResult]] = {}
        if scorer is not None:
            for record in scorer.score_conversations(buf):
                labels.setdefault(record["conversation_id"], {})[record["message_id"]] = ReplyResult.model_validate(
                    record
                )
        for conv in buf:
            replies = labels.get(conv.id, {})
            metrics = compute_metrics(conv.messages)
            flags, ctx = flag_thread(
                conv,
                rule_params=settings.rule_params,
                business_hours=settings.business_hours,
                corpus=corpus,
                replies=replies,
                metrics=metrics,
            )
            yield ConversationResult(
                conversation_id=conv.id,
                metrics=metrics,
                flags=flags,
                score=_score(settings.card, replies, flags, metrics),
                team=conv.team or "-",
                channel=conv.channel or "-",
                agent=agent_of(conv),
                template_uses=_template_uses(ctx, conv),
            )
        buf.clear()

    for conv in convs:
        buf.append(conv)
        if len(buf) >= batch:
            yield from flush()
    if buf:
        yield from flush()


def flag_corpus(
    convs: Sequence[ConversationIn], *, settings: FlagSettings | None = None, scorer: Any = None
) -> list[ConversationResult]:
    """Both passes over conversations held in memory (the library form for small inputs and tests)."""
    from qa_toolkit.pipeline import enrich

    settings = settings or FlagSettings()
    convs = list(convs)
    enrich(convs)
    corpus = build_corpus(convs, rule_params=settings.rule_params)
    return list(flag_conversations(convs, corpus=corpus, settings=settings, scorer=scorer))


def flag_file(
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    options: Any = None,
    on_reject: Callable[[Any], None] | None = None,
    settings: FlagSettings | None = None,
    scorer: Any = None,
    progress: Callable[[str, int], None] | None = None,
) -> Iterator[ConversationResult]:
    """Both passes over files (read twice, so memory stays bounded): the corpus, then the flags.
    Rejected records go to ``on_reject`` in the first pass only; a conversation id repeated in the input
    is flagged once (its first occurrence)."""
    from qa_toolkit.pipeline import FirstOfEach, iter_enriched, read_conversations

    settings = settings or FlagSettings()
    builder = CorpusBuilder(settings.rule_params)
    n = 0
    for conv in read_conversations(paths, fmt=fmt, options=options, on_reject=on_reject):
        mark_auto_replies(conv.messages)
        builder.add(conv)
        n += 1
        if progress is not None and n % 1000 == 0:
            progress("corpus", n)
    corpus = builder.build()

    unique = FirstOfEach()(read_conversations(paths, fmt=fmt, options=options, on_reject=lambda _r: None))
    done = 0
    for batch in iter_enriched(unique):
        for result in flag_conversations(batch, corpus=corpus, settings=settings, scorer=scorer):
            done += 1
            yield result
        if progress is not None:
            progress("flags", done)
