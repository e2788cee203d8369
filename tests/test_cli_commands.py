"""The qa-toolkit command line: import, export, stats, formats; errors are one clear line, exit code 2."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_toolkit.cli import app

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_import_twice_then_stats_and_export(fixtures: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    path = str(fixtures / "canonical" / "basic.jsonl")
    first = run("import", path, "--db", db)
    assert first.exit_code == 0, first.output
    assert "3 new, 0 updated, 0 unchanged" in first.output
    second = run("import", path, "--db", db)
    assert "0 new, 0 updated, 3 unchanged" in second.output
    stats = run("stats", "--db", db, "--json")
    figures = json.loads(stats.stdout)
    assert figures["conversations"] == 3 and figures["messages"] == 10
    out = tmp_path / "out.jsonl"
    assert run("export", "--db", db, "--out", str(out)).exit_code == 0
    assert len(out.read_text().splitlines()) == 3
    csv_out = run("export", "--db", db, "--format", "csv")
    assert csv_out.stdout.startswith("conversation_id,message_id,timestamp,role")
    table = run("stats", "--db", db)
    assert "thread metrics" in table.stdout and "first_response " in table.stdout


def test_bad_record_is_one_clear_line_and_nothing_is_written(fixtures: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    bad = fixtures / "canonical" / "bad-line-3.jsonl"
    result = run("import", str(bad), "--db", db)
    assert result.exit_code == 2
    assert f"{bad}:3:" in result.output and "Traceback" not in result.output
    assert json.loads(run("stats", "--db", db, "--json").stdout)["conversations"] == 0


def test_skip_invalid_writes_rejects(fixtures: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "qa.db")
    rejects = tmp_path / "rejects.jsonl"
    result = run("import", str(fixtures / "canonical" / "bad-line-3.jsonl"), "--db", db, "--skip-invalid",
                 "--rejects", str(rejects))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "rejected 1 record " in result.output
    assert json.loads(rejects.read_text())["location"].endswith(":3")


def test_unknown_format_and_missing_file(tmp_path: Path, fixtures: Path) -> None:
    result = run("import", str(fixtures / "canonical" / "basic.jsonl"), "--format", "nope", "--db", str(tmp_path / "d"))
    assert result.exit_code == 2 and "unknown format 'nope'; valid: auto, " in result.output
    result = run("import", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "d"))
    assert result.exit_code == 2 and "no such file" in result.output
    result = run("export", "--format", "xml", "--db", str(tmp_path / "d"))
    assert result.exit_code == 2 and "valid: jsonl, csv" in result.output


def test_formats_lists_importers() -> None:
    result = run("formats")
    for name in ("jsonl", "csv", "twcs", "zendesk", "intercom", "freshdesk", "helpscout", "email"):
        assert f"{name}:" in result.stdout


@pytest.mark.parametrize("command", [["stats"], ["export"], ["score-store", "--no-models"]])
def test_a_command_that_reads_the_store_does_not_create_one(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nothere.db"
    result = run(*command, "--db", str(missing))
    assert result.exit_code == 2 and f"no database at {missing}" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # no empty store, no side files


def test_after_an_import_the_database_file_alone_holds_the_store(fixtures: Path, tmp_path: Path) -> None:
    # a separate process, as a user runs it: its SQLite connections are closed at exit, so the write-ahead
    # log is in the .db file and gone (a copy or backup of the .db file misses nothing)
    db = tmp_path / "qa.db"
    code = "import sys; from qa_toolkit.cli import app; sys.argv[0] = 'qa-toolkit'; app()"
    done = subprocess.run([sys.executable, "-c", code, "import", str(fixtures / "canonical" / "basic.jsonl"),
                           "--db", str(db)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qa.db"]
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    with sqlite3.connect(copy) as conn:
        assert conn.execute("select count(*) from conversation").fetchone() == (3,)
