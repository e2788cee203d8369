"""Per-agent and per-team summaries of flagged conversations (pure: rows in, summaries out).

A row is one conversation's result: who it counts for (agent, team), its score, its flags and its first
response. Summaries give conversations, the mean score with the number of scored conversations behind it,
the pass rate, each rule's flag rate (share of conversations with that flag at any score) and the review
rate (share with a flag scoring >= 0.5), median and p90 first response, and template usage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from qa_toolkit.metrics import percentile

REVIEW_SCORE = 0.5


@dataclass(frozen=True)
class ReportRow:
    """What the reports read of one conversation."""

    conversation_id: str
    agent: str = "-"
    team: str = "-"
    score: float | None = None
    passed: bool | None = None
    flags: tuple[tuple[str, float], ...] = ()  # (rule, score)
    first_response_seconds: float | None = None
    exchanges: int = 0
    template_uses: tuple[tuple[str, str], ...] = ()  # (agent, template name) per canned reply


def row_from_result(result: Any) -> ReportRow:
    """A row from a ``flagging.ConversationResult``."""
    score = result.score
    return ReportRow(
        conversation_id=result.conversation_id,
        agent=result.agent,
        team=result.team,
        score=None if score is None or score.value is None else float(score.value),
        passed=None if score is None else score.passed,
        flags=tuple((f.rule, f.score) for f in result.flags),
        first_response_seconds=result.metrics.first_response_seconds,
        exchanges=result.metrics.exchanges,
        template_uses=tuple(result.template_uses),
    )


def row_from_record(
    record: Mapping[str, Any],
    *,
    agent: str = "-",
    team: str = "-",
    authors: Mapping[str, str] | None = None,
) -> ReportRow:
    """A row from one line of ``qa-toolkit flag`` output. Template uses are read back from the
    template_reuse flag's evidence (message ids, then the template's name in quotes); ``authors`` (message
    id -> agent) says who sent each canned reply, else it counts for ``agent``."""
    metrics = record.get("metrics") or {}
    score = record.get("score") or {}
    uses: list[tuple[str, str]] = []
    for flag in record.get("flags") or []:
        if not str(flag.get("rule", "")).startswith("template_reuse."):
            continue
        evidence = [str(e) for e in flag.get("evidence") or []]
        names = [e.strip('"') for e in evidence if e.startswith('"')]
        name = names[-1] if names else "?"
        for mid in (e for e in evidence if not e.startswith('"')):
            uses.append(((authors or {}).get(mid, agent), name))
    return ReportRow(
        conversation_id=str(record.get("conversation_id")),
        agent=agent,
        team=team,
        score=score.get("value"),
        passed=score.get("passed"),
        flags=tuple((str(f["rule"]), float(f["score"])) for f in record.get("flags") or []),
        first_response_seconds=metrics.get("first_response_seconds"),
        exchanges=int(metrics.get("exchanges") or 0),
        template_uses=tuple(uses),
    )


@dataclass
class GroupSummary:
    """The figures of one agent, team or the whole input."""

    name: str
    conversations: int = 0
    scored: int = 0
    mean_score: float | None = None
    pass_rate: float | None = None
    review_rate: float = 0.0
    flag_rates: dict[str, float] = field(default_factory=dict)
    median_first_response: float | None = None
    p90_first_response: float | None = None
    mean_exchanges: float | None = None
    template_uses: int = 0
    top_templates: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "conversations": self.conversations,
            "score": {"mean": self.mean_score, "n": self.scored, "pass_rate": self.pass_rate},
            "review_rate": self.review_rate,
            "flag_rates": dict(self.flag_rates),
            "first_response_seconds": {"median": self.median_first_response, "p90": self.p90_first_response},
            "mean_exchanges": self.mean_exchanges,
            "template_uses": self.template_uses,
            "top_templates": [{"name": n, "uses": u} for n, u in self.top_templates],
        }


@dataclass
class _Acc:
    conversations: int = 0
    scores: list[float] = field(default_factory=list)
    passed: int = 0
    judged: int = 0
    review: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    first: list[float] = field(default_factory=list)
    exchanges: int = 0
    templates: Counter[str] = field(default_factory=Counter)

    def add(self, row: ReportRow, *, templates: Iterable[str]) -> None:
        self.conversations += 1
        if row.score is not None:
            self.scores.append(float(row.score))
        if row.passed is not None:
            self.judged += 1
            self.passed += bool(row.passed)
        if any(s >= REVIEW_SCORE for _, s in row.flags):
            self.review += 1
        self.rules.update({rule for rule, _ in row.flags})
        if row.first_response_seconds is not None:
            self.first.append(float(row.first_response_seconds))
        self.exchanges += row.exchanges
        self.templates.update(templates)

    def summary(self, name: str, *, top: int) -> GroupSummary:
        n = self.conversations
        return GroupSummary(
            name=name,
            conversations=n,
            scored=len(self.scores),
            mean_score=round(sum(self.scores) / len(self.scores), 2) if self.scores else None,
            pass_rate=round(self.passed / self.judged, 4) if self.judged else None,
            review_rate=round(self.review / n, 4) if n else 0.0,
            flag_rates={rule: round(c / n, 4) for rule, c in sorted(self.rules.items())} if n else {},
            median_first_response=percentile(self.first, 50),
            p90_first_response=percentile(self.first, 90),
            mean_exchanges=round(self.exchanges / n, 2) if n else None,
            template_uses=sum(self.templates.values()),
            top_templates=self.templates.most_common(top),
        )


@dataclass
class Report:
    overall: GroupSummary
    agents: list[GroupSummary]
    teams: list[GroupSummary]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "agents": [a.to_dict() for a in self.agents],
            "teams": [t.to_dict() for t in self.teams],
        }


def summarise(rows: Iterable[ReportRow], *, top_templates: int = 3) -> Report:
    """Per-agent, per-team and overall summaries. An agent is credited with the conversations assigned to
    it and with the canned replies it sent itself."""
    overall = _Acc()
    agents: dict[str, _Acc] = {}
    teams: dict[str, _Acc] = {}
    for row in rows:
        uses = [name for _, name in row.template_uses]
        overall.add(row, templates=uses)
        teams.setdefault(row.team, _Acc()).add(row, templates=uses)
        agents.setdefault(row.agent, _Acc()).add(row, templates=[n for a, n in row.template_uses if a == row.agent])
        for author, name in row.template_uses:  # canned replies sent by someone other than the assignee
            if author != row.agent:
                agents.setdefault(author, _Acc()).templates[name] += 1

    def ordered(groups: dict[str, _Acc]) -> Iterator[GroupSummary]:
        for name in sorted(groups, key=lambda k: (-groups[k].conversations, k)):
            yield groups[name].summary(name, top=top_templates)

    return Report(
        overall=overall.summary("all", top=top_templates), agents=list(ordered(agents)), teams=list(ordered(teams))
    )
