"""The import page (AppTest): upload a file the test writes and read the summary, re-import (unchanged),
a bad file's error by file and line with nothing written, skipping invalid records (listed by line),
a .zip of several files, option errors, scoring after the import, and names shown as text."""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from store_builder import conversation_records, write_scorecards
from streamlit.testing.v1 import AppTest

from qa_toolkit.app.import_view import parse_column_map, split_location
from qa_toolkit.db import results
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import QAError

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/import_page.py"

BAD = (
    b'{"id": "c-1", "source": "t", "messages": [{"id": "1", "role": "customer", "text": "hi"}]}\n'
    b'{"id": "c-2", "source": "t", "messages": [{"id": "1", "role": "wizard", "text": "hi"}]}\n'
    b"not json\n"
)


def jsonl(n: int = 3) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in conversation_records(n, hostile=False))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    monkeypatch.setenv("QA_TOOLKIT_DB", url)
    monkeypatch.setenv("QA_SCORECARDS_DIR", str(write_scorecards(tmp_path / "scorecards")))
    monkeypatch.setenv("QA_MODELS_DIR", str(tmp_path / "no-models"))  # scoring uses text evidence: quick
    return url


def conversations(url: str) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(results.CONV)).scalar_one()


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["reviewer"] = "ann"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, *files: tuple[str, bytes], **boxes: bool) -> AppTest:
    at.file_uploader(key="import_files").set_value([(name, data, "application/octet-stream") for name, data in files])
    for key, value in boxes.items():
        at.checkbox(key=f"import_{key}").set_value(value)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, at.exception
    return at


def shown(element: Any) -> str:
    """What the reader sees of an escaped markdown element (character references decoded)."""
    return html.unescape(element.value)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_renders_with_the_formats_and_options(store: str) -> None:
    at = open_page()
    assert at.title[0].value == "Import"
    assert at.file_uploader(key="import_files").accept_multiple_files
    formats = at.selectbox(key="import_format").options
    assert formats[0] == "auto" and {"jsonl", "csv", "zendesk", "intercom", "email"} <= set(formats)
    assert at.selectbox(key="import_unknown_role").options == ["error", "customer", "skip"]
    assert at.text_input(key="import_tz").value == "UTC"
    assert not at.error


def test_upload_shows_the_summary_and_a_second_import_changes_nothing(store: str) -> None:
    at = open_page()
    upload(at, ("export.jsonl", jsonl(3)), score=False)
    assert at.success[0].value.startswith("Imported 3 conversations: 3 new, 0 updated, 0 unchanged")
    shown = metrics(at)
    assert (shown["New"], shown["Updated"], shown["Unchanged"], shown["Rejected"]) == ("3", "0", "0", "0")
    files = at.dataframe[0].value
    assert files.to_dict("records") == [{"file": "export.jsonl", "read as": "jsonl"}]
    assert conversations(store) == 3
    upload(at, ("export.jsonl", jsonl(3)), score=False)
    shown = metrics(at)
    assert (shown["New"], shown["Unchanged"]) == ("0", "3")
    assert conversations(store) == 3


def test_a_bad_file_names_its_line_and_writes_nothing(store: str) -> None:
    at = open_page()
    upload(at, ("good.jsonl", jsonl(2)), ("bad.jsonl", BAD))
    [error] = at.error
    assert shown(error).startswith("bad.jsonl, line 2: messages.0.role: unknown role 'wizard'; valid: customer")
    assert "Nothing was written to the database" in error.value
    assert conversations(store) == 0  # not even good.jsonl: one transaction
    assert not at.success


def test_skipping_invalid_records_lists_them_by_line(store: str) -> None:
    at = open_page()
    upload(at, ("bad.jsonl", BAD), skip=True, score=False)
    shown = metrics(at)
    assert (shown["New"], shown["Rejected"]) == ("1", "2")
    rejects = at.dataframe[1].value
    assert rejects[["file", "where"]].to_dict("records") == [
        {"file": "bad.jsonl", "where": "line 2"},
        {"file": "bad.jsonl", "where": "line 3"},
    ]
    assert rejects.loc[1, "reason"].startswith("not valid JSON")
    assert "/tmp" not in " ".join(rejects["reason"])  # the temporary folder never shows
    assert at.get("download_button")[0].proto.label == "Download the rejected records (CSV)"
    assert conversations(store) == 1


def test_a_zip_of_exports_and_a_file_name_with_html(store: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("part1.jsonl", jsonl(2))
        zf.writestr("nested/part2.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in conversation_records(4)[2:]))
        zf.writestr("__MACOSX/._part1.jsonl", b"junk")
    at = open_page()
    upload(at, ("exports.zip", buf.getvalue()), score=False)
    assert metrics(at)["New"] == "4"
    assert at.dataframe[0].value["file"].tolist() == ["exports.zip/nested/part2.jsonl", "exports.zip/part1.jsonl"]
    upload(at, ('x<img src=x onerror="alert(1)">.jsonl', BAD))
    [error] = at.error
    assert shown(error).startswith('x<img src=x onerror="alert(1)">.jsonl, line 2: ')  # what the reader sees
    assert "<img" not in error.value and "&lt;img" in error.value  # escaped: it never becomes a tag


def test_options_are_checked_before_importing(store: str) -> None:
    at = open_page()
    at.text_area(key="import_columns").set_value("conversation_id")
    upload(at, ("export.jsonl", jsonl(1)))
    assert shown(at.error[0]).startswith("Not imported: a column mapping takes CANONICAL=HEADER")
    assert conversations(store) == 0


def test_scoring_after_the_import_fills_the_queue(store: str) -> None:
    at = open_page()
    upload(at, ("export.jsonl", jsonl(3)))  # score is on by default; no models here: text evidence only
    assert any("could not be loaded" in w.value for w in at.warning)
    assert any(i.value.startswith("Scored 3 conversations") for i in at.info)
    counts = results.queue_counts(get_engine(store))
    assert counts.not_scored == 0


def test_no_file_chosen(store: str) -> None:
    at = open_page()
    next(b for b in at.button if b.label == "Import").click().run()
    assert at.warning[0].value == "Choose one or more files first."


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/tmp/x/files/a.jsonl:12", ("a.jsonl", "line 12")),
        ("/tmp/x/files/b.json:record 3", ("b.json", "record 3")),
        ("/tmp/x/files/c.csv", ("c.csv", "")),
        ("/tmp/x/files/d:e.csv:4", ("d:e.csv", "line 4")),
    ],
)
def test_locations_are_shown_by_uploaded_file(location: str, expected: tuple[str, str]) -> None:
    assert split_location(location, Path("/tmp/x/files")) == expected


def test_column_mapping_lines() -> None:
    assert parse_column_map("conversation_id = Ticket\n\nsent_at=Time") == {
        "conversation_id": "Ticket",
        "sent_at": "Time",
    }
    with pytest.raises(QAError, match="CANONICAL=HEADER"):
        parse_column_map("text")
