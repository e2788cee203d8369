"""Scorecards: the validated, versioned definition of a quality score (scorecards/*.toml) and its maths.

A scorecard turns the reply labels and the thread flags of one conversation into a score on 0-100:
each *category* (tone, apology, responsiveness ...) scores 0-100 or is N/A, and the conversation score
is the weighted mean over the categories that apply, ``sum(weight * score) / sum(weight)``. A critical
category below its fail mark makes the whole conversation score 0 and fail. ``scorecards/README.md``
documents every key; :func:`apply_scorecard` and :func:`aggregate_scores` are pure functions.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qa_toolkit.errors import QAError
from qa_toolkit.metrics import ThreadMetrics
from qa_toolkit.rules.base import (
    BusinessHours,
    Flag,
    ReplyResult,
    get_rule,
    validate_params,
)
from qa_toolkit.settings import ROOT

SCORECARDS_ENV = "QA_SCORECARDS_DIR"
DEFAULT_SCORECARD = "default"
DEFAULT_FAIL_BELOW = 50.0

Points = Annotated[float, Field(ge=0, le=100)]
Aggregate = Literal["mean", "min"]
Applies = Literal["signals", "agent_reply", "customer_message", "always"]


class ScorecardError(QAError):
    """A scorecard file that cannot be used: every problem names the file, the key and what is allowed."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source, self.problems = source, list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.source, self.problems))


class _KeyProblem(ValueError):
    """Raised inside validators when the problem's key path is known better than pydantic's location."""

    def __init__(self, key: str, message: str) -> None:
        self.key, self.message = key, message
        super().__init__(f"{key}: {message}")


# ---------------------------------------------------------------------------------------------- the model


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            inner = [a for a in get_args(annotation) if a is not type(None)]
            annotation = inner[0] if len(inner) == 1 else annotation
            if len(inner) != 1:
                return annotation
        else:
            return annotation


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class TonePoints(_Strict):
    """Points per tone label (labelling guide, section 1); a label left out does not count."""

    friendly: Points | None = None
    neutral: Points | None = None
    unfriendly: Points | None = None


class PersonalisationPoints(_Strict):
    personalised: Points | None = None
    generic: Points | None = None


class ApologyPoints(_Strict):
    none: Points | None = None
    templated: Points | None = None
    specific: Points | None = None


class ResolutionPoints(_Strict):
    solution: Points | None = None
    step: Points | None = None
    none: Points | None = None


class LabelSignals(_Strict):
    """A category's label signals: for each of the four reply labels, points per label value."""

    tone: TonePoints | None = None
    personalisation: PersonalisationPoints | None = None
    apology: ApologyPoints | None = None
    resolution: ResolutionPoints | None = None


REPLY_LABELS: dict[str, tuple[str, ...]] = {
    kind: tuple(_unwrap(field.annotation).model_fields) for kind, field in LabelSignals.model_fields.items()
}
"""The label sets the scorecard knows (the classifiers' ``LABEL_SETS``, without importing scikit-learn)."""


class Category(_Strict):
    """One scored aspect of a conversation (``[categories.<name>]``)."""

    description: str = ""
    weight: float = Field(gt=0)
    critical: bool = False
    fail_below: Points | None = None
    aggregate: Aggregate = "mean"
    applies: Applies = "signals"
    base: Points = 100.0
    labels: LabelSignals = Field(default_factory=LabelSignals)
    flags: dict[str, Points] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Category:
        if self.fail_below is not None and not self.critical:
            raise _KeyProblem("fail_below", "only allowed with critical = true (a fail mark of a critical category)")
        if not self.label_points and not self.flags:
            raise _KeyProblem("labels", "a category needs at least one signal; add labels.<label> or flags")
        return self

    @property
    def fail_mark(self) -> float:
        """The score below which a critical category fails the conversation."""
        return self.fail_below if self.fail_below is not None else DEFAULT_FAIL_BELOW

    @property
    def label_points(self) -> dict[str, dict[str, float]]:
        """``{"tone": {"friendly": 100.0, ...}, ...}`` for the labels this category maps."""
        out: dict[str, dict[str, float]] = {}
        for kind in LabelSignals.model_fields:
            points = getattr(self.labels, kind)
            if points is not None:
                mapped = points.model_dump(exclude_none=True)
                if mapped:
                    out[kind] = mapped
        return out


_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")


