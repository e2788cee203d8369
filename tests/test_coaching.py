"""Coaching sets: the store functions (create, rename, delete, add, remove, load in context) and the pure
exports (Markdown handout, CSV, JSONL), masked by default, with message text escaped in the handout."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine
from store_builder import build_store, seed_results

from qa_toolkit import coaching
from qa_toolkit.coaching import CoachingSetExport, ExportItem, ExportMessage
from qa_toolkit.db import results as res
from qa_toolkit.db.results import CategoryVerdict, LabelVerdict
from qa_toolkit.errors import QAError

T = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SECRET = "Dana Whitfield"
PERSONAL = (
    "Hi, I'm Dana Whitfield, dana.w@example.com, call me on +44 7700 900123. Order #884512, "
    "card 4111 1111 1111 1111, IBAN NL91 ABNA 0417 1643 00, postcode SW1A 1AA, @danaw"
)


def export_fixture() -> CoachingSetExport:
    messages = (
        ExportMessage("m1", "customer", SECRET, T, PERSONAL),
        ExportMessage("m2", "agent", "Sam Keller", T, "note: <b>check</b>", is_internal=True),
        ExportMessage("m3", "agent", "Sam Keller", T, "Hi Dana, so sorry!\n# not a heading\n1. not a list", focus=True),
        ExportMessage("m4", "customer", SECRET, T, "=SUM(A1) thanks"),
    )
    reply = ExportItem(
        item_id=7,
        kind=coaching.KIND_REPLY,
        conversation_id=1,
        conversation="test/c-1",
        channel="email",
        team="Billing",
        agent="Sam Keller",
        created_at=T,
        subject="Order 884512 for Dana",
        reply_id="m3",
        messages=messages,
        labels={"tone": "friendly", "apology": "templated"},
        confidences={"tone": 0.9, "apology": 0.8},
        reviewed_labels={"apology": "specific", "tone": "friendly"},
        note="good apology to Dana *Whitfield*",
        added_by="ann",
        added_at=T,
        names=(SECRET, "Sam Keller"),
    )
    whole = ExportItem(
        item_id=8,
        kind=coaching.KIND_CONVERSATION,
        conversation_id=2,
        conversation="test/c-2",
        channel="chat",
        team=None,
        agent=None,
        created_at=None,
        subject=None,
        reply_id=None,
        messages=(ExportMessage("x1", "customer", None, None, "Where is my parcel?"),),
        added_by=None,
        names=(),
    )
    return CoachingSetExport(set_id=3, name="Apologies <b>", description="For new agents", items=(reply, whole))


def leaks(text: str) -> list[str]:
    found = [s for s in ("Dana", "Whitfield", "Sam", "Keller", "example.com", "7700", "884512", "4111", "ABNA",
                         "SW1A", "@danaw") if s in text]  # fmt: skip
    return found


def test_masked_export_hides_personal_data_everywhere() -> None:
    export = coaching.masked(export_fixture())
    assert export.masked and coaching.masked(export) is export
    for text in (coaching.to_markdown(export), coaching.to_csv(export), coaching.to_jsonl(export)):
        assert not leaks(text), leaks(text)
    first = export.items[0].messages[0].text
    assert "[NAME]" in first and "[EMAIL]" in first and "[PHONE]" in first and "[ORDER]" in first
    assert "[CARD]" in first and "[IBAN]" in first and "[POSTCODE]" in first and "[HANDLE]" in first
    assert export.items[0].agent == "[NAME]" and export.items[0].added_by == "ann"  # the trainer stays


def test_unmasked_export_keeps_the_text() -> None:
    export = export_fixture()
    assert SECRET in coaching.to_markdown(export) and "NOT masked" in coaching.to_markdown(export)
    assert PERSONAL in coaching.to_jsonl(export)


def test_markdown_handout_escapes_text_and_marks_the_reply() -> None:
    md = coaching.to_markdown(coaching.masked(export_fixture()), exported_at=T)
    assert md.startswith("# Coaching set: Apologies \\<b\\>\n")
    assert "_2 items · personal data masked · exported 2025-03-03 09:00_" in md
    assert "## 1. A reply: good apology to [NAME] \\*[NAME]\\*" in md.replace("\\[NAME\\]", "[NAME]")
    assert "## 2. A conversation" in md
    assert "\\<b\\>check\\</b\\>" in md and "<b>" not in md.replace("\\<b\\>", "")
    assert "> \\# not a heading" in md and "> 1\\. not a list" in md
    assert "**this reply**" in md and "**Agent (internal note)**" in md
    assert (
        "Labels: tone **friendly (confirmed by a reviewer)** · apology **specific (reviewer; model said templated)**"
        in md
    )
    assert "_Added by ann on 2025-03-03_" in md and "_Added by someone on" in md


def test_md_escape() -> None:
    assert coaching.md_escape("a *b* _c_ [d](e) <i> `f` #g") == "a \\*b\\* \\_c\\_ \\[d\\](e) \\<i\\> \\`f\\` \\#g"
    assert coaching.md_escape("- x\n+ y\n> z\n12. w") == "\\- x\n\\+ y\n\\> z\n12\\. w"


def test_csv_one_row_per_item_with_context_and_labels() -> None:
    rows = list(csv.DictReader(io.StringIO(coaching.to_csv(coaching.masked(export_fixture())))))
    assert [r["item"] for r in rows] == ["7", "8"] and list(rows[0]) == coaching.CSV_COLUMNS
    reply, whole = rows
    assert reply["kind"] == "reply" and reply["reply_id"] == "m3" and reply["reply"].startswith("Hi [NAME], so sorry!")
    assert reply["context"].startswith("Customer [NAME] (2025-03-03 09:00): Hi, I'm [NAME]")
    assert "Agent (internal note)" in reply["context"] and "=SUM" not in reply["context"]  # after the reply
    assert (reply["tone"], reply["apology"], reply["reviewed_apology"], reply["resolution"]) == (
        "friendly", "templated", "specific", "",
    )  # fmt: skip
    assert whole["kind"] == "conversation" and whole["reply"] == "" and "Where is my parcel?" in whole["context"]
    assert whole["created_at"] == "" and whole["added_by"] == ""


def test_csv_cells_never_start_a_formula() -> None:
    export = export_fixture()
    item = export.items[1]
    odd = ExportItem(**{**item.__dict__, "note": '=HYPERLINK("x")', "messages": item.messages})
    text = coaching.to_csv(CoachingSetExport(1, "s", None, (odd,)))
    assert "'=HYPERLINK" in text


def test_jsonl_one_object_per_item() -> None:
    lines = coaching.to_jsonl(coaching.masked(export_fixture())).splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["masked"] is True and first["kind"] == "reply" and first["reply_id"] == "m3"
    assert [m["focus"] for m in first["messages"]] == [False, False, True, False]
    assert first["labels"] == {"tone": "friendly", "apology": "templated"} and first["confidences"]["tone"] == 0.9
    assert first["conversation"]["created_at"] == "2025-03-03T09:00:00+00:00"
    assert second["messages"][0]["sent_at"] is None and second["note"] == ""


def test_file_stem() -> None:
    assert coaching.file_stem("Apologies: the good ones!") == "coaching-apologies-the-good-ones"
    assert coaching.file_stem("***") == "coaching-set"


# --------------------------------------------------------------------------- the store


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    engine = build_store(db_url, tmp_path)
    return engine, seed_results(engine)


def test_coaching_sets_create_rename_delete(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    a = res.create_coaching_set(engine, name="Apologies", created_by="ann")
    b = res.create_coaching_set(engine, name="Order numbers")
    res.add_to_coaching_set(engine, set_id=a, conversation_id=ids["c-1"], note="x", added_by="ann")
    res.add_to_coaching_set(engine, set_id=b, conversation_id=ids["c-1"], message_external_id="1-4")
    res.rename_coaching_set(engine, set_id=a, name="  Good apologies ", description="for new agents")
    sets = {s["name"]: s for s in res.list_coaching_sets(engine)}
    assert sets["Good apologies"]["description"] == "for new agents" and sets["Good apologies"]["items"] == 1
    res.rename_coaching_set(engine, set_id=a, description="")  # the name stays, the description goes
    assert res.list_coaching_sets(engine)[0]["description"] is None
    with pytest.raises(QAError, match="exists already"):
        res.rename_coaching_set(engine, set_id=a, name="Order numbers")
    with pytest.raises(QAError, match="needs a name"):
        res.rename_coaching_set(engine, set_id=a, name=" ")
    with pytest.raises(QAError, match="no coaching set"):
        res.rename_coaching_set(engine, set_id=999, name="x")
    assert res.delete_coaching_set(engine, set_id=a) == 1
    assert [s["name"] for s in res.list_coaching_sets(engine)] == ["Order numbers"]
    assert len(res.list_coaching_items(engine, set_id=b)) == 1  # the other set's items stay
    assert res.load_conversation(engine, conversation_id=ids["c-1"]) is not None  # conversations stay
    with pytest.raises(QAError, match="no coaching set"):
        res.delete_coaching_set(engine, set_id=a)


def test_coaching_items_remove_and_note(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    s = res.create_coaching_set(engine, name="S")
    item = res.add_to_coaching_set(engine, set_id=s, conversation_id=ids["c-2"], note="old")
    res.update_coaching_note(engine, item_id=item, note="new")
    assert res.list_coaching_items(engine, set_id=s)[0]["note"] == "new"
    res.remove_coaching_item(engine, item_id=item)
    assert res.list_coaching_items(engine, set_id=s) == []
    with pytest.raises(QAError):
        res.remove_coaching_item(engine, item_id=item)
    with pytest.raises(QAError):
        res.update_coaching_note(engine, item_id=item, note="x")


def test_find_conversation_and_agent_replies(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    cid = ids["c-3"]
    assert res.find_conversation(engine, ref=str(cid)) == cid
    assert res.find_conversation(engine, ref=f"#{cid}") == cid
    assert res.find_conversation(engine, ref="test/c-3") == cid
    assert res.find_conversation(engine, ref=" c-3 ") == cid
    assert res.find_conversation(engine, ref="nope") is None and res.find_conversation(engine, ref="") is None
    replies = res.agent_replies(engine, conversation_id=cid)
    assert [m.external_id for m in replies] == ["3-4"]  # no auto-reply, no internal note


def test_build_set_from_the_store_in_context(store: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = store
    s = res.create_coaching_set(engine, name="Apologies", description="specific ones")
    res.add_to_coaching_set(
        engine, set_id=s, conversation_id=ids["c-2"], message_external_id="2-4", note="n1", added_by="ann", now=T
    )
    res.add_to_coaching_set(engine, set_id=s, conversation_id=ids["c-5"], note="whole", added_by="bob", now=T)
    res.add_to_coaching_set(engine, set_id=s, conversation_id=ids["c-6"], message_external_id="gone", now=T)
    res.save_review(
        engine,
        conversation_id=ids["c-2"],
        reviewer="ann",
        expected_version=None,
        labels=[LabelVerdict("2-4", "apology", "specific", model_label="templated")],
        categories=[CategoryVerdict("apology", 100.0)],
        done=True,
    )
    contents = res.coaching_set_contents(engine, set_id=s)
    assert contents is not None and res.coaching_set_contents(engine, set_id=999) is None
    export = coaching.build_set(contents)
    assert (export.name, export.description, len(export.items)) == ("Apologies", "specific ones", 3)
    reply, whole, missing = export.items
    assert reply.kind == "reply" and reply.reply_id == "2-4" and reply.added_by == "ann" and reply.note == "n1"
    assert [m.external_id for m in reply.messages] == ["2-1", "2-2", "2-3", "2-4", "2-5"]
    assert reply.reply is not None and reply.reply.external_id == "2-4"
    assert reply.labels == {
        "tone": "unfriendly",
        "personalisation": "personalised",
        "apology": "templated",
        "resolution": "none",
    }
    assert reply.reviewed_labels == {"apology": "specific"}
    assert set(reply.names) == {"Customer 2", "Noor de Vries"}
    assert reply.agent == "Noor de Vries" and reply.conversation == "test/c-2" and reply.channel == "chat"
    assert whole.kind == "conversation" and len(whole.messages) == 5 and whole.labels == {}
    assert missing.kind == "conversation" and missing.reply_id is None  # the reply is gone: the whole thread
    masked_md = coaching.to_markdown(coaching.masked(export))
    assert "Noor" not in masked_md and "Customer 2" not in masked_md
    assert not re.search(r"(?<![\d.])1002(?!\d)", masked_md)  # the order number as a number, not in a time
    assert "apology **specific (reviewer; model said templated)**" in masked_md


def test_context_keeps_a_few_messages_around_the_reply() -> None:
    msgs = [
        SimpleNamespace(external_id=str(i), is_internal=(i == 5), is_automated=(i == 7), role="agent")
        for i in range(10)
    ]
    shown = coaching._context(msgs, "6", before=2)
    assert [m.external_id for m in shown] == ["3", "4", "5", "6", "7", "8"]  # 2 public before (+ a note), one after
    assert [m.external_id for m in coaching._context(msgs, "0", before=3)] == ["0", "1"]
    assert len(coaching._context(msgs, None, before=3)) == 10
