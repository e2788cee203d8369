"""The canonical conversation model: what it accepts, normalises and rejects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from qa_toolkit.schema import ConversationIn, Satisfaction
from qa_toolkit.types import Role, normalise_channel

MINIMAL = {
    "id": "c-1",
    "channel": "twitter",
    "created_at": "2017-10-31T21:45:10Z",
    "customer": {"id": "115712"},
    "messages": [
        {"id": "8", "role": "customer", "author": "115712", "sent_at": "2017-10-31T21:45:10Z", "text": "hi"},
        {"id": "6", "role": "agent", "author": "sprintcare", "sent_at": None, "text": "hello"},
    ],
}


def test_minimal_record_from_the_issue_is_accepted() -> None:
    conv = ConversationIn.model_validate(MINIMAL)
    assert conv.channel == "social" and conv.channel_raw == "twitter"
    assert conv.messages[1].sent_at is None
    assert conv.messages[0].sent_at == datetime(2017, 10, 31, 21, 45, 10, tzinfo=UTC)
    assert conv.source == "jsonl"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("twitter", "social"), ("Facebook", "social"), ("e-mail", "email"), ("mail", "email"),
        ("native_messaging", "messaging"), ("whatsapp", "messaging"), ("voice", "phone"), ("web", "web_form"),
        ("chat", "chat"), ("carrier pigeon", "carrier_pigeon"), (None, "other"), ("", "other"),
    ],
)  # fmt: skip
def test_channels_are_normalised_and_unknown_ones_kept(raw: str | None, expected: str) -> None:
    assert normalise_channel(raw) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("customer", Role.customer), ("end-user", Role.customer), ("Visitor", Role.customer),
     ("admin", Role.agent), ("operator", Role.agent), ("fin", Role.bot), ("lineitem", Role.system)],
)  # fmt: skip
def test_role_synonyms(role: str, expected: Role) -> None:
    record = {"id": "c", "messages": [{"id": "1", "role": role, "text": "x"}]}
    assert ConversationIn.model_validate(record).messages[0].role is expected


def test_times_become_utc_and_numbers_become_string_ids() -> None:
    record = {
        "id": 42,
        "customer": {"id": 7},
        "messages": [
            {"id": 1, "role": "customer", "author_id": 7, "sent_at": "2025-03-05T08:00:00+01:00", "text": "a"},
            {"id": 2, "role": "agent", "sent_at": 1741000000, "text": "b"},
        ],
    }
    conv = ConversationIn.model_validate(record)
    assert conv.id == "42" and conv.customer.id == "7" and conv.messages[0].author == "7"
    assert conv.messages[0].sent_at == datetime(2025, 3, 5, 7, 0, tzinfo=UTC)
    assert conv.messages[1].sent_at.tzinfo is not None
    assert conv.created_at == conv.messages[1].sent_at  # filled from the earliest known message time


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"id": "c", "messages": []}, "at least one message"),
        ({"id": "c"}, "messages"),
        ({"id": "", "messages": [{"id": "1", "role": "customer"}]}, "must not be empty"),
        ({"id": "c", "messages": [{"id": "1", "role": "wizard"}]}, "unknown role 'wizard'"),
        ({"id": "c", "messages": [{"id": "1", "role": "customer"}, {"id": "1", "role": "agent"}]}, "occurs twice"),
        ({"id": "c", "messages": [{"id": "1", "role": "customer", "sent_at": "yesterday"}]}, "sent_at"),
        ({"id": "c", "channel": 5, "messages": [{"id": "1", "role": "customer"}]}, "channel must be a string"),
        ({"id": True, "messages": [{"id": "1", "role": "customer"}]}, "id"),
    ],
)  # fmt: skip
def test_invalid_records_say_what_is_wrong(record: dict, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        ConversationIn.model_validate(record)
    assert fragment in str(info.value)


def test_canonical_round_trip_is_exact() -> None:
    record = {
        **MINIMAL,
        "subject": "No signal",
        "status": "solved",
        "tags": ["network"],
        "assignee": {"id": "sprintcare/AB", "name": "AB"},
        "team": "sprintcare",
        "satisfaction": {"score": 4, "scale": "1-5", "comment": "ok"},
    }
    conv = ConversationIn.model_validate(record)
    again = ConversationIn.model_validate(conv.to_canonical())
    assert again == conv
    assert again.to_canonical() == conv.to_canonical()


@pytest.mark.parametrize(
    ("score", "scale", "expected"),
    [
        (4, "1-5", 0.75),
        (103, "-103..103", 1.0),
        (-103, "-103..103", 0.0),
        (100, "-103..103", 0.5),
        (1, "bad/good", 1.0),
        (0, "bad/good", 0.0),
        (1, "not-good/ok/great", 0.5),
        (3, "bad/good", None),
        (7, "0-10", 0.7),
        (None, "1-5", None),
    ],
)
def test_satisfaction_normalised(score: float | None, scale: str, expected: float | None) -> None:
    assert Satisfaction(score=score, scale=scale).normalised == expected
