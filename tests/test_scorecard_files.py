"""Scorecard files: the shipped cards load, the folder can be moved, and every bad file gets an error that
names the file, the key and what is allowed."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from qa_toolkit.errors import QAError
from qa_toolkit.rules.base import register_rule, registered_rules
from qa_toolkit.scorecard import (
    REPLY_LABELS,
    Scorecard,
    ScorecardError,
    default_scorecard,
    list_scorecards,
    load_scorecard,
    parse_scorecard,
    scorecards_dir,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scorecards").glob("*.toml"))
# rules whose shipped version is past v1 (docs/rules.md)
NEWER = {"generic_reply": 2, "unresolved_end": 2, "long_back_and_forth": 2}
ISSUE_RULES = [
    f"{name}.v{NEWER.get(name, 1)}"
    for name in (
        "long_back_and_forth slow_first_response long_customer_wait auto_reply_only templated_apology "
        "unfriendly_reply generic_reply unresolved_end repeated_info_request process_blame escalation_request "
        "template_reuse customer_asked_again"
    ).split()
]  # the issue's rules, and customer_asked_again (the guide's "customer asking twice")
OLDER_RULES = [f"{name}.v{v}" for name, newest in NEWER.items() for v in range(1, newest)]  # still registered


class _LimitParams(BaseModel):
    model_config = {"extra": "forbid"}
    limit: float = Field(1.0, gt=0)
    mode: Literal["a", "b"] = "a"


RULE, OTHER = "sc_files_limit.v1", "sc_files_other.v1"
for _name in (RULE, OTHER):
    if _name not in registered_rules():
        register_rule(_name, params=_LimitParams, description="test rule for scorecard files")(lambda ctx, p: None)

GOOD = f"""\
name = "x"
version = 1
pass_mark = 70

[business_hours]
timezone = "UTC"

[rules."{RULE}"]
limit = 2

