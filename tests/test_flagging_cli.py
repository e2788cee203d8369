"""`qa-toolkit flag` and `qa-toolkit report` on files the test writes (no models needed: --no-models)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from typer.testing import CliRunner

from qa_toolkit.cli import app

runner = CliRunner()
T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def write_input(path: Path, *, bad_line: bool = False) -> Path:
    records = [
        {
            "id": "c-1",
            "team": "billing",
            "channel": "email",
            "assignee": {"id": "ann"},
            "messages": [
                {"id": "m1", "role": "customer", "text": "My order #123456 never arrived", "sent_at": at(0)},
                {
                    "id": "m2",
                    "role": "agent",
                    "author": "ann",
                    "text": "Sorry for any inconvenience. Please DM us.",
                    "sent_at": at(480),
                },
                {"id": "m3", "role": "customer", "text": "Still not working, this is useless", "sent_at": at(500)},
            ],
        },
        {
            "id": "c-2",
            "team": "billing",
            "channel": "chat",
            "assignee": {"id": "bob"},
            "messages": [
                {"id": "m1", "role": "customer", "text": "How do I reset my password?", "sent_at": at(0)},
                {
                    "id": "m2",
                    "role": "agent",
                    "author": "bob",
                    "text": "Click 'Forgot password' on the login page.",
                    "sent_at": at(2),
                },
                {"id": "m3", "role": "customer", "text": "That worked, thanks!", "sent_at": at(5)},
            ],
        },
    ]
    lines = [orjson.dumps(r) for r in records]
    if bad_line:
        lines.insert(1, b'{"id": "broken", "messages": []}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_flag_writes_one_contract_line_per_conversation(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl")
    out = tmp_path / "flags.jsonl"
    result = runner.invoke(app, ["flag", str(src), "--no-models", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "flagged 2 conversations: 1 with a flag scoring >= 0.5" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["conversation_id"] for r in lines] == ["c-1", "c-2"]
    first = lines[0]
    assert set(first) == {"conversation_id", "metrics", "flags", "score"}
    assert first["metrics"] == {
        "exchanges": 1,
        "first_response_seconds": 28800.0,
        "longest_customer_wait_seconds": 28800.0,
    }
    rules = {f["rule"] for f in first["flags"]}
    assert {"slow_first_response.v1", "templated_apology.v1", "unresolved_end.v2", "generic_reply.v2"} <= rules
    for flag in first["flags"]:
        assert set(flag) == {"rule", "score", "reason", "evidence"} and 0 <= flag["score"] <= 1 and flag["evidence"]
    assert set(first["score"]) == {"value", "passed", "categories"}
    assert lines[1]["flags"] == [] or max(f["score"] for f in lines[1]["flags"]) < 0.5
    assert not (tmp_path / "flags.jsonl.partial").exists()


def test_flag_bad_record_fails_cleanly_and_skip_invalid_goes_on(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", bad_line=True)
    out = tmp_path / "flags.jsonl"
    failed = runner.invoke(app, ["flag", str(src), "--no-models", "--out", str(out)])
    assert failed.exit_code == 2 and f"{src}:2:" in failed.output and "Traceback" not in failed.output
    assert not out.exists() and not (tmp_path / "flags.jsonl.partial").exists()
    skipped = runner.invoke(app, ["flag", str(src), "--no-models", "--skip-invalid", "--out", str(out)])
    assert skipped.exit_code == 0, skipped.output
    assert "skipped 1 invalid record " in skipped.output and len(out.read_text().splitlines()) == 2
    assert f"skipped {src}:2: " in " ".join(skipped.output.split())  # which record, and why
    report = runner.invoke(app, ["report", str(src), "--no-models", "--skip-invalid"])
    assert report.exit_code == 0 and f"skipped {src}:2: " in " ".join(report.output.split()), report.output


def test_flag_to_an_unwritable_place_is_one_clear_error(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl")
    out = tmp_path / "no-such-folder" / "flags.jsonl"
    result = runner.invoke(app, ["flag", str(src), "--no-models", "--out", str(out)])
    assert result.exit_code == 2 and "cannot write" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_flag_with_a_bad_scorecard_names_the_key(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl")
    card = tmp_path / "card.toml"
    card.write_text(
        'name = "x"\nversion = 1\npass_mark = 75\n[rules."long_back_and_forth.v1"]\nmax_exchange = 3\n'
        "[categories.tone]\nweight = 1\nlabels.tone = { friendly = 100 }\n"
    )
    result = runner.invoke(
        app, ["flag", str(src), "--no-models", "--scorecard", str(card), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "max_exchange" in result.output and "allowed" in result.output


def test_flag_missing_input_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["flag", str(tmp_path / "nope.jsonl"), "--no-models", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_report_from_conversations_flags_and_flag_output(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl")
    direct = runner.invoke(app, ["report", str(src), "--no-models", "--json"])
    assert direct.exit_code == 0, direct.output
    figures = json.loads(direct.stdout)
    assert figures["overall"]["conversations"] == 2 and figures["overall"]["review_rate"] == 0.5
    assert {a["name"] for a in figures["agents"]} == {"ann", "bob"}
    assert [t["name"] for t in figures["teams"]] == ["billing"]
    assert figures["overall"]["first_response_seconds"]["median"] == (28800.0 + 120.0) / 2

    out = tmp_path / "flags.jsonl"
    assert runner.invoke(app, ["flag", str(src), "--no-models", "--out", str(out)]).exit_code == 0
    joined = runner.invoke(app, ["report", str(src), "--flags", str(out), "--json"])
    assert json.loads(joined.stdout)["agents"] == figures["agents"]
    only_flags = runner.invoke(app, ["report", str(out)])
    assert only_flags.exit_code == 0, only_flags.output
    assert "2 conversations" in only_flags.stdout and "names no agents or teams" in only_flags.output
    table = runner.invoke(app, ["report", str(src), "--no-models"])
    assert "agents" in table.stdout and "ann" in table.stdout
