"""Tests for the Zendesk importer: API JSON, NDJSON export, chat transcripts, malformed files, sniffing."""

from __future__ import annotations

import json
import logging
import tempfile
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers import zendesk as zd
from qa_toolkit.importers.base import ImportOptions, Rejected, detect_encoding, get_importer, sniff_format
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

FIX = Path(__file__).resolve().parent / "fixtures" / "zendesk"
OTHER_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "freshdesk"
CANONICAL_LINE = b'{"id":"c-1","messages":[{"id":"1","role":"customer","text":"hi"}]}\n'


def read(path: Path, **options: Any) -> tuple[dict[str, ConversationIn], list[Rejected]]:
    convs: dict[str, ConversationIn] = {}
    rejects: list[Rejected] = []
    for item in get_importer("zendesk").read(path, ImportOptions(**options)):
        if isinstance(item, Rejected):
            rejects.append(item)
        else:
            assert item.id not in convs
            convs[item.id] = item
    return convs, rejects


def ticket(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "requester_id": 10,
        "created_at": "2025-01-01T10:00:00Z",
        "comments": [{"id": 1, "author_id": 10, "created_at": "2025-01-01T10:00:00Z", "plain_body": "Hello"}],
    }
    base.update(fields)
    return base


def write_ndjson(tmp_path: Path, *objs: Any, name: str = "t.ndjson") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- API documents


def test_api_document_maps_ticket_fields() -> None:
    convs, rejects = read(FIX / "api_tickets.json")
    assert rejects == []
    assert sorted(convs) == ["48213", "48214", "48215"]
    conv = convs["48213"]
    assert conv.source == "zendesk"
    assert (conv.channel, conv.channel_raw) == ("email", "email")
    assert conv.status == "solved"
    assert conv.subject == "Refund not received"
    assert conv.tags == ["billing", "refund"]
    assert (conv.customer.id, conv.customer.name) == ("9001", "Dana R.")
    assert conv.assignee is not None and (conv.assignee.id, conv.assignee.name) == ("3001", "Sam K.")
    assert conv.team == "Billing"  # the groups sideload comes after the tickets in the file
    assert conv.created_at == datetime(2025, 3, 3, 9, 58, 11, tzinfo=UTC)
    assert conv.closed_at == datetime(2025, 3, 3, 10, 30, tzinfo=UTC)  # metric_set.solved_at
    assert conv.satisfaction is not None
    assert (conv.satisfaction.score, conv.satisfaction.scale) == (1.0, "bad/good")
    assert conv.satisfaction.comment == "Quick fix, thanks"


def test_comments_become_messages_in_time_order_without_the_description() -> None:
    conv = read(FIX / "api_tickets.json")[0]["48213"]
    assert [m.id for m in conv.messages] == ["1701", "1702", "1703"]  # 1703 comes before 1702 in the file
    assert [m.role for m in conv.messages] == [Role.customer, Role.agent, Role.agent]
    assert [m.is_internal for m in conv.messages] == [False, True, False]
    assert conv.messages[0].text == "I returned order 1234 two weeks ago and still no refund."
    assert conv.messages[0].author_name == "Dana R."
    assert not any(m.id.endswith(":desc") for m in conv.messages)


def test_triggers_and_system_user_are_automated() -> None:
    conv = read(FIX / "api_tickets.json")[0]["48214"]
    by_id = {m.id: m for m in conv.messages}
    assert by_id["1802"].role is Role.system and by_id["1802"].is_automated
    assert by_id["1803"].role is Role.agent and by_id["1803"].is_automated  # via rule (automation)
    assert not by_id["1801"].is_automated
    assert "1804" not in by_id  # attachment only, no text
    assert conv.status == "on_hold"
    assert conv.satisfaction is None  # "offered" is not a rating
    assert conv.team == "Logistics"
    assert conv.assignee is not None and conv.assignee.name == "Alex M."  # admin -> agent side


