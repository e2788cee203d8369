"""Intercom importer: conversation parts to messages, roles, wrappers, streaming, sniffing, bad input."""

from __future__ import annotations

import gzip
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
from qa_toolkit.importers.intercom import IntercomImporter, iter_json_records
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "intercom"
IMPORTER = IntercomImporter()


def read(path: Path, **options: Any) -> list[ConversationIn | Rejected]:
    return list(IMPORTER.read(path, ImportOptions(**options)))


def conversations(path: Path) -> dict[str, ConversationIn]:
    items = read(path)
    return {c.id: c for c in items if isinstance(c, ConversationIn)}


def at(hh_mm_ss: str, day: int = 4) -> datetime:
    h, m, s = (int(x) for x in hh_mm_ss.split(":"))
    return datetime(2025, 3, day, h, m, s, tzinfo=UTC)


# --------------------------------------------------------------------------- the realistic conversation


@pytest.fixture(scope="module")
def conv() -> ConversationIn:
    (item,) = read(FIXTURES / "conversation.json")
    assert isinstance(item, ConversationIn)
    return item


def test_conversation_fields(conv: ConversationIn) -> None:
    assert conv.id == "1000123"
    assert conv.source == "intercom"
    assert (conv.channel, conv.channel_raw) == ("chat", "conversation")
    assert conv.status == "closed"
    assert conv.created_at == at("10:00:00")
    assert conv.closed_at == at("11:01:00")
    assert conv.tags == ["billing", "vat"]
    assert (conv.customer.id, conv.customer.name) == ("cus-1", "Dana Reyes")
    assert conv.assignee is not None
    assert (conv.assignee.id, conv.assignee.name) == ("814860", "Sam Keller")  # name from the parts
    assert conv.team == "5501"
    assert conv.satisfaction is not None
    assert (conv.satisfaction.score, conv.satisfaction.scale) == (4, "1-5")
    assert conv.satisfaction.comment == "Quick fix, thanks"
    assert conv.satisfaction.normalised == pytest.approx(0.75)
    assert conv.subject is None


def test_messages_roles_and_order(conv: ConversationIn) -> None:
    got = [(m.id, m.role, m.is_internal, m.sent_at) for m in conv.messages]
    assert got == [
        ("2202", Role.customer, False, at("10:00:00")),  # the opening message is `source`
        ("9001", Role.bot, False, at("10:00:30")),  # Fin, author.type bot
        ("9002", Role.customer, False, at("10:01:00")),
        # 9003 assignment (no body) dropped
        ("9004", Role.agent, True, at("10:15:00")),  # note
        ("9005", Role.bot, False, at("10:15:00")),  # type admin but from_ai_agent; tie kept in part order
        ("9006", Role.agent, False, at("10:30:00")),
        # 9007 snoozed (no body) dropped
        ("9008", Role.customer, False, at("11:00:00")),
        ("9009", Role.agent, False, at("11:01:00")),  # a close with a message is a message
    ]
    assert not any(m.is_automated for m in conv.messages)


def test_bodies_cleaned_raw_kept(conv: ConversationIn) -> None:
    by_id = {m.id: m for m in conv.messages}
    assert by_id["2202"].text == "Hi, my invoice for March shows VAT twice. Can you check?"
    reply = by_id["9008"]
    assert reply.text == "Thanks, the new invoice looks right now."  # quoted e-mail history stripped
    assert reply.raw_text is not None and "gmail_quote" in reply.raw_text
    assert "<p>" not in by_id["9006"].text
    assert by_id["9005"].author_name == "Fin AI Agent"
    assert by_id["9001"].author == "6123"


def test_source_option_overrides() -> None:
    (item,) = read(FIXTURES / "conversation.json", source="intercom-eu")
    assert isinstance(item, ConversationIn) and item.source == "intercom-eu"


# --------------------------------------------------------------------------- wrapper file, other shapes


@pytest.fixture(scope="module")
def wrapped() -> dict[str, ConversationIn]:
    items = read(FIXTURES / "conversations.json")
    assert not [i for i in items if isinstance(i, Rejected)]
    return {c.id: c for c in items if isinstance(c, ConversationIn)}