class Scorecard(_Strict):
    """A scorecard: what is scored, how much each part weighs, the rules' thresholds and the pass mark."""

    name: str
    version: int = Field(ge=1)
    description: str = ""
    pass_mark: Points
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    rules: dict[str, Any] = Field(default_factory=dict)
    categories: dict[str, Category] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"{v!r} is not allowed; allowed: lower-case letters, digits, '_' and '-'")
        return v

    @field_validator("rules", mode="before")
    @classmethod
    def _rules(cls, raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            return raw  # pydantic reports the type
        out: dict[str, Any] = {}
        for name, table in raw.items():
            if isinstance(table, BaseModel):
                table = table.model_dump()
            if not isinstance(table, Mapping):
                raise _KeyProblem(f"rules.{name}", f"{_show(table)} is not allowed; allowed: a table of thresholds")
            try:
                get_rule(name)
            except QAError as exc:
                raise _KeyProblem(f"rules.{name}", str(exc)) from None
            try:
                out[name] = validate_params(name, table)
            except QAError as exc:  # validate_params names rules.<name>[.<key>] itself
                cause = exc.__cause__
                if isinstance(cause, ValidationError) and cause.errors():
                    key, _, message = _describe(cause.errors()[0], prefix=("rules", name)).partition(": ")
                else:
                    key, _, message = str(exc).partition(": ")
                raise _KeyProblem(key, message) from None
        return out

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, v: Any) -> Any:
        for name in v if isinstance(v, Mapping) else ():
            if not _CATEGORY.match(name):
                raise _KeyProblem(
                    f"categories.{name}",
                    "this category name is not allowed; allowed: lower-case letters, digits and '_'",
                )
        return v

    @model_validator(mode="after")
    def _flags_name_enabled_rules(self) -> Scorecard:
        enabled = sorted(self.rules)
        for cat_name, cat in self.categories.items():
            for rule in cat.flags:
                key = f"categories.{cat_name}.flags.{rule}"
                try:
                    get_rule(rule)
                except QAError as exc:
                    raise _KeyProblem(key, str(exc)) from None
                if rule not in self.rules:
                    raise _KeyProblem(
                        key,
                        f"rule {rule!r} is not enabled; allowed: the rules this scorecard enables "
                        f'({", ".join(enabled) or "none"}); add a [rules."{rule}"] table',
                    )
        return self

    @property
    def key(self) -> str:
        """``<name>.v<version>``: the id stored with every score."""
        return f"{self.name}.v{self.version}"

    def rule_params(self) -> dict[str, BaseModel]:
        """The enabled rules with their validated thresholds (a rule listed = enabled)."""
        return dict(self.rules)


# ---------------------------------------------------------------------------------------- files and errors


def scorecards_dir() -> Path:
    """The scorecards folder: $QA_SCORECARDS_DIR, else the repository's scorecards/."""
    env = os.environ.get(SCORECARDS_ENV)
    return Path(env).expanduser() if env else ROOT / "scorecards"


def list_scorecards(directory: Path | None = None) -> list[str]:
    """Names of the scorecards in the scorecards folder (``default``, ``strict`` ...), sorted."""
    folder = directory if directory is not None else scorecards_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def default_scorecard() -> Scorecard:
    """The default scorecard (``default.toml`` in the scorecards folder)."""
    return load_scorecard(scorecards_dir() / f"{DEFAULT_SCORECARD}.toml")