def test_description_is_the_first_message_when_there_are_no_comments() -> None:
    conv = read(FIX / "api_tickets.json")[0]["48215"]
    assert len(conv.messages) == 1
    msg = conv.messages[0]
    assert (msg.id, msg.role, msg.author) == ("48215:desc", Role.customer, "9003")
    assert msg.text == "Could you send me a copy of invoice INV-77?"
    assert msg.sent_at == conv.created_at
    assert (conv.channel, conv.channel_raw) == ("other", "web_service")  # via id 5
    assert conv.status == "open"  # new -> open
    assert conv.team == "99"  # group not in the sideload: its id
    assert conv.assignee is None


def test_ticket_comments_users_document_strips_html_quote(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="qa_toolkit.importers.zendesk"):
        convs, rejects = read(FIX / "ticket_comments_users.json")
    assert rejects == []
    conv = convs["50001"]
    by_id = {m.id: m for m in conv.messages}
    quoted = by_id["2003"]
    assert quoted.text == "That worked, thank you!"
    assert quoted.raw_text is not None and "gmail_quote" in quoted.raw_text
    # 7001 is not in users but is the requester; 4444 is unknown -> agent
    assert (quoted.role, quoted.author_name) == (Role.customer, "Jo Smith")
    assert by_id["2004"].role is Role.agent and by_id["2004"].is_internal
    assert conv.team == "Accounts"
    assert conv.satisfaction is not None and conv.satisfaction.score == 0.0
    assert conv.customer.name == "Jo Smith"  # from via.source.from
    assert "roles were inferred" in caplog.text


def test_array_of_tickets_and_one_line_document(tmp_path: Path) -> None:
    doc = json.loads((FIX / "api_tickets.json").read_text())
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps(doc["tickets"]))
    one = tmp_path / "one.json"
    one.write_text(json.dumps(doc))  # minified on one line: still a document, not NDJSON
    assert sorted(read(arr)[0]) == ["48213", "48214", "48215"]
    convs, rejects = read(one)
    assert sorted(convs) == ["48213", "48214", "48215"] and rejects == []
    assert convs["48213"].team == "Billing"


def test_long_first_line_is_still_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zd, "_PROBE_CHARS", 64)
    doc = json.loads((FIX / "api_tickets.json").read_text())
    one = tmp_path / "one.json"
    one.write_text(json.dumps(doc))
    assert zd.detect_json_layout(one, container_keys=frozenset({"tickets"})) == "document"
    assert zd.detect_json_layout(FIX / "export.ndjson", container_keys=frozenset({"tickets"})) == "ndjson"
    assert sorted(read(one)[0]) == ["48213", "48214", "48215"]


# --------------------------------------------------------------------------- NDJSON export


def test_ndjson_export_knows_users_and_groups_from_later_lines() -> None:
    convs, rejects = read(FIX / "export.ndjson")
    assert rejects == []  # user, group and organization lines are not conversations
    assert sorted(convs) == ["70001", "70002"]
    conv = convs["70001"]
    assert (conv.channel, conv.channel_raw) == ("messaging", "native_messaging")
    assert conv.customer.name == "Rae T."
    assert conv.assignee is not None and conv.assignee.name == "Noor A."
    assert conv.team == "Returns"
    assert [m.role for m in conv.messages] == [Role.customer, Role.agent, Role.customer]
    assert len(conv.messages) == 3  # the description repeats comment 1 and is not added


def test_unknown_author_gets_a_hinted_role() -> None:
    conv = read(FIX / "export.ndjson")[0]["70002"]
    assert conv.customer.name == "Kay"  # the ticket's embedded users
    assert [(m.author, m.role) for m in conv.messages] == [("5002", Role.customer), ("5999", Role.agent)]
    assert conv.satisfaction is None  # "unoffered"
    assert conv.channel == "social"