def test_wrapper_reads_every_conversation(wrapped: dict[str, ConversationIn]) -> None:
    assert sorted(wrapped) == ["1000099", "1000200", "1000201"]


def test_outbound_starts_with_agent(wrapped: dict[str, ConversationIn]) -> None:
    conv = wrapped["1000200"]
    assert [(m.id, m.role) for m in conv.messages] == [("3301", Role.agent), ("9101", Role.customer)]
    assert not conv.messages[0].is_automated  # admin_initiated is a person's message
    assert conv.channel == "email"
    assert conv.subject == "Your trial ends soon"
    assert (conv.customer.id, conv.customer.name) == ("lead-9", "Lee Park")
    assert conv.assignee is not None and conv.assignee.name == "Priya Nair"
    assert conv.status == "open"
    assert conv.closed_at is None  # an old close of a conversation that is open again
    assert conv.satisfaction is None


def test_redacted_and_empty_parts(wrapped: dict[str, ConversationIn]) -> None:
    conv = wrapped["1000201"]
    assert conv.status == "pending"  # snoozed
    assert (conv.channel, conv.channel_raw) == ("social", "facebook")
    by_id = {m.id: m for m in conv.messages}
    assert by_id["9201"].role is Role.agent  # author.type team
    assert by_id["9202"].text == "[redacted]"
    assert by_id["9203"].text == ""  # attachment only: the turn is kept
    assert "9204" not in by_id  # an empty body and nothing attached
    assert conv.assignee is None


def test_legacy_1x_shape(wrapped: dict[str, ConversationIn]) -> None:
    conv = wrapped["1000099"]
    assert [(m.id, m.role) for m in conv.messages] == [("1601", Role.customer), ("1602", Role.agent)]
    assert conv.customer.id == "u-old-1"
    assert conv.assignee is not None and (conv.assignee.id, conv.assignee.name) == ("77", "Jo")
    assert conv.status == "closed"  # from open: false
    assert conv.tags == ["export"]


@pytest.mark.parametrize("name", ["list.json", "conversations.ndjson"])
def test_list_and_ndjson(name: str) -> None:
    ids = [c.id for c in read(FIXTURES / name) if isinstance(c, ConversationIn)]
    assert ids[:2] == ["2001", "2002"]


def test_ndjson_bad_line_is_rejected_and_reading_continues() -> None:
    items = read(FIXTURES / "conversations.ndjson")
    kinds = [(type(i).__name__, getattr(i, "id", None) or getattr(i, "location", "")) for i in items]
    assert kinds[0] == ("ConversationIn", "2001")
    assert kinds[1] == ("Rejected", f"{FIXTURES / 'conversations.ndjson'}:2")
    assert [k[1] for k in kinds[2:]] == ["2002", "2003"]
    assert "not valid JSON" in items[1].reason  # type: ignore[union-attr]


def test_truncated_file_keeps_what_came_before() -> None:
    items = read(FIXTURES / "truncated.json")
    assert [c.id for c in items if isinstance(c, ConversationIn)] == ["2001", "2002"]
    last = items[-1]
    assert isinstance(last, Rejected)
    assert last.location.endswith("truncated.json:record 3")
    assert "truncated" in last.reason


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (1, "id: missing"),
        (2, "id: missing"),
        (3, "conversation_parts: expected a list, got a string"),
        (4, "created_at: not a timestamp: 'yesterday'"),
        (5, "conversation_rating.rating: expected a number 1-5"),
        (6, "expected a conversation object, got a number"),
        (7, "at least one message"),
        (8, "source.body: expected a string, got a number"),
        (9, "tags.tags: expected a list, got a string"),
        (10, "id: expected a string, got a list"),
        (11, "conversation_parts[0].author: expected an object, got a string"),
    ],
)
def test_malformed_records(line: int, reason: str) -> None:
    items = read(FIXTURES / "malformed.ndjson")
    assert all(isinstance(i, Rejected) for i in items)
    by_location = {i.location: i.reason for i in items if isinstance(i, Rejected)}
    assert reason in by_location[f"{FIXTURES / 'malformed.ndjson'}:{line}"]


