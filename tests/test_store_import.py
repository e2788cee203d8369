"""Importing into the store: idempotent re-import, one transaction, rejects, export round trip, PostgreSQL."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from qa_toolkit.db.crud import count_rows, iter_conversations, store_stats
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import ImportFileError
from qa_toolkit.exporters import write_csv, write_jsonl
from qa_toolkit.pipeline import import_files


def test_import_then_reimport_changes_nothing(fixtures: Path, db_url: str) -> None:
    path = fixtures / "canonical" / "basic.jsonl"
    first = import_files([path], db=db_url)
    assert (first.counts.new, first.counts.updated, first.counts.unchanged) == (3, 0, 0)
    before = count_rows(get_engine(db_url))
    second = import_files([path], db=db_url)
    assert (second.counts.new, second.counts.updated, second.counts.unchanged) == (0, 0, 3)
    assert count_rows(get_engine(db_url)) == before == {"conversations": 3, "messages": 10}


def test_changed_conversation_is_replaced_not_duplicated(fixtures: Path, db_url: str, tmp_path: Path) -> None:
    path = fixtures / "canonical" / "basic.jsonl"
    import_files([path], db=db_url)
    lines = path.read_text().splitlines()
    record = orjson.loads(lines[0])
    record["messages"].append({"id": "99", "role": "customer", "text": "still no signal"})
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join([orjson.dumps(record).decode(), *lines[1:]]) + "\n")
    summary = import_files([changed], db=db_url)
    assert (summary.counts.new, summary.counts.updated, summary.counts.unchanged) == (0, 1, 2)
    assert count_rows(get_engine(db_url)) == {"conversations": 3, "messages": 11}


def test_bad_record_fails_with_file_and_line_and_leaves_the_database_as_it_was(fixtures: Path, db_url: str) -> None:
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    before = count_rows(get_engine(db_url))
    bad = fixtures / "canonical" / "bad-line-3.jsonl"
    with pytest.raises(ImportFileError) as info:
        import_files([bad], db=db_url)
    assert str(info.value).startswith(f"{bad}:3: ")
    assert "unknown role 'wizard'" in str(info.value)
    assert count_rows(get_engine(db_url)) == before


def test_a_bad_second_file_rolls_back_the_first(fixtures: Path, db_url: str) -> None:
    with pytest.raises(ImportFileError):
        import_files([fixtures / "canonical" / "basic.jsonl", fixtures / "canonical" / "bad-line-3.jsonl"], db=db_url)
    assert count_rows(get_engine(db_url)) == {"conversations": 0, "messages": 0}


def test_skip_invalid_imports_the_good_records_and_writes_rejects(fixtures: Path, db_url: str, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    bad = fixtures / "canonical" / "bad-line-3.jsonl"
    summary = import_files([bad], db=db_url, skip_invalid=True, rejects_path=rejects)
    assert summary.rejected == 1 and summary.counts.new == 3
    lines = [orjson.loads(line) for line in rejects.read_text().splitlines()]
    assert lines == [{"location": f"{bad}:3", "reason": lines[0]["reason"]}]
    assert "unknown role" in lines[0]["reason"]


def test_metrics_are_stored_with_the_conversation(fixtures: Path, db_url: str) -> None:
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    with get_engine(db_url).connect() as conn:
        row = conn.execute(
            text("select exchanges, first_response_seconds, automated_messages, internal_notes, customer_waits "
                 "from conversation where source = 'helpdesk' and external_id = 'c-2'")
        ).one()  # fmt: skip
    # customer 09:58:11, auto-reply and note skipped, first human answer 10:24:31
    assert row.exchanges == 1  # the customer's thank-you is an unanswered (closing) turn
    assert row.first_response_seconds == 26 * 60 + 20
    assert (row.automated_messages, row.internal_notes) == (1, 1)


def test_languages_are_filled_and_auto_replies_detected(fixtures: Path, db_url: str) -> None:
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    convs = {c.id: c for c in iter_conversations(get_engine(db_url))}
    assert convs["3"].language == "nl"
    assert convs["c-2"].language == "en"
    assert all(m.language for c in convs.values() for m in c.messages)


def test_export_jsonl_round_trips(fixtures: Path, db_url: str, tmp_path: Path) -> None:
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    engine = get_engine(db_url)
    exported = tmp_path / "export.jsonl"
    with open(exported, "wb") as fh:
        assert write_jsonl(iter_conversations(engine), fh) == 3
    # into the same store: nothing changes
    again = import_files([exported], db=db_url)
    assert again.counts.unchanged == 3 and again.counts.updated == 0
    # into a fresh store: the same conversations, exported identically
    other = f"sqlite:///{tmp_path / 'other.db'}"
    import_files([exported], db=other)
    buf = io.BytesIO()
    write_jsonl(iter_conversations(get_engine(other)), buf)
    assert buf.getvalue() == exported.read_bytes()


def test_export_csv_round_trips_through_the_csv_importer(fixtures: Path, db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("qa_toolkit.importers.csv_generic")
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    out = tmp_path / "export.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        write_csv(iter_conversations(get_engine(db_url)), fh)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    summary = import_files([out], fmt="csv", db=other)
    assert summary.counts.new == 3
    a = {(c.source, c.id): c.to_canonical() for c in iter_conversations(get_engine(db_url))}
    b = {(c.source, c.id): c.to_canonical() for c in iter_conversations(get_engine(other))}
    assert a == b


def test_stats(fixtures: Path, db_url: str) -> None:
    import_files([fixtures / "canonical" / "basic.jsonl"], db=db_url)
    figures = store_stats(get_engine(db_url))
    assert figures["conversations"] == 3 and figures["messages"] == 10
    assert dict(figures["by_channel"]) == {"social": 1, "email": 1, "chat": 1}
    assert figures["automated_messages"] == 1 and figures["internal_notes"] == 1
    assert {a["agent_id"] for a in figures["by_agent"]} == {"acmecare", "ag_3001", "ag_7"}
    assert figures["metrics"]["exchanges"]["known"] == 3


@pytest.mark.postgres
def test_store_on_postgresql(fixtures: Path, tmp_path: Path) -> None:
    url = os.environ.get("QA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("QA_TEST_POSTGRES_URL not set (.ci/run starts a server)")
    schema = f"t_{uuid.uuid4().hex[:8]}"
    admin = get_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        path = fixtures / "canonical" / "basic.jsonl"
        first = import_files([path], db=scoped)
        assert first.counts.new == 3
        assert import_files([path], db=scoped).counts.unchanged == 3
        with pytest.raises(ImportFileError):
            import_files([path, fixtures / "canonical" / "bad-line-3.jsonl"], db=scoped)
        assert count_rows(get_engine(scoped)) == {"conversations": 3, "messages": 10}
        buf = io.BytesIO()
        write_jsonl(iter_conversations(get_engine(scoped)), buf)
        sqlite_url = f"sqlite:///{tmp_path / 'x.db'}"
        import_files([path], db=sqlite_url)
        ref = io.BytesIO()
        write_jsonl(iter_conversations(get_engine(sqlite_url)), ref)
        assert buf.getvalue() == ref.getvalue()
    finally:
        get_engine(scoped).dispose()
        with admin.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))


def test_unusable_database_url_gives_a_clear_error(tmp_path: Path) -> None:
    from qa_toolkit.errors import StoreError

    with pytest.raises(StoreError, match="not usable|cannot open"):
        get_engine("nosuchdb://x")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(StoreError):
        get_engine(f"sqlite:///{blocked}/sub/qa.db")
    assert shutil.which("python3")


def test_in_process_and_worker_imports_store_the_same(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "canonical" / "basic.jsonl"
    outs = []
    for parallel in (True, False):
        url = f"sqlite:///{tmp_path / f'p{parallel}.db'}"
        summary = import_files([path], db=url, parallel=parallel, batch=2)
        assert summary.counts.new == 3 and summary.read == 3
        buf = io.BytesIO()
        write_jsonl(iter_conversations(get_engine(url)), buf)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]


def test_conversation_rows_follow_the_table_columns() -> None:
    from qa_toolkit.db import crud
    from qa_toolkit.schema import ConversationIn

    conv = ConversationIn.model_validate({"id": "x", "messages": [{"id": "1", "role": "customer", "text": "hi"}]})
    prepared = crud.prepare(conv, dialect="postgresql")
    assert list(prepared.row) == crud._CONV_COLUMNS
    assert list(prepared.messages[0]) == list(crud.MESSAGE_COLUMNS)


def test_the_import_worker_is_not_forked_from_a_process_with_native_threads() -> None:
    import subprocess
    import sys

    # in a fresh interpreter: before any language detection a fork is fine; after it, lingua's native
    # thread pool exists and a fork could copy a held lock into the worker
    code = (
        "from qa_toolkit.pipeline import _mp_context\n"
        "from qa_toolkit.language import detect_languages\n"
        "print(_mp_context().get_start_method())\n"
        "detect_languages(['this is an english sentence, thanks', 'dit is een nederlandse zin, bedankt'])\n"
        "print(_mp_context().get_start_method())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before, after = out.stdout.split()
    assert before == "fork" and after != "fork"
