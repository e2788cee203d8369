"""Help Scout / FreeScout importer: thread order and roles, HAL pages, streaming, sniffing, bad input."""

from __future__ import annotations

import copy
import json
import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import ImportOptions, Rejected, read_head, sniff_format
from qa_toolkit.importers.helpscout import HelpScoutImporter
from qa_toolkit.importers.intercom import iter_json_records
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "helpscout"
IMPORTER = HelpScoutImporter()


def read(path: Path, **options: Any) -> list[ConversationIn | Rejected]:
    return list(IMPORTER.read(path, ImportOptions(**options)))


def write_json(tmp_path: Path, value: Any, name: str = "conv.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


def at(day: int, hh_mm_ss: str) -> datetime:
    h, m, s = (int(x) for x in hh_mm_ss.split(":"))
    return datetime(2025, 3, day, h, m, s, tzinfo=UTC)


@pytest.fixture(scope="module")
def page() -> dict[str, ConversationIn]:
    items = read(FIXTURES / "page.json")
    assert not [i for i in items if isinstance(i, Rejected)]
    return {c.id: c for c in items if isinstance(c, ConversationIn)}


def test_drafts_and_deleted_conversations_are_skipped_quietly(page: dict[str, ConversationIn]) -> None:
    assert sorted(page) == ["2391938111", "2391938222", "2391938555"]


def test_email_conversation_fields(page: dict[str, ConversationIn]) -> None:
    conv = page["2391938111"]
    assert conv.source == "helpscout"
    assert conv.channel == "email"
    assert conv.subject == "Can't log in after the update"
    assert conv.status == "closed"
    assert conv.created_at == at(3, "09:58:11")
    assert conv.closed_at == at(3, "12:00:00")
    assert conv.tags == ["login", "bug"]
    assert (conv.customer.id, conv.customer.name) == ("29418", "Dana Reyes")
    assert conv.assignee is not None and (conv.assignee.id, conv.assignee.name) == ("1234", "Sam Keller")
    assert conv.team == "85"  # mailboxId when there is no mailbox name
    assert conv.satisfaction is None


def test_newest_first_threads_are_reordered(page: dict[str, ConversationIn]) -> None:
    conv = page["2391938111"]
    assert [(m.id, m.role, m.is_internal, m.sent_at) for m in conv.messages] == [
        ("101", Role.customer, False, at(3, "09:58:11")),
        # 102 lineitem (assignment), 103 hidden, 104 draft: skipped
        ("105", Role.agent, True, at(3, "10:30:00")),  # note; same time as 106, listed after it
        ("106", Role.agent, False, at(3, "10:30:00")),
        ("107", Role.customer, False, at(3, "11:40:00")),
        ("108", Role.agent, False, at(3, "11:59:00")),
        # 109 lineitem (closed): dropped
    ]
    assert conv.messages[1].author_name == "Sam Keller"


def test_quoted_reply_stripped_raw_kept(page: dict[str, ConversationIn]) -> None:
    reply = {m.id: m for m in page["2391938111"].messages}["107"]
    assert reply.text == "It works again, thank you!"
    assert reply.raw_text is not None and "gmail_quote" in reply.raw_text


def test_chat_roles(page: dict[str, ConversationIn]) -> None:
    conv = page["2391938222"]
    assert conv.channel == "chat"
    assert conv.status == "open"  # active
    assert conv.team == "Live chat"
    assert (conv.customer.id, conv.customer.name) == ("30001", "Lee")
    assert conv.assignee is None
    assert [(m.id, m.role, m.is_internal) for m in conv.messages] == [
        ("201", Role.customer, False),  # chat thread by createdBy customer
        ("203", Role.bot, False),  # createdBy system_user
        ("204", Role.customer, False),
        ("205", Role.agent, False),  # chat thread by createdBy user
        ("206", Role.agent, True),  # forwardparent
    ]


def test_phone_and_spam(page: dict[str, ConversationIn]) -> None:
    conv = page["2391938555"]
    assert (conv.channel, conv.status) == ("phone", "spam")
    assert [(m.id, m.role) for m in conv.messages] == [("501", Role.customer), ("502", Role.agent)]


# --------------------------------------------------------------------------- FreeScout


@pytest.fixture(scope="module")
def freescout_record() -> dict[str, Any]:
    return json.loads((FIXTURES / "freescout.json").read_text())


def test_freescout_shape(freescout_record: dict[str, Any]) -> None:
    (conv,) = read(FIXTURES / "freescout.json", source="freescout")
    assert isinstance(conv, ConversationIn)
    assert conv.source == "freescout"
    assert (conv.customer.id, conv.customer.name) == ("91", "Tom Berg")  # customer, firstName/lastName
    assert conv.assignee is not None and conv.assignee.name == "Maria Jansen"
    assert conv.tags == ["refund", "billing"]  # _embedded.tags[].name
    assert (conv.status, conv.team, conv.closed_at) == ("pending", "15", None)
    assert [(m.id, m.role, m.is_internal, m.author_name) for m in conv.messages] == [
        ("17", Role.customer, False, "Tom Berg"),
        ("18", Role.agent, False, "Maria Jansen"),
        ("19", Role.agent, True, "Maria Jansen"),
    ]


def test_oldest_first_threads_are_recognised(tmp_path: Path, freescout_record: dict[str, Any]) -> None:
    record = copy.deepcopy(freescout_record)
    threads = record["_embedded"]["threads"]
    threads.reverse()  # now oldest-first: 17, 18, 19
    threads[2]["createdAt"] = threads[1]["createdAt"]  # a tie: list order decides
    (conv,) = read(write_json(tmp_path, record))
    assert isinstance(conv, ConversationIn)
    assert [m.id for m in conv.messages] == ["17", "18", "19"]


# --------------------------------------------------------------------------- thread rules, table


def _one_thread(**thread: Any) -> dict[str, Any]:
    base = {"id": 5, "state": "published", "createdAt": "2025-03-03T10:00:00Z", "body": "<p>Some words</p>"}
    return {
        "id": 77,
        "type": "email",
        "status": "active",
        "_embedded": {
            "threads": [
                {**base, **thread},
                {"id": 1, "type": "customer", "body": "<p>Question</p>", "createdAt": "2025-03-03T09:00:00Z"},
            ]
        },
    }


@pytest.mark.parametrize(
    ("thread", "expected"),
    [
        ({"type": "customer", "createdBy": {"type": "customer"}}, (Role.customer, False)),
        ({"type": "message", "createdBy": {"type": "user"}}, (Role.agent, False)),
        ({"type": "reply", "createdBy": {"type": "user"}}, (Role.agent, False)),
        ({"type": "note", "createdBy": {"type": "user"}}, (Role.agent, True)),
        ({"type": "note", "createdBy": {"type": "system_user"}}, (Role.bot, True)),
        ({"type": "message", "createdBy": {"type": "system_user"}}, (Role.bot, False)),
        ({"type": "chat", "createdBy": {"type": "customer"}}, (Role.customer, False)),
        ({"type": "chat", "createdBy": {"type": "user"}}, (Role.agent, False)),
        ({"type": "phone", "createdBy": {"type": "user"}}, (Role.agent, False)),
        ({"type": "chat", "source": {"via": "customer"}}, (Role.customer, False)),
        ({"type": "forwardchild", "createdBy": {"type": "user"}}, (Role.agent, True)),
        ({"type": "lineitem", "createdBy": {"type": "user"}}, None),
        ({"type": "message", "state": "draft"}, None),
        ({"type": "message", "state": "hidden"}, None),
        ({"type": "customer", "state": "deleted"}, None),
        ({"type": "message", "body": "<p> </p>"}, None),
        ({"type": "message", "body": None}, None),
        ({"type": "message", "body": "", "_embedded": {"attachments": [{"filename": "a.png"}]}}, (Role.agent, False)),
    ],
)
def test_thread_rules(tmp_path: Path, thread: dict[str, Any], expected: tuple[Role, bool] | None) -> None:
    (conv,) = read(write_json(tmp_path, _one_thread(**thread)))
    assert isinstance(conv, ConversationIn)
    got = {m.id: (m.role, m.is_internal) for m in conv.messages}
    assert got.get("5") == expected
    assert got["1"] == (Role.customer, False)


def test_missing_thread_ids_are_made_up_stably(tmp_path: Path) -> None:
    record = _one_thread(type="message")
    for thread in record["_embedded"]["threads"]:
        del thread["id"]
    (conv,) = read(write_json(tmp_path, record))
    assert isinstance(conv, ConversationIn)
    assert [m.id for m in conv.messages] == ["thread-1", "thread-2"]


def test_workflow_reply_is_automated(tmp_path: Path) -> None:
    record = _one_thread(type="message", action={"type": "automatic-workflow", "text": "Workflow ran"})
    (conv,) = read(write_json(tmp_path, record))
    assert isinstance(conv, ConversationIn)
    assert {m.id: m.is_automated for m in conv.messages} == {"1": False, "5": True}


# --------------------------------------------------------------------------- file shapes and bad input


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("pages.ndjson", ["601", "602", "603"]),
        ("pages_list.json", ["601", "602", "603"]),
        ("conversations_list.json", ["601", "603"]),
        ("truncated.json", ["601", "602"]),
    ],
)
def test_file_shapes(name: str, ids: list[str]) -> None:
    assert [c.id for c in read(FIXTURES / name) if isinstance(c, ConversationIn)] == ids