@pytest.mark.parametrize(
    ("author_id", "users", "expected"),
    [
        (10, [], Role.customer),  # the requester
        (-1, [], Role.system),
        (55, [], Role.agent),
        (55, [{"id": 55, "role": "end-user", "name": "Cc Person"}], Role.customer),
        (55, [{"id": 55, "role": "agent", "name": "Answer Bot"}], Role.bot),
        (55, [{"id": 55, "role": "admin", "name": "Kim"}], Role.agent),
    ],
)
def test_author_roles(tmp_path: Path, author_id: int, users: list[dict[str, Any]], expected: Role) -> None:
    comments = [
        {"id": 1, "author_id": 10, "plain_body": "Question", "created_at": "2025-01-01T10:00:00Z"},
        {"id": 2, "author_id": author_id, "plain_body": "Some text", "created_at": "2025-01-01T10:01:00Z"},
    ]
    path = write_ndjson(tmp_path, ticket(comments=comments, users=users))
    conv = read(path)[0]["1"]
    assert conv.messages[1].role is expected
    assert conv.messages[1].is_automated is (author_id == -1)


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("email", "email"),
        ("web", "web_form"),
        ("chat", "chat"),
        ("native_messaging", "messaging"),
        ("twitter", "social"),
        ("facebook", "social"),
        ("voice", "phone"),
        ("api", "other"),
        ("rule", "other"),
        (4, "email"),
        ("29", "chat"),
        (33, "phone"),
        (999, "other"),
        (None, "other"),
    ],
)
def test_channel_lookup(tmp_path: Path, channel: Any, expected: str) -> None:
    conv = read(write_ndjson(tmp_path, ticket(via={"channel": channel})))[0]["1"]
    assert conv.channel == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [("new", "open"), ("open", "open"), ("pending", "pending"), ("hold", "on_hold"), ("solved", "solved"),
     ("closed", "closed"), ("Weird", "weird"), (None, None), (3, None)],
)  # fmt: skip
def test_status_lookup(tmp_path: Path, status: Any, expected: str | None) -> None:
    assert read(write_ndjson(tmp_path, ticket(status=status)))[0]["1"].status == expected


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ({"score": "good", "comment": "yay"}, (1.0, "yay")),
        ({"score": "bad", "comment": ""}, (0.0, None)),
        ("good", (1.0, None)),
        ({"score": "offered"}, None),
        ({"score": "unoffered"}, None),
        ("unoffered", None),
        (None, None),
        (5, None),
        ({"score": 5}, None),
    ],
)
def test_satisfaction(tmp_path: Path, rating: Any, expected: tuple[float, str | None] | None) -> None:
    conv = read(write_ndjson(tmp_path, ticket(satisfaction_rating=rating)))[0]["1"]
    if expected is None:
        assert conv.satisfaction is None
    else:
        assert conv.satisfaction is not None
        assert (conv.satisfaction.score, conv.satisfaction.comment) == expected
        assert conv.satisfaction.scale == "bad/good"


def test_body_preference_plain_then_body_then_html(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "author_id": 10, "plain_body": "plain", "body": "body", "html_body": "<p>html</p>"},
        {"id": 2, "author_id": 10, "body": "body only", "html_body": "<p>html</p>"},
        {"id": 3, "author_id": 10, "html_body": "<p>only <b>html</b></p>"},
    ]
    conv = read(write_ndjson(tmp_path, ticket(comments=comments)))[0]["1"]
    assert [m.text for m in conv.messages] == ["plain", "body only", "only html"]
    assert conv.messages[2].raw_text == "<p>only <b>html</b></p>"


def test_source_option_overrides_the_name() -> None:
    convs, _ = read(FIX / "export.ndjson", source="acme-zendesk")
    assert {c.source for c in convs.values()} == {"acme-zendesk"}


# --------------------------------------------------------------------------- legacy chat


