"""The coaching page and the conversation view's "Add to a coaching set" (AppTest): creating, renaming and
deleting sets; adding a reply or a conversation with a note from both places; browsing a set (replies in
context, labels, notes, who added them), always as text; the three exports, masked unless unmasked."""

from __future__ import annotations

import html
import io
import json
import re
from csv import DictReader
from pathlib import Path
from typing import Any

import pytest
from store_builder import app_store
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from qa_toolkit.db import results

APP = str(Path(__file__).resolve().parent.parent / "app_streamlit.py")
PAGE = "qa_toolkit/app/pages/coaching.py"
CONVERSATION_PAGE = "qa_toolkit/app/pages/conversation.py"
PEOPLE = ("Sam Keller", "Noor de Vries", "Customer 1", "Customer 2", "Customer 3")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the page offers for download, by file name (recorded as Streamlit stores it)."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        if filename is not None and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def open_page(page: str = PAGE, *, reviewer: str | None = "ann", **state: Any) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if reviewer is not None:
        at.session_state["reviewer"] = reviewer
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str | None = None, *, label: str | None = None) -> AppTest:
    buttons = [b for b in at.button if (key is None or b.key == key) and (label is None or b.label == label)]
    assert len(buttons) == 1, [(b.key, b.label) for b in at.button]
    buttons[0].click().run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    """What the reader sees of the page's markdown and captions (our tags dropped, references decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", "\n".join(m.value for m in [*at.markdown, *at.caption])))


def said(elements: Any) -> str:
    """The text of success, warning or error messages as the reader sees it."""
    return "\n".join(html.unescape(e.value) for e in elements)


def a_set(engine: Any, ids: dict[str, int]) -> int:
    sid = results.create_coaching_set(engine, name="Apologies", description="for <b>new</b> agents", created_by="ann")
    results.add_to_coaching_set(
        engine, set_id=sid, conversation_id=ids["c-1"], message_external_id="1-4",
        note="generic apology to Customer 1", added_by="ann",
    )  # fmt: skip
    results.add_to_coaching_set(engine, set_id=sid, conversation_id=ids["c-2"], note="whole thread", added_by="bob")
    return sid


def test_no_sets_yet_and_creating_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_store(tmp_path, monkeypatch)
    at = open_page()
    assert at.title[0].value == "Coaching sets" and any("No coaching sets yet" in i.value for i in at.info)
    at.text_input(key="coach_new_name").input("Good apologies")
    at.text_area(key="coach_new_description").input("specific ones")
    click(at, label="Create set")
    assert "Created the coaching set 'Good apologies'." in said(at.success)
    assert at.selectbox(key="coach_set").value is not None
    assert "Good apologies (0 items)" in at.selectbox(key="coach_set").options
    at.text_input(key="coach_new_name").input("Good apologies")
    click(at, label="Create set")
    assert "exists already" in said(at.error)


def test_without_a_name_nothing_can_be_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    a_set(engine, ids)
    at = open_page(reviewer=None)
    assert any("Enter your name" in w.value for w in at.warning)
    assert next(b for b in at.button if b.label == "Create set").disabled
    assert next(b for b in at.button if b.label == "Delete set").disabled


def test_browsing_a_set_shows_replies_in_context_masked_and_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    a_set(engine, ids)
    at = open_page()
    assert at.subheader[0].value == "Items (2)"
    raw = "\n".join(m.value for m in at.markdown)
    text = page_text(at)
    # the reply in its context: the customer's message before it, the reply marked, the answer after it
    assert "1. Reply" in text and "2. Conversation" in text and "this reply" in text
    assert "Note: generic apology to [NAME]" in text and "Note: whole thread" in text
    assert "tone: neutral 90%" in text
    assert "added by ann on" in text and "added by bob on" in text
    # masked by default: no names of customers or agents, no order numbers
    assert not [p for p in PEOPLE if p in text] and "[NAME]" in text and not re.search(r"(?<![\d.])1001(?!\d)", text)
    # the hostile customer message stays text
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "<img" not in raw
    assert "for &lt;b&gt;new&lt;/b&gt; agents" in "\n".join(c.value for c in at.caption)

    at.toggle(key="coach_unmask").set_value(True).run()
    text = page_text(at)
    assert "Sam Keller" in text and "Customer 1" in text and "1001" in text
    assert any("unmasked" in w.value for w in at.warning)


def test_exports_are_masked_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]
) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    a_set(engine, ids)
    at = open_page()
    assert [b.label for b in at.download_button] == ["Markdown handout", "CSV", "JSONL"]
    md = downloads["coaching-apologies.md"].decode()
    csv = downloads["coaching-apologies.csv"].decode()
    jsonl = downloads["coaching-apologies.jsonl"].decode()
    for text in (md, csv, jsonl):
        # the order numbers as numbers: a time's microseconds ("10:40:20.310012") may hold the digits 1001
        assert not [p for p in PEOPLE if p in text] and not re.search(r"(?<![\d.])100[12](?!\d)", text)
    assert md.startswith("# Coaching set: Apologies") and "personal data masked" in md
    assert "## 1. A reply: generic apology to \\[NAME\\]" in md and "**this reply**" in md
    assert "\\<script\\>" in md and "<script>" not in md.replace("\\<script\\>", "")
    rows = list(DictReader(io.StringIO(csv)))
    assert [(r["kind"], r["conversation"], r["reply_id"]) for r in rows] == [
        ("reply", "test/c-1", "1-4"), ("conversation", "test/c-2", ""),
    ]  # fmt: skip
    assert rows[0]["reply"].startswith("Sorry for any inconvenience. Your order [ORDER] arrives")
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert [r["kind"] for r in records] == ["reply", "conversation"] and records[0]["masked"] is True
    assert records[0]["reply_id"] == "1-4" and records[0]["note"] == "generic apology to [NAME]"
    assert at.code[0].value.strip() == md.strip()  # the preview is the handout

    at.toggle(key="coach_unmask").set_value(True).run()
    md = downloads["coaching-apologies-UNMASKED.md"].decode()
    assert "Sam Keller" in md and "NOT masked" in md


def test_adding_from_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    sid = a_set(engine, ids)
    at = open_page()
    at.text_input(key="coach_add_ref").input("test/c-3").run()
    cid = ids["c-3"]
    target = at.selectbox(key=f"coach_add_target_{cid}")
    assert list(target.options)[0] == "The whole conversation" and len(target.options) == 2
    target.set_value("3-4")
    at.text_input(key=f"coach_add_note_{cid}").input("missed the order number")
    click(at, "coach_add")
    assert "Added reply #3-4 to the set." in said(at.success)
    items = results.list_coaching_items(engine, set_id=sid)
    assert (items[-1]["conversation_id"], items[-1]["message_external_id"]) == (cid, "3-4")
    assert (items[-1]["note"], items[-1]["added_by"]) == ("missed the order number", "ann")
    assert at.subheader[0].value == "Items (3)"
    click(at, "coach_add")  # the same reply again
    assert "in the set already" in said(at.warning)
    assert len(results.list_coaching_items(engine, set_id=sid)) == 3
    at.text_input(key="coach_add_ref").input("nope").run()
    assert "No conversation 'nope' in the store." in said(at.warning)


def test_rename_remove_open_and_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    sid = a_set(engine, ids)
    at = open_page()
    at.text_input(key=f"coach_rename_{sid}").input("Apologies 101")
    click(at, f"coach_rename_save_{sid}")
    assert "Apologies 101 (2 items)" in at.selectbox(key="coach_set").options
    first = results.list_coaching_items(engine, set_id=sid)[0]["id"]
    click(at, f"coach_remove_{first}")
    assert at.subheader[0].value == "Items (1)"
    assert next(b for b in at.button if b.key == f"coach_delete_{sid}").disabled  # not without ticking the box
    at.checkbox(key=f"coach_delete_sure_{sid}").check().run()
    click(at, f"coach_delete_{sid}")
    assert results.list_coaching_sets(engine) == [] and any("No coaching sets yet" in i.value for i in at.info)
    assert results.load_conversation(engine, conversation_id=ids["c-2"]) is not None

    sid = a_set(engine, ids)
    at = open_page()
    item = results.list_coaching_items(engine, set_id=sid)[1]
    click(at, f"coach_open_{item['id']}")
    assert at.title[0].value == f"Conversation #{ids['c-2']}"


def test_adding_from_the_conversation_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, ids = app_store(tmp_path, monkeypatch)
    cid = ids["c-2"]
    at = open_page(CONVERSATION_PAGE, conversation_id=cid)
    assert at.title[0].value == f"Conversation #{cid}"
    assert at.expander[0].label == "Add to a coaching set" and not at.expander[0].children  # closed: not drawn
    at.session_state["cv_coach_open"] = True  # the reviewer opens it
    at.run()
    target = at.selectbox(key=f"cv_coach_target_{cid}")
    options = list(target.options)  # the human reply only (no auto-reply, no note)
    assert len(options) == 2 and options[0] == "The whole conversation"
    assert options[1].startswith("Reply #2-4 · Noor de Vries: Sorry for any inconvenience.")
    target.set_value("2-4")
    at.selectbox(key="cv_coach_set").set_value(-1).run()
    at.text_input(key="cv_coach_new_name").input("Order numbers")
    at.text_input(key=f"cv_coach_note_{cid}").input("good example of a specific apology")
    click(at, "cv_coach_add")
    assert "Added reply #2-4 to the set." in said(at.success)
    (row,) = results.list_coaching_sets(engine)
    assert (row["name"], row["items"], row["created_by"]) == ("Order numbers", 1, "ann")
    (item,) = results.list_coaching_items(engine, set_id=row["id"])
    assert (item["message_external_id"], item["note"], item["added_by"]) == (
        "2-4", "good example of a specific apology", "ann",
    )  # fmt: skip
    assert at.selectbox(key="cv_coach_set").value == row["id"] and at.text_input(key=f"cv_coach_note_{cid}").value == ""
    # the whole conversation, into the same set
    at.selectbox(key=f"cv_coach_target_{cid}").set_value("__conversation__")
    click(at, "cv_coach_add")
    assert [i["message_external_id"] for i in results.list_coaching_items(engine, set_id=row["id"])] == ["2-4", None]
    # the review form still works beside it
    assert any(b.label == "Save draft" for b in at.button)

    at.switch_page(PAGE).run()
    assert not at.exception and at.subheader[0].value == "Items (2)"


def test_the_conversation_view_needs_a_name_to_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids = app_store(tmp_path, monkeypatch)
    at = open_page(CONVERSATION_PAGE, reviewer=None, conversation_id=ids["c-2"], cv_coach_open=True)
    assert next(b for b in at.button if b.key == "cv_coach_add").disabled