def test_not_json_at_all_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("conversation_parts: none\n")
    with pytest.raises(ImportFileError, match="not valid JSON"):
        read(path)


def test_empty_file_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("  \n")
    with pytest.raises(ImportFileError, match="empty"):
        read(path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_other_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "conv.json"
    path.write_text((FIXTURES / "conversation.json").read_text().replace("Dana Reyes", "Däna Réyes"), encoding=encoding)
    (item,) = read(path)
    assert isinstance(item, ConversationIn) and item.customer.name == "Däna Réyes"


def test_gzip(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json.gz"
    path.write_bytes(gzip.compress((FIXTURES / "conversations.json").read_bytes()))
    assert len([c for c in read(path) if isinstance(c, ConversationIn)]) == 3


# --------------------------------------------------------------------------- streaming


def _big_wrapper(path: Path, n: int) -> None:
    base = json.loads((FIXTURES / "list.json").read_text())[0]
    with open(path, "w") as fh:
        fh.write('{"type":"conversation.list","conversations":[')
        for i in range(n):
            rec = dict(base, id=str(i))
            rec["source"] = dict(base["source"], body="<p>" + f"padding {i} " * 60 + "</p>")
            fh.write(("," if i else "") + json.dumps(rec))
        fh.write("]}")


def test_wrapper_is_streamed_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    _big_wrapper(path, 4000)
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_json_records(path, (("conversations",),)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    assert peak < path.stat().st_size / 2  # a whole-file load would take several times its size


def test_first_conversation_arrives_before_the_end_is_parsed(tmp_path: Path) -> None:
    good = json.dumps(json.loads((FIXTURES / "list.json").read_text())[0])
    path = tmp_path / "lazy.json"
    path.write_text('{"conversations": [' + good + ", " + " " * 200_000 + "{ broken")
    items = IMPORTER.read(path, ImportOptions())
    first = next(items)
    assert isinstance(first, ConversationIn) and first.id == "2001"
    rest = list(items)
    assert len(rest) == 1 and isinstance(rest[0], Rejected)


# --------------------------------------------------------------------------- sniffing

OTHER_FORMATS = {
    "canonical.jsonl": b'{"id":"c-1","messages":[{"id":"1","role":"customer","text":"hi"}]}\n',
    "zendesk.json": b'{"tickets":[{"id":1,"comments":[]}]}',
    "freshdesk.json": b'{"ticket":{"id":7,"subject":"Help","status":2},"conversations":[{"id":1,"body":"<p>x</p>",'
    b'"private":false,"incoming":true}]}',
    "helpscout.json": b'{"_embedded":{"conversations":[{"id":1,"_embedded":{"threads":'
    b'[{"id":1,"type":"customer"}]}}]}}',
    "messages.csv": b"conversation_id,role,text\n1,customer,hi\n",
}


@pytest.mark.parametrize("name", sorted(OTHER_FORMATS))
def test_sniff_low_for_other_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OTHER_FORMATS[name])
    assert IMPORTER.sniff(path, read_head(path)) < 0.3


@pytest.mark.parametrize(
    "name", ["conversation.json", "conversations.json", "conversations.ndjson", "list.json", "truncated.json"]
)
def test_sniff_picks_intercom(name: str) -> None:
    path = FIXTURES / name
    assert IMPORTER.sniff(path, read_head(path)) >= 0.8
    assert sniff_format(path).name == "intercom"


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


BASE = json.loads((FIXTURES / "conversation.json").read_text())
BASE_PATHS = _paths(BASE)[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_PATHS), json_values, st.sampled_from(["replace", "delete"]))
def test_mutated_conversation(path: tuple[Any, ...], value: Any, action: str) -> None:
    record = json.loads(json.dumps(BASE))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _outcome(json.dumps(record).encode())
    _outcome(json.dumps(record).encode() + b"\n" + json.dumps(BASE).encode() + b"\n", "input.ndjson")