def test_chat_transcript_is_split_into_messages() -> None:
    convs, rejects = read(FIX / "single_ticket.json")
    assert rejects == []
    conv = convs["60001"]
    assert conv.channel == "chat"
    got = [(m.id, m.role, m.author_name) for m in conv.messages]
    assert got == [
        ("3001:1", Role.customer, "Visitor 88231"),
        ("3001:2", Role.bot, "Answer Bot"),
        ("3001:3", Role.customer, "Visitor 88231"),
        ("3001:4", Role.agent, "Priya N."),
        ("3001:5", Role.customer, "Visitor 88231"),
        ("3001:6", Role.agent, "Priya N."),
        ("3002", Role.agent, "Priya N."),
    ]
    assert conv.messages[0].sent_at == datetime(2025, 5, 10, 14, 2, 13, tzinfo=UTC)
    assert conv.messages[4].text == "SPRING25\nit says expired"  # a continuation line
    assert conv.messages[3].author == "3003"  # agent name resolved through users
    assert conv.messages[0].author == "8801"
    assert conv.messages[-1].is_internal
    assert not any("joined the chat" in m.text for m in conv.messages)


def test_split_chat_transcript_rolls_over_midnight_in_the_given_zone() -> None:
    text = (
        "Chat started:\n"
        "(23:59:50) Visitor 1: anyone there?\n"
        "(00:00:10) Bob: Hello! Happy new year\n"
        "(12:00:01 AM) Visitor 1: thanks\n"
        "(12:30 PM) Bob: bye\n"
        "not a timed line, continues bye\n"
    )
    lines = zd.split_chat_transcript(text, day=date(2024, 12, 31), tz=ZoneInfo("Europe/Amsterdam"))
    assert [(x.name, x.text) for x in lines] == [
        ("Visitor 1", "anyone there?"),
        ("Bob", "Hello! Happy new year"),
        ("Visitor 1", "thanks"),
        ("Bob", "bye\nnot a timed line, continues bye"),
    ]
    assert [x.sent_at for x in lines] == [
        datetime(2024, 12, 31, 22, 59, 50, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 0, 10, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 0, 1, tzinfo=UTC),
        datetime(2025, 1, 1, 11, 30, tzinfo=UTC),
    ]


def test_chat_times_use_the_tz_option_when_the_header_has_no_zone(tmp_path: Path) -> None:
    body = "Chat started: 2025-02-03 09:00\n(09:00:05 AM) Sam Lee: hi\n(09:01:00 AM) Agent Ann: Hello Sam"
    comments = [{"id": 5, "author_id": 10, "plain_body": body, "created_at": "2025-02-03T08:30:00Z"}]
    path = write_ndjson(tmp_path, ticket(comments=comments, users=[{"id": 10, "role": "end-user", "name": "Sam Lee"}]))
    conv = read(path, tz="Europe/Amsterdam")[0]["1"]
    assert [(m.role, m.sent_at) for m in conv.messages] == [
        (Role.customer, datetime(2025, 2, 3, 8, 0, 5, tzinfo=UTC)),
        (Role.agent, datetime(2025, 2, 3, 8, 1, tzinfo=UTC)),
    ]


def test_a_comment_that_only_mentions_chat_started_is_kept_whole(tmp_path: Path) -> None:
    comments = [{"id": 5, "author_id": 10, "plain_body": "Chat started: but no timed lines follow"}]
    conv = read(write_ndjson(tmp_path, ticket(comments=comments)))[0]["1"]
    assert [m.id for m in conv.messages] == ["5"]


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (2, "not valid JSON"),
        (3, "not valid JSON"),
        (4, "ticket has no id"),
        (5, '"comments" must be an array'),
        (6, "not a timestamp"),
        (7, "an id must be a string or a number"),
        (8, "plain_body must be a string"),
        (9, "expected a JSON object"),
        (10, "no comments with text and no description"),
    ],
)
def test_malformed_ndjson_lines_are_rejected_with_a_reason(line: int, reason: str) -> None:
    convs, rejects = read(FIX / "malformed.ndjson")
    assert sorted(convs) == ["80001", "80007"]  # reading continues past every bad line
    by_location = {r.location: r.reason for r in rejects}
    assert reason in by_location[f"{FIX / 'malformed.ndjson'}:{line}"]


