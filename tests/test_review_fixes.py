"""Regression tests for defects found in review: auto-reply wording, out-of-order times, mixed encodings,
time overflow, agent signatures on real Twitter patterns, markup in file names."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from qa_toolkit.cli import app
from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers import ImportOptions, Rejected, get_importer
from qa_toolkit.metrics import compute_metrics
from qa_toolkit.normalise import agent_signature, mark_auto_replies
from qa_toolkit.schema import ConversationIn


def conv(messages: list[dict]) -> ConversationIn:
    return ConversationIn.model_validate({"id": "c", "messages": messages})


@pytest.mark.parametrize(
    ("text", "minutes", "automated"),
    [
        ("Out of office hours you can always use the chat on our website. I have refunded order 55.", 240, False),
        ("You should get an automatic reply with your case number; I have registered return R-5521.", 1440, False),
        ("This is an automated response: we will answer within 28 working days.", 1440, True),
        ("Thanks for your e-mail. We will answer within 28 working days.", 1, True),
        ("Thanks for your e-mail. We will answer within 28 working days.", 600, False),
        ("Dit is een automatisch antwoord. Wij reageren binnen 5 werkdagen.", 600, True),
    ],
)
def test_auto_reply_detection_needs_timing_or_explicit_wording(text: str, minutes: int, automated: bool) -> None:
    c = conv([
        {"id": "1", "role": "customer", "sent_at": "2026-01-05T10:00:00Z", "text": "where is my refund?"},
        {"id": "2", "role": "agent", "sent_at": "2026-01-05T10:00:00Z", "text": text},
    ])  # fmt: skip
    c.messages[1].sent_at = c.messages[0].sent_at.replace(minute=0) + __import__("datetime").timedelta(minutes=minutes)
    mark_auto_replies(c.messages)
    assert c.messages[1].is_automated is automated


def test_explicit_is_automated_false_is_respected() -> None:
    c = conv([
        {"id": "1", "role": "customer", "sent_at": "2026-01-05T10:00:00Z", "text": "hello"},
        {"id": "2", "role": "agent", "sent_at": "2026-01-05T10:00:30Z", "is_automated": False,
         "text": "This is an automated response: we will answer within 2 days."},
    ])  # fmt: skip
    mark_auto_replies(c.messages)
    assert c.messages[1].is_automated is False


def test_out_of_order_times_give_unknown_not_negative() -> None:
    c = conv([
        {"id": "1", "role": "customer", "sent_at": "2026-01-05T10:00:00Z", "text": "a"},
        {"id": "2", "role": "agent", "sent_at": "2026-01-05T09:00:00Z", "text": "b"},
    ])  # fmt: skip
    m = compute_metrics(c.messages)
    assert m.first_response_seconds is None and m.exchanges == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Happy to help! -Becky", "Becky"), ("Let us check ^cr", "cr"), ("Here you go *QB https://t.co/x1", "QB"),
        ("We're on it *KellenF", "KellenF"), ("Sorry! ^JK", "JK"), ("We'll do it -Team", None),
        ("we will look into it - again", None), ("Call us (1/2)", None),
    ],
)  # fmt: skip
def test_agent_signatures(text: str, expected: str | None) -> None:
    assert agent_signature(text) == expected


def test_a_stray_invalid_byte_in_utf8_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = {"id": "a", "messages": [{"id": "1", "role": "customer", "text": "café €5 😀"}]}
    path.write_bytes(
        orjson.dumps(good) + b"\n" + b'{"id": "b", "messages": [{"id": "1", "role": "customer", "text": "caf\xe9"}]}\n'
    )
    with pytest.raises(ImportFileError, match=r":2: bytes that are not valid utf-8"):
        list(get_importer("jsonl").read(path, ImportOptions()))


def test_time_out_of_range_is_a_rejected_record(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text(
        '{"id": "a", "messages": [{"id": "1", "role": "customer", "sent_at": "0001-01-01T00:00:00+01:00"}]}\n'
    )
    (item,) = list(get_importer("jsonl").read(path, ImportOptions()))
    assert isinstance(item, Rejected) and "out of range" in item.reason


def test_brackets_in_file_names_survive_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "tickets[old].jsonl"
    path.write_text('{"id": "a", "messages": [{"id": "1", "role": "wizard"}]}\n')
    result = CliRunner().invoke(app, ["import", str(path), "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 2 and "tickets[old].jsonl:1:" in result.output


def test_unwritable_rejects_and_export_paths_are_clear_errors(tmp_path: Path, fixtures: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "d.db")
    r = runner.invoke(app, ["import", str(fixtures / "canonical" / "basic.jsonl"), "--db", db, "--skip-invalid",
                            "--rejects", str(tmp_path / "no" / "dir" / "r.jsonl")])  # fmt: skip
    assert r.exit_code == 2 and "cannot write the rejects file" in r.output
    r = runner.invoke(app, ["export", "--db", db, "--out", str(tmp_path / "no" / "dir" / "x.jsonl")])
    assert r.exit_code == 2 and "cannot write" in r.output


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not sqlite " * 100)
    r = CliRunner().invoke(app, ["stats", "--db", str(bogus)])
    assert r.exit_code == 2 and "cannot open database" in r.output


def test_separate_eml_files_are_threaded_together(fixtures: Path, tmp_path: Path) -> None:
    from qa_toolkit.db.crud import count_rows
    from qa_toolkit.db.engine import get_engine
    from qa_toolkit.pipeline import import_files

    files = sorted((fixtures / "email" / "inbox").glob("*.eml"))
    as_files = f"sqlite:///{tmp_path / 'files.db'}"
    as_folder = f"sqlite:///{tmp_path / 'folder.db'}"
    import_files(files, fmt="email", db=as_files)
    import_files([fixtures / "email" / "inbox"], fmt="email", db=as_folder)
    assert count_rows(get_engine(as_files)) == count_rows(get_engine(as_folder))
    assert count_rows(get_engine(as_files))["conversations"] == 1