def test_ndjson_bad_page_line() -> None:
    rejected = [i for i in read(FIXTURES / "pages.ndjson") if isinstance(i, Rejected)]
    assert [r.location for r in rejected] == [f"{FIXTURES / 'pages.ndjson'}:2"]


def test_truncated_page() -> None:
    last = read(FIXTURES / "truncated.json")[-1]
    assert isinstance(last, Rejected)
    assert last.location.endswith(":record 3") and "truncated" in last.reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (1, "id: missing"),
        (2, "threads: expected a list, got an object"),
        (3, "createdAt: not a timestamp: 'last week'"),
        (4, "_embedded.threads[0].body: expected a string, got a list"),
        (5, "primaryCustomer: expected an object, got a string"),
        (6, "expected a conversation object, got a string"),
        (7, "at least one message"),
        (8, "tags: expected a list, got a string"),
        (9, "id: expected a string, got a boolean"),
        (10, "_embedded.threads[0]: expected an object, got a number"),
    ],
)
def test_malformed_records(line: int, reason: str) -> None:
    items = read(FIXTURES / "malformed.ndjson")
    assert all(isinstance(i, Rejected) for i in items)
    by_location = {i.location: i.reason for i in items if isinstance(i, Rejected)}
    assert reason in by_location[f"{FIXTURES / 'malformed.ndjson'}:{line}"]