[categories.tone]
weight = 2
aggregate = "mean"
labels.tone = {{ friendly = 100, neutral = 80, unfriendly = 0 }}
flags = {{ "{RULE}" = 20 }}
"""


def write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------- shipped cards


def test_default_and_strict_are_shipped() -> None:
    assert {"default", "strict"} <= {p.stem for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scorecard_loads(path: Path) -> None:
    card = load_scorecard(path)
    assert card.name == path.stem
    assert card.key == f"{path.stem}.v{card.version}"
    assert card.description
    assert sorted(card.rule_params()) == sorted(ISSUE_RULES)  # every rule of the issue is enabled
    for name, params in card.rule_params().items():
        assert isinstance(params, BaseModel), name
    for name, cat in card.categories.items():
        assert cat.description, name


def test_default_scorecard_has_the_issue_categories() -> None:
    card = default_scorecard()
    assert card.key == "default.v3"
    assert list(card.categories) == ["tone", "personalisation", "apology", "resolution", "responsiveness", "efficiency"]
    assert not card.business_hours.always_open and card.business_hours.timezone != ""
    assert 0 < card.pass_mark < 100
    assert card.categories["tone"].label_points["tone"] == {"friendly": 100, "neutral": 80, "unfriendly": 0}
    assert "none" not in card.categories["apology"].label_points["apology"]  # no apology: N/A, not a pass


def test_strict_is_stricter_than_default() -> None:
    default, strict = load_scorecard("default"), load_scorecard("strict")
    assert strict.pass_mark > default.pass_mark
    tone = strict.categories["tone"]
    assert tone.critical and tone.aggregate == "min" and tone.label_points["tone"]["unfriendly"] < tone.fail_mark
    assert not any(cat.critical for cat in default.categories.values())
    for name, cat in default.categories.items():
        other = strict.categories[name]
        for kind, points in cat.label_points.items():
            for label, value in points.items():
                assert other.label_points[kind][label] <= value, (name, kind, label)
        for rule, penalty in cat.flags.items():
            assert other.flags[rule] >= penalty, (name, rule)
    d, s = default.rule_params(), strict.rule_params()
    assert s["slow_first_response.v1"].max_seconds < d["slow_first_response.v1"].max_seconds
    assert s["long_customer_wait.v1"].max_seconds < d["long_customer_wait.v1"].max_seconds
    assert s["long_back_and_forth.v2"].max_exchanges < d["long_back_and_forth.v2"].max_exchanges


def test_reply_labels_match_the_classifiers() -> None:
    from qa_toolkit.classifiers.models import LABEL_SETS

    assert REPLY_LABELS == LABEL_SETS


def test_round_trip_through_a_dict() -> None:
    card = load_scorecard("strict")
    assert parse_scorecard(card.model_dump()) == card


# ------------------------------------------------------------------------------------- finding files


def test_scorecards_dir_defaults_to_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_SCORECARDS_DIR", raising=False)
    assert scorecards_dir() == ROOT / "scorecards"
    assert {"default", "strict"} <= set(list_scorecards())


def test_scorecards_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD.replace('name = "x"', 'name = "default"'), "default.toml")
    write(tmp_path, GOOD, "x.toml")
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(tmp_path))
    assert list_scorecards() == ["default", "x"]
    assert default_scorecard().categories.keys() == {"tone"}
    assert load_scorecard("x").key == "x.v1"


def test_unknown_name_lists_the_scorecards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD, "x.toml")
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(tmp_path))
    with pytest.raises(ScorecardError, match=r"nope: no such scorecard file; allowed: .*: x$"):
        load_scorecard("nope")
    with pytest.raises(ScorecardError, match="no such scorecard file"):
        load_scorecard(tmp_path / "missing.toml")


# ---------------------------------------------------------------------------------------- bad files


def test_the_good_file_is_good(tmp_path: Path) -> None:
    card = load_scorecard(write(tmp_path, GOOD))
    assert isinstance(card, Scorecard)
    assert card.rule_params()[RULE].limit == 2.0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # categories
        (
            'aggregate = "mean"',
            'aggregate = "avg"',
            ["categories.tone.aggregate: 'avg' is not allowed; allowed: mean, min"],
        ),
        ("weight = 2", "wieght = 2", ["categories.tone.wieght: unknown key; allowed: description, weight, critical"]),
        ("weight = 2", "weight = -1", ["categories.tone.weight: -1 is not allowed; allowed: a number greater than 0"]),
        ("weight = 2", "weight = 0", ["categories.tone.weight: 0 is not allowed; allowed: a number greater than 0"]),
        ("weight = 2", 'weight = "heavy"', ["categories.tone.weight: 'heavy' is not allowed; allowed: a number"]),
        (
            "weight = 2",
            "weight = 2\ncritical = 1",
            ["categories.tone.critical: 1 is not allowed; allowed: true or false"],
        ),
        (
            "weight = 2",
            "weight = 2\nfail_below = 40",
            ["categories.tone.fail_below: only allowed with critical = true"],
        ),
        ("weight = 2", "weight = 2\ncritical = true\nfail_below = 140", ["categories.tone.fail_below: 140", "100"]),
        (
            "weight = 2",
            'weight = 2\napplies = "never"',
            ["applies: 'never' is not allowed; allowed: signals, agent_reply"],
        ),
        ("labels.tone", "labels.ton", ["categories.tone.labels.ton: unknown key; allowed: tone, personalisation"]),
        (
            "friendly = 100",
            "frendly = 100",
            ["categories.tone.labels.tone.frendly: unknown key; allowed: friendly, neutral"],
        ),
        (
            "friendly = 100",
            "friendly = 120",
            ["categories.tone.labels.tone.friendly: 120 is not allowed", "equal to 100"],
        ),
        (
            f'flags = {{ "{RULE}" = 20 }}',
            'flags = { "nope.v1" = 20 }',
            ["categories.tone.flags.nope.v1: unknown rule 'nope.v1'; valid: ", RULE],
        ),
        (
            f'flags = {{ "{RULE}" = 20 }}',
            f'flags = {{ "{OTHER}" = 20 }}',
            [f"categories.tone.flags.{OTHER}: rule '{OTHER}' is not enabled; allowed: ", RULE, f'[rules."{OTHER}"]'],
        ),
        (f'flags = {{ "{RULE}" = 20 }}', f'flags = {{ "{RULE}" = -5 }}', [f"flags.{RULE}: -5 is not allowed"]),
        (
            f'labels.tone = {{ friendly = 100, neutral = 80, unfriendly = 0 }}\nflags = {{ "{RULE}" = 20 }}',
            "",
            ["categories.tone.labels: a category needs at least one signal; add labels.<label> or flags"],
        ),
        ("[categories.tone]", "[categories.Tone]", ["categories.Tone: this category name is not allowed; allowed: "]),
        ("[categories.tone]", "[categories.empty]\nweight = 1\n\n[categories.tone]", ["categories.empty.labels: "]),
        # rules
        (f'[rules."{RULE}"]', '[rules."sc_files_limt.v1"]', ["rules.sc_files_limt.v1: unknown rule", "valid: ", RULE]),
        ("limit = 2", "limits = 2", [f"rules.{RULE}: unknown key 'limits'; allowed: limit, mode"]),
        ("limit = 2", "limit = 0", [f"rules.{RULE}.limit: 0 is not allowed; allowed: a number greater than 0"]),
        ("limit = 2", 'mode = "c"', [f"rules.{RULE}.mode: 'c' is not allowed; allowed: a, b"]),
        # top level and business hours
        (
            "pass_mark = 70",
            "pass_mark = 170",
            ["pass_mark: 170 is not allowed; allowed: a number less than or equal to 100"],
        ),
        ("pass_mark = 70", "pass_mark = 70\ncolour = 1", ["colour: unknown key; allowed: name, version, description"]),
        ('name = "x"', "", ["name: missing"]),
        ('name = "x"', 'name = "My Card"', ["name: 'My Card' is not allowed; allowed: lower-case letters"]),
        ("version = 1", 'version = "1"', ["version: '1' is not allowed; allowed: a whole number"]),
        (
            'timezone = "UTC"',
            'timezone = "Mars/Olympus"',
            ["business_hours.timezone: unknown time zone", "Europe/Amsterdam"],
        ),
        (
            'timezone = "UTC"',
            'timezone = "UTC"\nopen = true',
            ["business_hours.open: unknown key; allowed: timezone, days"],
        ),
        ('timezone = "UTC"', 'timezone = "UTC"\ndays = ["mo"]', ["business_hours.days: ", "valid: mon, tue"]),
        ('timezone = "UTC"', 'timezone = "UTC"\nstart = "nine"', ["business_hours.start: ", "time"]),
    ],
)
def test_bad_file_names_the_key_and_what_is_allowed(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScorecardError) as info:
        load_scorecard(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    for part in expected:
        assert part in message, message
    assert isinstance(info.value, QAError)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace('aggregate = "mean"', 'aggregate = "avg"').replace("pass_mark = 70", "pass_mark = -1")
    with pytest.raises(ScorecardError) as info:
        load_scorecard(write(tmp_path, text))
    assert len(info.value.problems) == 2
    assert all(line.startswith(str(tmp_path)) for line in str(info.value).splitlines())


def test_empty_categories(tmp_path: Path) -> None:
    text = GOOD.split("[categories.tone]")[0].replace(f'[rules."{RULE}"]\nlimit = 2\n', "") + "[categories]\n"
    with pytest.raises(ScorecardError, match=r"categories: empty; allowed: at least one \[categories.<name>\] table"):
        load_scorecard(write(tmp_path, text))


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("weight = 2", "weight = = 2", 12),
        ('name = "x"', 'name = "x', 1),
        ("aggregate", "weight = 3\naggregate", 13),  # a key given twice
        ("[business_hours]", "[business_hours", 5),
    ],
)
def test_toml_syntax_error_names_file_and_line(tmp_path: Path, old: str, new: str, line: int) -> None:
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScorecardError, match="TOML syntax error") as info:
        load_scorecard(path)
    assert str(info.value).startswith(f"{path}:{line}:"), str(info.value)


def test_toml_error_at_the_end_of_the_file_names_the_last_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "extra =")
    with pytest.raises(ScorecardError, match="TOML syntax error") as info:
        load_scorecard(path)
    assert str(info.value).startswith(f"{path}:{GOOD.count(chr(10)) + 1}"), str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(GOOD.encode() + b'description = "caf\xe9"\n')
    with pytest.raises(ScorecardError, match=r"x\.toml:16: not UTF-8"):
        load_scorecard(path)


def test_error_survives_pickling(tmp_path: Path) -> None:
    with pytest.raises(ScorecardError) as info:
        load_scorecard(write(tmp_path, GOOD.replace("weight = 2", "weight = -1")))
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_python_construction_is_validated_too() -> None:
    with pytest.raises(ScorecardError, match="<scorecard>: categories.tone.weight"):
        parse_scorecard({"name": "x", "version": 1, "pass_mark": 50, "categories": {"tone": {"weight": -1}}})


# ------------------------------------------------------------------------------------- the newcomer's doc

README = ROOT / "scorecards" / "README.md"


def test_readme_worked_example_is_true() -> None:
    from dataclasses import replace

    from qa_toolkit.metrics import compute_metrics
    from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult
    from qa_toolkit.scorecard import apply_scorecard

    def reply(*labels: str) -> ReplyResult:
        kinds = ("tone", "personalisation", "apology", "resolution")
        return ReplyResult(
            message_id="m", **{k: LabelResult(label=v, confidence=1.0) for k, v in zip(kinds, labels, strict=True)}
        )

    card = load_scorecard(ROOT / "scorecards" / "default.toml")
    replies = [reply("friendly", "personalised", "none", "step"), reply("neutral", "generic", "templated", "solution")]
    flags = [
        Flag(rule="templated_apology.v1", score=0.6, reason=""),
        Flag(rule="slow_first_response.v1", score=0.5, reason=""),
    ]
    metrics = replace(compute_metrics([]), customer_turns=2, agent_messages=2, exchanges=2)
    result = apply_scorecard(card, replies=replies, flags=flags, metrics=metrics)
    assert result.categories == {
        "tone": 90.0,
        "personalisation": 75.0,
        "apology": 32.0,
        "resolution": 87.5,
        "responsiveness": 80.0,
        "efficiency": 100.0,
    }
    assert (result.value, result.passed) == (81.55, True)
    without = apply_scorecard(card, replies=[reply("friendly", "personalised", "none", "step"),
                                             reply("neutral", "generic", "none", "solution")],
                              flags=flags[1:], metrics=metrics)  # fmt: skip
    assert without.categories["apology"] is None and without.value == 86.5
    text = README.read_text()
    assert "**81.55**" in text and "86.5" in text


def test_readme_documents_every_key() -> None:
    from qa_toolkit.rules.base import BusinessHours, get_rule
    from qa_toolkit.scorecard import Category

    text = README.read_text()
    for key in [*Scorecard.model_fields, *BusinessHours.model_fields, *Category.model_fields, *REPLY_LABELS]:
        assert f"`{key}" in text or f"`[{key}" in text, key
    for values in REPLY_LABELS.values():
        for value in values:
            assert f"`{value}`" in text, value
    for rule in [*ISSUE_RULES, *OLDER_RULES]:
        assert f"`{rule}`" in text, rule
        for key in get_rule(rule).params.model_fields:
            assert f"`{key}`" in text, (rule, key)