def test_truncated_document_yields_what_was_complete_then_a_reject() -> None:
    convs, rejects = read(FIX / "truncated.json")
    assert sorted(convs) == ["48213"]
    assert len(rejects) == 1
    assert rejects[0].location.endswith("truncated.json:record 2")
    assert "cut off" in rejects[0].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"hello, this is not json", "not a JSON document"),
        (b'"just a string"', "single JSON value"),
        (b'{"id": 1, "comments": [{"id": 1, "plain_', "not a complete JSON document"),
        (b'{"tickets": {"id": 1}}', '"tickets" must be an array'),
        (b'[{"id": 1, "comm', "not a complete JSON document"),
    ],
)
def test_unreadable_files_raise_import_file_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        list(get_importer("zendesk").read(path, ImportOptions()))


def test_missing_file_raises_import_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        list(get_importer("zendesk").read(tmp_path / "nope.json", ImportOptions()))


def test_bom_and_non_utf8_documents(tmp_path: Path) -> None:
    line = json.dumps(
        ticket(subject="Café crème", comments=[{"id": 1, "author_id": 10, "plain_body": "Déjà vu à Zürich"}])
    )
    bom = tmp_path / "bom.ndjson"
    bom.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    assert read(bom)[0]["1"].subject == "Café crème"
    doc = tmp_path / "latin1.json"
    pretty = json.dumps({"tickets": [json.loads(line)]}, ensure_ascii=False, indent=2)
    doc.write_bytes(pretty.encode("cp1252"))
    encoding = detect_encoding(doc, doc.read_bytes())  # a guess on so little text: any 8-bit codepage
    assert encoding not in ("utf-8", "utf-8-sig")
    convs, rejects = read(doc)  # transcoded to UTF-8 for ijson while streaming
    assert rejects == []
    assert convs["1"].messages[0].text == "Déjà vu à Zürich".encode("cp1252").decode(encoding)


def test_invalid_tz_option_is_a_clear_error() -> None:
    with pytest.raises(ImportFileError, match="time zone"):
        list(get_importer("zendesk").read(FIX / "export.ndjson", ImportOptions(tz="Mars/Olympus")))


def test_big_document_streams_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    padding = "x" * 4000
    with open(path, "w") as fh:
        fh.write('{"tickets": [')
        for i in range(2500):
            t = ticket(id=i, custom_note=padding, comments=[{"id": 1, "author_id": 10, "plain_body": f"Hi {i}"}])
            fh.write(("," if i else "") + json.dumps(t))
        fh.write('], "users": [{"id": 10, "role": "end-user", "name": "Big Customer"}]}')
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = 0
        for item in get_importer("zendesk").read(path, ImportOptions()):
            assert isinstance(item, ConversationIn) and item.customer.name == "Big Customer"
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2500
    assert peak < size / 3, f"peak {peak} bytes for a {size}-byte file"


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "name",
    ["api_tickets.json", "ticket_comments_users.json", "single_ticket.json", "export.ndjson", "malformed.ndjson",
     "truncated.json"],
)  # fmt: skip
def test_sniff_picks_zendesk_for_its_fixtures(name: str) -> None:
    assert sniff_format(FIX / name).name == "zendesk"


@pytest.mark.parametrize(
    "head",
    [
        CANONICAL_LINE,
        CANONICAL_LINE * 3,
        b"id,role,text\n1,customer,hi\n",
        b'{"type": "conversation", "id": "1", "source": {"author": {"type": "user"}}, "conversation_parts": {}}',
        b'{"ticket": {"id": 1, "description_text": "x", "responder_id": 2, "requester_id": 3},'
        b' "conversations": [{"body_text": "y", "incoming": true}]}',
        b"\x00\x01\x02 random",
    ],
)
def test_sniff_is_low_for_other_formats(tmp_path: Path, head: bytes) -> None:
    assert get_importer("zendesk").sniff(tmp_path / "x", head) < 0.3


@pytest.mark.parametrize("name", ["record.json", "records.json", "tickets_doc.json", "export.ndjson"])
def test_sniff_is_low_for_freshdesk_fixtures(name: str) -> None:
    path = OTHER_FIXTURES / name
    if not path.exists():
        pytest.skip("freshdesk fixtures not present")
    assert get_importer("zendesk").sniff(path, path.read_bytes()[:65536]) < 0.3