def test_binary_garbage_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(ImportFileError):
        read(path)


def test_page_is_streamed(tmp_path: Path) -> None:
    one = json.loads((FIXTURES / "conversations_list.json").read_text())[0]
    path = tmp_path / "big.json"
    with open(path, "w") as fh:
        fh.write('{"_links": {}, "_embedded": {"conversations": [')
        for i in range(4000):
            one["id"] = i
            one["_embedded"]["threads"][0]["body"] = "<p>" + f"padding {i} " * 60 + "</p>"
            fh.write(("," if i else "") + json.dumps(one))
        fh.write('], "x": 1}, "page": {"number": 1}}')
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_json_records(path, (("_embedded", "conversations"),)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    assert peak < path.stat().st_size / 2


# --------------------------------------------------------------------------- sniffing

OTHER_FORMATS = {
    "canonical.jsonl": b'{"id":"c-1","messages":[{"id":"1","role":"customer","text":"hi"}]}\n',
    "zendesk.json": b'{"tickets":[{"id":1,"comments":[]}]}',
    "freshdesk.json": b'{"ticket":{"id":7,"subject":"Help","status":2},"conversations":[{"id":1,"body":"<p>x</p>",'
    b'"private":false,"incoming":true}]}',
    "intercom.json": b'{"type":"conversation","id":"1","source":{"type":"conversation","body":"hi"},'
    b'"conversation_parts":{"conversation_parts":[]}}',
    "messages.csv": b"conversation_id,role,text\n1,customer,hi\n",
}


@pytest.mark.parametrize("name", sorted(OTHER_FORMATS))
def test_sniff_low_for_other_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OTHER_FORMATS[name])
    assert IMPORTER.sniff(path, read_head(path)) < 0.3


@pytest.mark.parametrize(
    "name",
    ["page.json", "freescout.json", "pages.ndjson", "pages_list.json", "conversations_list.json", "truncated.json"],
)
def test_sniff_picks_helpscout(name: str) -> None:
    path = FIXTURES / name
    assert IMPORTER.sniff(path, read_head(path)) >= 0.7
    assert sniff_format(path).name == "helpscout"


# --------------------------------------------------------------------------- never a traceback

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _outcome(data: bytes, name: str = "input.json") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            items = list(IMPORTER.read(path, ImportOptions()))
        except ImportFileError:
            return
        assert all(isinstance(i, ConversationIn | Rejected) for i in items)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _outcome(data)


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=3), st.booleans())
def test_random_json(values: list[Any], as_lines: bool) -> None:
    if as_lines:
        data = b"\n".join(json.dumps(v).encode() for v in values) + b"\n"
    else:
        data = json.dumps(values[0]).encode()
    _outcome(data)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*prefix, i))
    return found


BASE = json.loads((FIXTURES / "page.json").read_text())
BASE_PATHS = _paths(BASE)[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_PATHS), json_values, st.sampled_from(["replace", "delete"]))
def test_mutated_page(path: tuple[Any, ...], value: Any, action: str) -> None:
    record = copy.deepcopy(BASE)
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _outcome(json.dumps(record).encode())
    _outcome(json.dumps(record).encode() + b"\n" + json.dumps(BASE).encode() + b"\n", "input.ndjson")
