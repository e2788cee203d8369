"""Tests for the Freshdesk importer: records as JSON or NDJSON, enums, roles, ratings, malformed files, sniffing."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import ImportOptions, Rejected, get_importer, sniff_format
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

FIX = Path(__file__).resolve().parent / "fixtures" / "freshdesk"
OTHER_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "zendesk"
CANONICAL_LINE = b'{"id":"c-1","messages":[{"id":"1","role":"customer","text":"hi"}]}\n'


def read(path: Path, **options: Any) -> tuple[dict[str, ConversationIn], list[Rejected]]:
    convs: dict[str, ConversationIn] = {}
    rejects: list[Rejected] = []
    for item in get_importer("freshdesk").read(path, ImportOptions(**options)):
        if isinstance(item, Rejected):
            rejects.append(item)
        else:
            assert item.id not in convs
            convs[item.id] = item
    return convs, rejects


def record(ticket: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base = {
        "id": 1,
        "requester_id": 10,
        "created_at": "2025-01-01T10:00:00Z",
        "source": 1,
        "status": 2,
        "description_text": "Hello",
    }
    return {"ticket": {**base, **(ticket or {})}, **fields}


def one(tmp_path: Path, rec: Any) -> ConversationIn:
    path = tmp_path / "one.ndjson"
    path.write_text(json.dumps(rec) + "\n")
    convs, rejects = read(path)
    assert rejects == [], rejects
    return convs["1"]


# --------------------------------------------------------------------------- a full record


def test_record_maps_ticket_fields() -> None:
    convs, rejects = read(FIX / "record.json")
    assert rejects == []
    conv = convs["5521"]
    assert conv.source == "freshdesk"
    assert (conv.channel, conv.channel_raw) == ("email", "email")
    assert conv.status == "solved"  # 4 Resolved
    assert conv.subject == "Parcel marked delivered"
    assert conv.tags == ["shipping"]
    assert (conv.customer.id, conv.customer.name) == ("77001", "Dana R.")
    assert conv.assignee is not None and (conv.assignee.id, conv.assignee.name) == ("66001", "Sam K.")
    assert conv.team == "14"
    assert conv.closed_at == datetime(2025, 3, 4, 12, 0, tzinfo=UTC)  # stats.resolved_at


def test_description_is_the_first_message_and_conversations_follow_in_time_order() -> None:
    conv = read(FIX / "record.json")[0]["5521"]
    assert [m.id for m in conv.messages] == ["5521:desc", "900101", "900102", "900103"]
    first = conv.messages[0]
    assert (first.role, first.author, first.author_name) == (Role.customer, "77001", "Dana R.")
    assert first.sent_at == conv.created_at
    assert first.text == "Tracking says delivered but nothing arrived."  # description_text over description
    assert [m.role for m in conv.messages] == [Role.customer, Role.agent, Role.agent, Role.customer]
    assert [m.is_internal for m in conv.messages] == [False, True, False, False]


def test_quoted_reply_is_stripped_and_raw_kept() -> None:
    msg = {m.id: m for m in read(FIX / "record.json")[0]["5521"].messages}["900103"]
    assert msg.text == "Thanks!"
    assert msg.raw_text is not None and "wrote:" in msg.raw_text


def test_survey_feedback_is_not_a_message_and_latest_rating_wins() -> None:
    conv = read(FIX / "record.json")[0]["5521"]
    assert "900104" not in {m.id for m in conv.messages}  # source 6
    assert conv.satisfaction is not None
    assert (conv.satisfaction.score, conv.satisfaction.scale) == (103.0, "-103..103")
    assert conv.satisfaction.comment == "Fast"
    assert conv.satisfaction.normalised == 1.0


def test_outbound_email_bot_and_forward() -> None:
    convs, rejects = read(FIX / "records.json")
    assert rejects == [] and sorted(convs) == ["6001", "6002", "6003"]
    outbound = convs["6001"]
    assert (outbound.channel, outbound.channel_raw) == ("email", "outbound_email")
    desc = outbound.messages[0]
    assert (desc.id, desc.role, desc.author_name) == ("6001:desc", Role.agent, "Ana L.")
    assert desc.text.startswith("Hello Max, your plan renews next week.")  # HTML description to text
    by_id = {m.id: m for m in outbound.messages}
    assert by_id["910001"].text == "Please cancel it."  # HTML Gmail quote stripped
    assert by_id["910003"].is_internal  # forwarded to a third party (source 8)
    assert outbound.status == "closed"
    bot = convs["6002"]
    assert (bot.channel, bot.channel_raw) == ("chat", "bot")
    assert [m.role for m in bot.messages] == [Role.customer, Role.bot, Role.customer]
    assert bot.satisfaction is None
    assert convs["6003"].status == "pending"  # 6 Waiting on Customer


def test_tickets_document_with_sideloads_after_the_tickets() -> None:
    convs, rejects = read(FIX / "tickets_doc.json")
    assert rejects == []
    conv = convs["7001"]
    assert conv.assignee is not None and conv.assignee.name == "Ola W."
    assert conv.customer.name == "Ira S."
    # no "incoming" in these conversations: the role comes from the agent and contact lists
    assert [(m.id, m.role) for m in conv.messages] == [
        ("7001:desc", Role.customer),
        ("940001", Role.agent),
        ("940002", Role.customer),
    ]
    assert (conv.channel, conv.status) == ("web_form", "pending")


def test_ndjson_records() -> None:
    convs, rejects = read(FIX / "export.ndjson")
    assert rejects == []
    assert (convs["8001"].channel, convs["8001"].messages[1].author_name) == ("phone", "Phone Agent")
    odd = convs["8002"]
    assert (odd.channel, odd.channel_raw, odd.status) == ("other", "source_99", "custom_11")


def test_single_bare_ticket_document(tmp_path: Path) -> None:
    path = tmp_path / "bare.json"
    bare = {
        "id": 42,
        "requester_id": 5,
        "source": 7,
        "status": 5,
        "description": "<p>Hi <b>there</b></p>",
        "requester": {"id": 5, "name": "Pat"},
        "conversations": [{"id": 1, "user_id": 9, "incoming": False, "body_text": "Hello Pat"}],
    }
    path.write_text(json.dumps(bare, indent=2))
    conv = read(path)[0]["42"]
    assert [m.text for m in conv.messages] == ["Hi there", "Hello Pat"]
    assert (conv.customer.name, conv.channel, conv.status) == ("Pat", "chat", "closed")


def test_source_option_overrides_the_name() -> None:
    convs, _ = read(FIX / "records.json", source="fd-eu")
    assert {c.source for c in convs.values()} == {"fd-eu"}


# --------------------------------------------------------------------------- lookup tables


@pytest.mark.parametrize(
    ("source", "channel", "raw"),
    [
        (1, "email", "email"),
        (2, "web_form", "portal"),
        (3, "phone", "phone"),
        (5, "social", "twitter"),
        (6, "social", "facebook"),
        (7, "chat", "chat"),
        (8, "messaging", "mobihelp"),
        (9, "web_form", "feedback_widget"),
        (10, "email", "outbound_email"),
        (12, "chat", "bot"),
        ("7", "chat", "chat"),
        (42, "other", "source_42"),
        (None, "other", None),
    ],
)
def test_ticket_source_lookup(tmp_path: Path, source: Any, channel: str, raw: str | None) -> None:
    conv = one(tmp_path, record({"source": source}))
    assert (conv.channel, conv.channel_raw) == (channel, raw)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(2, "open"), (3, "pending"), (4, "solved"), (5, "closed"), (6, "pending"), (7, "on_hold"),
     (9, "custom_9"), ("Resolved", "solved"), ("4", "solved"), (None, None)],
)  # fmt: skip
def test_status_lookup(tmp_path: Path, status: Any, expected: str | None) -> None:
    assert one(tmp_path, record({"status": status})).status == expected


def test_spam_flag_wins(tmp_path: Path) -> None:
    assert one(tmp_path, record({"spam": True, "status": 5})).status == "spam"


@pytest.mark.parametrize(
    ("conv", "role", "internal"),
    [
        ({"incoming": True, "private": False, "source": 0}, Role.customer, False),
        ({"incoming": False, "private": False, "source": 0}, Role.agent, False),
        ({"incoming": False, "private": True, "source": 2}, Role.agent, True),
        ({"incoming": False, "private": False, "source": 2}, Role.agent, False),  # a public note
        ({"incoming": False, "private": False, "source": 12}, Role.bot, False),
        ({"incoming": False, "private": False, "source": 8}, Role.agent, True),
        ({"user_id": 10}, Role.customer, False),  # no incoming flag: the requester
        ({"user_id": 99}, Role.agent, False),
        ({"incoming": "true", "private": 0}, Role.customer, False),
    ],
)
def test_conversation_roles(tmp_path: Path, conv: dict[str, Any], role: Role, internal: bool) -> None:
    body = {"id": 5, "body_text": "text", "created_at": "2025-01-01T11:00:00Z", **conv}
    msg = one(tmp_path, record(conversations=[body])).messages[1]
    assert (msg.role, msg.is_internal) == (role, internal)


def test_body_text_preferred_over_html_body(tmp_path: Path) -> None:
    convs = [
        {"id": 5, "body_text": "plain", "body": "<p>html</p>"},
        {"id": 6, "body": "<div>only <i>html</i></div>"},
        {"id": 7, "body": "", "body_text": ""},  # empty: dropped
    ]
    conv = one(tmp_path, record(conversations=convs))
    assert [m.text for m in conv.messages] == ["Hello", "plain", "only html"]


@pytest.mark.parametrize(
    ("ratings", "score", "comment"),
    [
        ([{"ratings": {"default_question": 103}, "feedback": "great"}], 103.0, "great"),
        ([{"ratings": {"default_question": -103}}], -103.0, None),
        ([{"ratings": {"default_question": "100"}, "feedback": " ok "}], 100.0, "ok"),
        ({"ratings": {"default_question": 102}}, 102.0, None),  # one rating object, not a list
        ([{"ratings": {"question_1": 3}}], None, None),  # only custom questions
        ([{"ticket_id": 999, "ratings": {"default_question": 103}}], None, None),  # another ticket's
        ([], None, None),
        ("bad", None, None),
    ],
)
def test_satisfaction_ratings(tmp_path: Path, ratings: Any, score: float | None, comment: str | None) -> None:
    conv = one(tmp_path, record(satisfaction_ratings=ratings))
    if score is None:
        assert conv.satisfaction is None
    else:
        assert conv.satisfaction is not None
        assert (conv.satisfaction.score, conv.satisfaction.scale, conv.satisfaction.comment) == (
            score,
            "-103..103",
            comment,
        )


def test_survey_feedback_fills_an_empty_rating_comment(tmp_path: Path) -> None:
    rec = record(
        conversations=[{"id": 5, "source": 6, "incoming": True, "body_text": "Loved the quick reply"}],
        satisfaction_ratings=[{"ratings": {"default_question": 103}, "feedback": ""}],
    )
    conv = one(tmp_path, rec)
    assert conv.satisfaction is not None and conv.satisfaction.comment == "Loved the quick reply"
    assert [m.id for m in conv.messages] == ["1:desc"]


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (2, "not valid JSON"),
        (3, "ticket has no id"),
        (4, '"ticket" must be an object'),
        (5, '"conversations" must be an array'),
        (6, "unix time out of range"),
        (7, "expected true or false"),
        (8, "no description and no conversations"),
        (9, "expected a JSON object"),
        (10, "not a Freshdesk record"),
    ],
)
def test_malformed_ndjson_lines_are_rejected_with_a_reason(line: int, reason: str) -> None:
    convs, rejects = read(FIX / "malformed.ndjson")
    assert sorted(convs) == ["8001", "8002"]
    by_location = {r.location: r.reason for r in rejects}
    assert reason in by_location[f"{FIX / 'malformed.ndjson'}:{line}"]


def test_truncated_document_yields_what_was_complete_then_a_reject() -> None:
    convs, rejects = read(FIX / "truncated.json")
    assert sorted(convs) == ["6001"]
    assert len(rejects) == 1 and rejects[0].location.endswith("truncated.json:record 2")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"no json here", "not a JSON document"),
        (b"123", "single JSON value"),
        (b'{"ticket": {"id": 1, "descr', "not a complete JSON document"),
        (b'{"tickets": "none"}', '"tickets" must be an array'),
    ],
)
def test_unreadable_files_raise_import_file_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        list(get_importer("freshdesk").read(path, ImportOptions()))


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "name", ["record.json", "records.json", "tickets_doc.json", "export.ndjson", "malformed.ndjson", "truncated.json"]
)
def test_sniff_picks_freshdesk_for_its_fixtures(name: str) -> None:
    assert sniff_format(FIX / name).name == "freshdesk"


@pytest.mark.parametrize(
    "head",
    [
        CANONICAL_LINE,
        CANONICAL_LINE * 3,
        b"conversation_id,message_id,message_body\n1,2,hi\n",
        b'{"id": 1, "via": {"channel": "email"}, "requester_id": 2, "assignee_id": 3,'
        b' "comments": [{"author_id": 2, "plain_body": "x", "public": true}]}',
        b'{"type": "conversation", "conversation_parts": {"conversation_parts": []}, "source": {"body": "x"}}',
    ],
)
def test_sniff_is_low_for_other_formats(tmp_path: Path, head: bytes) -> None:
    assert get_importer("freshdesk").sniff(tmp_path / "x", head) < 0.3


@pytest.mark.parametrize(
    "name", ["api_tickets.json", "export.ndjson", "single_ticket.json", "ticket_comments_users.json"]
)
def test_sniff_is_low_for_zendesk_fixtures(name: str) -> None:
    path = OTHER_FIXTURES / name
    if not path.exists():
        pytest.skip("zendesk fixtures not present")
    assert get_importer("freshdesk").sniff(path, path.read_bytes()[:65536]) < 0.3


# --------------------------------------------------------------------------- never a traceback

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
TIMES = st.one_of(JSON, st.sampled_from(["2025-01-01T10:00:00Z", "1735725600", "soon"]))
CONVERSATION = st.fixed_dictionaries(
    {"body_text": st.text(min_size=1)},
    optional={
        "id": JSON,
        "user_id": st.one_of(JSON, st.sampled_from([10, 20])),
        "incoming": JSON,
        "private": JSON,
        "source": st.one_of(JSON, st.sampled_from([0, 2, 6, 8, 12])),
        "body": st.one_of(JSON, st.text()),
        "created_at": TIMES,
    },
)
TICKET_FIELDS = {
    "requester_id": st.one_of(JSON, st.just(10)),
    "responder_id": JSON,
    "group_id": JSON,
    "source": JSON,
    "status": JSON,
    "spam": JSON,
    "tags": JSON,
    "subject": JSON,
    "created_at": TIMES,
    "description": st.one_of(JSON, st.text()),
    "stats": st.one_of(JSON, st.fixed_dictionaries({"resolved_at": TIMES})),
}
PLAUSIBLE = st.fixed_dictionaries(
    {
        "ticket": st.fixed_dictionaries(
            {"id": st.integers(min_value=1), "description_text": st.text(min_size=1)}, optional=TICKET_FIELDS
        )
    },
    optional={
        "conversations": st.one_of(JSON, st.lists(st.one_of(CONVERSATION, JSON), max_size=4)),
        "satisfaction_ratings": st.one_of(
            JSON, st.lists(st.fixed_dictionaries({"ratings": JSON, "feedback": JSON, "ticket_id": JSON}))
        ),
        "requester": JSON,
        "agents": JSON,
        "contacts": JSON,
    },
)
WILD = st.fixed_dictionaries(
    {}, optional={"ticket": JSON, "conversations": JSON, "satisfaction_ratings": JSON, "id": JSON, "agents": JSON}
)


def _read_never_crashes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            for item in get_importer("freshdesk").read(path, ImportOptions()):
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
@given(st.lists(st.one_of(PLAUSIBLE, WILD, JSON), min_size=1, max_size=4), st.sampled_from(["lines", "list", "doc"]))
def test_random_records_never_raise_other_errors(records: list[Any], layout: str) -> None:
    if layout == "lines":
        data = "".join(json.dumps(r) + "\n" for r in records)
    elif layout == "list":
        data = json.dumps(records, indent=1)
    else:
        data = json.dumps({"tickets": records, "agents": [{"id": 20, "contact": {"name": "Bot"}}]})
    _read_never_crashes(data.encode(), ".json")