# --------------------------------------------------------------------------- never a traceback

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
TIMES = st.one_of(JSON, st.sampled_from(["2025-01-01T10:00:00Z", "1735725600", "not a time"]), st.integers())
COMMENT_FIELDS = {
    "id": JSON,
    "author_id": st.one_of(JSON, st.sampled_from([-1, 10, 20])),
    "public": JSON,
    "created_at": TIMES,
    "plain_body": st.one_of(JSON, st.text(), st.just("Chat started:\n(10:00:00 AM) X: hi\n(99:99) Y: z")),
    "body": st.one_of(JSON, st.text()),
    "html_body": st.one_of(JSON, st.text(), st.just("<p>hi<blockquote>old</blockquote></p>")),
    "via": st.one_of(JSON, st.fixed_dictionaries({"channel": JSON})),
}
COMMENT = st.fixed_dictionaries({}, optional=COMMENT_FIELDS)
TEXT_COMMENT = st.fixed_dictionaries(
    {"plain_body": st.text(min_size=1)}, optional={k: v for k, v in COMMENT_FIELDS.items() if k != "plain_body"}
)
OPTIONAL_TICKET_FIELDS = {
    "url": st.one_of(JSON, st.sampled_from(["https://a.zendesk.com/api/v2/users/1.json", "x/tickets/1"])),
    "requester_id": st.one_of(JSON, st.just(10)),
    "assignee_id": JSON,
    "group_id": JSON,
    "group": JSON,
    "status": JSON,
    "tags": JSON,
    "via": st.one_of(JSON, st.fixed_dictionaries({"channel": JSON, "source": JSON})),
    "created_at": TIMES,
    "updated_at": TIMES,
    "metric_set": st.one_of(JSON, st.fixed_dictionaries({"solved_at": TIMES})),
    "satisfaction_rating": st.one_of(JSON, st.fixed_dictionaries({"score": JSON, "comment": JSON})),
    "description": JSON,
    "users": st.one_of(JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries({"id": JSON, "role": JSON})))),
}
# a valid skeleton (id, comments with text) with random values in every other field
PLAUSIBLE_TICKET = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1, max_value=10**12),
        "comments": st.lists(TEXT_COMMENT, min_size=1, max_size=4),
    },
    optional=OPTIONAL_TICKET_FIELDS,
)
TICKET = st.fixed_dictionaries(
    {},
    optional={
        **OPTIONAL_TICKET_FIELDS,
        "id": st.one_of(JSON, st.integers(min_value=1)),
        "comments": st.one_of(JSON, st.lists(st.one_of(COMMENT, JSON), max_size=4)),
        "ticket": JSON,
    },
)


def _read_never_crashes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            for item in get_importer("zendesk").read(path, ImportOptions()):
                assert isinstance(item, ConversationIn | Rejected)
        except ImportFileError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_raise_other_errors(data: bytes) -> None:
    _read_never_crashes(data, ".json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_random_json_documents_never_raise_other_errors(value: Any) -> None:
    _read_never_crashes(json.dumps(value).encode(), ".json")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PLAUSIBLE_TICKET, TICKET, JSON), min_size=1, max_size=4), st.booleans())
def test_random_tickets_never_raise_other_errors(records: list[Any], as_lines: bool) -> None:
    if as_lines:
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
    else:
        data = json.dumps({"tickets": records, "users": [{"id": 10, "role": "end-user"}]}, indent=1).encode()
    _read_never_crashes(data, ".ndjson" if as_lines else ".json")


def test_a_blank_id_counts_as_absent() -> None:
    # a blank comment id gets the made-up one (ticket:c<n>) instead of failing the ticket on an empty id
    assert zd.as_id(" ") is None and zd.as_id("") is None and zd.as_id(None) is None
    assert zd.as_id(" 42 ") == " 42 " and zd.as_id(42.0) == "42"