def load_scorecard(path: str | Path) -> Scorecard:
    """Read and validate a scorecard file; a bare name (``strict``) means that file in the scorecards folder.

    Raises :class:`ScorecardError` naming the file, the key path and what is allowed, e.g.
    ``scorecards/x.toml: categories.tone.aggregate: 'avg' is not allowed; allowed: mean, min``.
    """
    file = _resolve(path)
    source = _display(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ScorecardError(source, [f"cannot be read ({exc.strerror or exc})"]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScorecardError(f"{source}:{line}", ["not UTF-8 text; allowed: a UTF-8 TOML file"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScorecardError(_toml_location(source, text, exc), [f"TOML syntax error: {exc}"]) from exc
    return parse_scorecard(data, source=source)


def parse_scorecard(data: Mapping[str, Any], *, source: str = "<scorecard>") -> Scorecard:
    """Validate an already parsed scorecard table (errors as :func:`load_scorecard`)."""
    _ensure_rules_registered()
    try:
        return Scorecard.model_validate(dict(data))
    except ValidationError as exc:
        raise ScorecardError(source, [_describe(err) for err in exc.errors()]) from exc


def _resolve(path: str | Path) -> Path:
    candidate = Path(path).expanduser()
    if candidate.is_file():
        return candidate
    text = str(path)
    if "/" not in text and "\\" not in text and not candidate.suffix:
        named = scorecards_dir() / f"{text}.toml"
        if named.is_file():
            return named
    valid = list_scorecards()
    raise ScorecardError(
        text,
        [f"no such scorecard file; allowed: a TOML file or a name in {scorecards_dir()}: {', '.join(valid) or 'none'}"],
    )


def _display(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def _toml_location(source: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    if found:
        return f"{source}:{found.group(1)}:{found.group(2)}"
    return f"{source}:{max(1, text.count(chr(10)) + (0 if text.endswith(chr(10)) else 1))}"  # at end of document


def _ensure_rules_registered() -> None:
    """Importing the rules package registers every built-in rule."""
    importlib.import_module("qa_toolkit.rules")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """The keys a table at ``loc`` (a pydantic location inside a Scorecard) may hold."""
    model: type[BaseModel] = Scorecard
    parts = list(loc)
    while parts:
        field = model.model_fields.get(str(parts.pop(0)))
        if field is None:
            return []
        annotation = _unwrap(field.annotation)
        if get_origin(annotation) in (dict, Mapping):
            if not parts:
                return []
            parts.pop(0)  # the table's own key (a category name)
            annotation = _unwrap(get_args(annotation)[1])
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


_PLAIN_TYPES = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string in quotes",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "time_type": "a time such as 09:00:00",
    "time_parsing": "a time such as 09:00:00",
    "date_type": "a date such as 2025-12-25",
    "date_parsing": "a date such as 2025-12-25",
}


def _describe(err: Mapping[str, Any], *, prefix: tuple[str, ...] = ()) -> str:
    """One pydantic error as ``key.path: what was wrong; allowed: ...`` (``prefix``: where its model sits)."""
    loc = prefix + tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{key}: unknown key; allowed: {', '.join(allowed)}"
    if kind == "missing":
        return f"{key}: missing; this key is required"
    if kind == "value_error":
        error = err.get("ctx", {}).get("error")
        if isinstance(error, _KeyProblem):  # its key is complete, or relative to the table at loc
            full = error.key if error.key.startswith(("rules.", "categories.")) or not loc else f"{key}.{error.key}"
            return f"{full}: {error.message}"
        return f"{key}: {error if error is not None else err['msg']}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        return f"{key}: {_show(value)} is not allowed; allowed: {', '.join(allowed)}"
    msg = str(err["msg"])
    if kind in _PLAIN_TYPES:
        return f"{key}: {_show(value)} is not allowed; allowed: {_PLAIN_TYPES[kind]}"
    if kind == "too_short" and isinstance(value, Mapping):
        return f"{key}: empty; allowed: at least one [{key}.<name>] table"
    if msg.startswith("Input should be "):
        allowed = msg[len("Input should be ") :]
        if allowed.startswith(("greater", "less")):
            allowed = f"a number {allowed}"
        return f"{key}: {_show(value)} is not allowed; allowed: {allowed}"
    return f"{key}: {msg}"


# ------------------------------------------------------------------------------------------------ scoring


class ScoreResult(BaseModel):
    """One conversation's score under one scorecard.

    ``categories`` maps every category to its score, or None when it is N/A. ``value`` is the weighted
    mean over the categories that apply, 0 when a critical category failed, None when none applies.
    ``reviewed`` is True for a score computed from a reviewer's corrected labels and flags.
    """

    value: float | None = Field(default=None, ge=0, le=100)
    passed: bool | None = None
    categories: dict[str, float | None] = Field(default_factory=dict)
    failed_critical: list[str] = Field(default_factory=list)
    scorecard: str
    reviewed: bool = False


def category_score(
    cat: Category,
    *,
    replies: Sequence[ReplyResult],
    flags: Sequence[Flag],
    metrics: ThreadMetrics | None,
) -> float | None:
    """One category's score on 0-100, or None when it does not apply (see scorecards/README.md)."""
    label_points = cat.label_points
    per_reply: list[float] = []
    for reply in replies:
        points = [
            mapping[label] for kind, mapping in label_points.items() if (label := getattr(reply, kind).label) in mapping
        ]
        if points:
            per_reply.append(sum(points) / len(points))
    fired = [flag for flag in flags if flag.rule in cat.flags]
    if not _applies(cat.applies, per_reply=per_reply, fired=fired, replies=replies, metrics=metrics):
        return None
    if per_reply:
        start = min(per_reply) if cat.aggregate == "min" else sum(per_reply) / len(per_reply)
    else:
        start = cat.base
    penalty = sum(cat.flags[flag.rule] * flag.score for flag in fired)
    return round(min(100.0, max(0.0, start - penalty)), 2)


def _applies(
    applies: str,
    *,
    per_reply: list[float],
    fired: list[Flag],
    replies: Sequence[ReplyResult],
    metrics: ThreadMetrics | None,
) -> bool:
    if applies == "always":
        return True
    if applies == "agent_reply":
        return bool(replies) or (metrics is not None and metrics.agent_messages > 0)
    if applies == "customer_message":
        return metrics is not None and metrics.customer_turns > 0
    return bool(per_reply) or bool(fired)  # "signals"


def apply_scorecard(
    card: Scorecard,
    *,
    replies: Sequence[ReplyResult],
    flags: Sequence[Flag],
    metrics: ThreadMetrics | None,
    reviewed: bool = False,
) -> ScoreResult:
    """Score one conversation: its agent replies' labels, its flags and its metrics under ``card``.

    The value is ``sum(weight * score) / sum(weight)`` over the categories that apply (N/A categories
    are left out, never counted as 0); a critical category below its fail mark makes it 0 and failed.
    Pass ``reviewed=True`` with a reviewer's corrected labels and flags for the reviewed score.
    """
    scores = {
        name: category_score(cat, replies=replies, flags=flags, metrics=metrics)
        for name, cat in card.categories.items()
    }
    return combine_categories(card, scores, reviewed=reviewed)


def combine_categories(card: Scorecard, scores: Mapping[str, float | None], *, reviewed: bool = False) -> ScoreResult:
    """The conversation score from category scores (None = N/A; a category of ``card`` missing from
    ``scores`` counts as N/A): the weighted mean over those that apply, 0 when a critical one failed."""
    unknown = [name for name in scores if name not in card.categories]
    if unknown:
        raise QAError(f"unknown category {unknown[0]!r} for {card.key}; valid: {', '.join(card.categories)}")
    bad = [(name, s) for name, s in scores.items() if s is not None and not 0.0 <= s <= 100.0]
    if bad:
        raise QAError(f"category {bad[0][0]!r}: {bad[0][1]} is not allowed; allowed: 0-100 or None (N/A)")
    categories: dict[str, float | None] = {name: scores.get(name) for name in card.categories}
    applicable = [(card.categories[name], s) for name, s in categories.items() if s is not None]
    if not applicable:
        return ScoreResult(value=None, passed=None, categories=categories, scorecard=card.key, reviewed=reviewed)
    failed = [
        name
        for name, s in categories.items()
        if s is not None and card.categories[name].critical and s < card.categories[name].fail_mark
    ]
    if failed:
        value = 0.0
    else:
        total_weight = sum(cat.weight for cat, _ in applicable)
        value = round(min(100.0, max(0.0, sum(cat.weight * s for cat, s in applicable) / total_weight)), 2)
    return ScoreResult(
        value=value,
        passed=not failed and value >= card.pass_mark,
        categories=categories,
        failed_critical=failed,
        scorecard=card.key,
        reviewed=reviewed,
    )


# -------------------------------------------------------------------------------------------- aggregation


class CategoryMean(BaseModel):
    mean: float | None
    n: int


class ScoreSummary(BaseModel):
    """Scores of a group of conversations (an agent's, a team's): means with the numbers behind them.

    ``conversations`` counts every result given, ``n`` those with a score (value not None): ``mean`` and
    ``pass_rate`` are over those ``n``. Each category's mean is over the conversations where it applied.
    """

    scorecard: str | None
    reviewed: bool
    conversations: int
    n: int
    mean: float | None
    passed: int
    pass_rate: float | None
    failed_critical: int
    categories: dict[str, CategoryMean]


def aggregate_scores(results: Iterable[ScoreResult]) -> ScoreSummary:
    """Mean score, pass rate and per-category means of ``results`` (one scorecard, automatic or reviewed).

    Mixing scorecards, or automatic with reviewed scores, raises QAError: such a mean means nothing.
    """
    results = list(results)
    keys = sorted({r.scorecard for r in results})
    if len(keys) > 1:
        raise QAError(f"scores from different scorecards ({', '.join(keys)}); aggregate one scorecard at a time")
    kinds = {r.reviewed for r in results}
    if len(kinds) > 1:
        raise QAError("automatic and reviewed scores mixed; aggregate them separately")
    values = [r.value for r in results if r.value is not None]
    passed = sum(1 for r in results if r.passed)
    sums: dict[str, list[float]] = {}
    for r in results:
        for name, score in r.categories.items():
            bucket = sums.setdefault(name, [])
            if score is not None:
                bucket.append(score)
    return ScoreSummary(
        scorecard=keys[0] if keys else None,
        reviewed=bool(results) and results[0].reviewed,
        conversations=len(results),
        n=len(values),
        mean=round(sum(values) / len(values), 2) if values else None,
        passed=passed,
        pass_rate=round(passed / len(values), 4) if values else None,
        failed_critical=sum(1 for r in results if r.failed_critical),
        categories={
            name: CategoryMean(mean=round(sum(v) / len(v), 2) if v else None, n=len(v)) for name, v in sums.items()
        },
    )
