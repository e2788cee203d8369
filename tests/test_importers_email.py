"""Tests for the e-mail importer: mbox, .eml, directories and Maildir; threading, roles, bodies, sniffing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers import get_importer
from qa_toolkit.importers.base import ImportOptions, Rejected
from qa_toolkit.importers.email import EmailImporter, clean_subject
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

EMAIL = Path(__file__).resolve().parent / "fixtures" / "email"
IMPORTER = EmailImporter()


def read_all(path: Path, **options: object) -> tuple[list[ConversationIn], list[Rejected]]:
    convs: list[ConversationIn] = []
    rejects: list[Rejected] = []
    for item in IMPORTER.read(path, ImportOptions(**options)):  # type: ignore[arg-type]
        (rejects if isinstance(item, Rejected) else convs).append(item)  # type: ignore[arg-type]
    return convs, rejects


def mail(body: str = "Hello.", **headers: str) -> str:
    """One RFC 5322 message; keyword headers use _ for - (message_id -> Message-ID)."""
    names = {"message_id": "Message-ID", "in_reply_to": "In-Reply-To", "x_gm_thrid": "X-GM-THRID"}
    lines = [f"{names.get(k, k.rstrip('_').replace('_', '-').title())}: {v}" for k, v in headers.items()]
    return "\n".join(lines) + "\n\n" + body + "\n"


def write_mbox(path: Path, *mails: str) -> Path:
    path.write_text("".join(f"From sender@example.com Mon Jan  6 10:00:00 2025\n{m}\n" for m in mails))
    return path


def by_id(convs: list[ConversationIn]) -> dict[str, ConversationIn]:
    return {c.id: c for c in convs}


# --------------------------------------------------------------------------- the two-thread mbox


@pytest.fixture(scope="module")
def support_mbox() -> dict[str, ConversationIn]:
    convs, rejects = read_all(EMAIL / "support.mbox")
    assert rejects == []
    return by_id(convs)


def test_mbox_two_threads_in_file_order(support_mbox: dict[str, ConversationIn]) -> None:
    assert list(support_mbox) == ["a1@mail.example.com", "b1@voorbeeld.nl"]
    for conv in support_mbox.values():
        assert conv.source == "email" and conv.channel == "email"


def test_references_thread_ordered_by_date(support_mbox: dict[str, ConversationIn]) -> None:
    conv = support_mbox["a1@mail.example.com"]
    # a4 precedes a3 in the file; Date order puts it last
    assert [m.id for m in conv.messages] == [
        "a1@mail.example.com",
        "ack-a1@acme.example",
        "a3@acme.example",
        "a4@mail.example.com",
    ]
    assert [m.role for m in conv.messages] == [Role.customer, Role.agent, Role.agent, Role.customer]
    assert [m.is_automated for m in conv.messages] == [False, True, False, False]
    assert conv.subject == "Refund not received"
    assert conv.created_at == datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
    assert conv.customer.id == "dana@example.com" and conv.customer.name == "Dana Rémy"  # RFC 2047
    assert conv.assignee is not None and conv.assignee.id == "sam@acme.example"  # not the auto-ack


@pytest.mark.parametrize(
    ("msg_id", "text", "raw_contains"),
    [
        ("a3@acme.example", "Hi Dana,\n\nThe refund went out today; it should arrive within 3 days.", "wrote:"),
        ("a4@mail.example.com", "Thanks, it arrived today.", "Sent from my iPhone"),
    ],
)
def test_quotes_and_signatures_stripped(
    support_mbox: dict[str, ConversationIn], msg_id: str, text: str, raw_contains: str
) -> None:
    msg = next(m for m in support_mbox["a1@mail.example.com"].messages if m.id == msg_id)
    assert msg.text == text
    assert msg.raw_text is not None and raw_contains in msg.raw_text


def test_unescaped_from_line_stays_in_the_body(support_mbox: dict[str, ConversationIn]) -> None:
    first = support_mbox["a1@mail.example.com"].messages[0]
    assert "From what I can see in my bank app" in first.text


def test_in_reply_to_only_thread_dutch(support_mbox: dict[str, ConversationIn]) -> None:
    conv = support_mbox["b1@voorbeeld.nl"]
    assert [m.id for m in conv.messages] == ["b1@voorbeeld.nl", "b2@acme.example", "b3@voorbeeld.nl"]
    assert conv.subject == "Wachtwoord werkt niet – dringend"  # RFC 2047 encoded-word
    assert "één dag" in conv.messages[0].text  # quoted-printable UTF-8
    assert conv.messages[1].text == "Hoi Piet,\n\nIk heb je wachtwoord gereset. Probeer het nog eens."
    assert conv.messages[2].text == "Dank je, het werkt nu!"  # "Op ... schreef ...:" cut
    assert conv.messages[2].raw_text is not None and "schreef" in conv.messages[2].raw_text


def test_crlf_mbox_reads_the_same(tmp_path: Path, support_mbox: dict[str, ConversationIn]) -> None:
    crlf = tmp_path / "crlf.mbox"
    crlf.write_bytes((EMAIL / "support.mbox").read_bytes().replace(b"\n", b"\r\n"))
    convs, rejects = read_all(crlf)
    assert rejects == []
    assert {c.id: [(m.id, m.role, m.text) for m in c.messages] for c in convs} == {
        c.id: [(m.id, m.role, m.text) for m in c.messages] for c in support_mbox.values()
    }


def test_source_option_overrides(tmp_path: Path) -> None:
    convs, _ = read_all(EMAIL / "support.mbox", source="acme-mail")
    assert {c.source for c in convs} == {"acme-mail"}


# --------------------------------------------------------------------------- subject fallback


def test_subject_fallback_joins_only_same_participants_within_30_days() -> None:
    convs, rejects = read_all(EMAIL / "subject_fallback.mbox")
    assert rejects == []
    threads = {c.id: [m.id for m in c.messages] for c in convs}
    assert threads == {
        "c1@example.org": ["c1@example.org", "c2@acme.example"],  # RE: reply without references
        "c3@example.org": ["c3@example.org"],  # same subject, another customer
        "c4@example.org": ["c4@example.org"],  # same customer, 48 days later
    }
    assert all(c.subject == "Invoice copy" for c in convs)


# --------------------------------------------------------------------------- directory of .eml files


@pytest.fixture(scope="module")
def inbox() -> ConversationIn:
    convs, rejects = read_all(EMAIL / "inbox")
    assert rejects == []
    assert len(convs) == 1
    return convs[0]


def test_directory_duplicate_kept_once_and_bounce_threaded(inbox: ConversationIn) -> None:
    assert inbox.id == "q1@example.net"
    assert [m.id for m in inbox.messages] == [
        "q1@example.net",
        "q2@shop.example",
        "bounce-1@mx.shop.example",
        "q3@example.net",
    ]
    bounce = inbox.messages[2]
    assert bounce.role is Role.system and bounce.is_automated
    assert "User unknown" in bounce.text


def test_inferred_support_includes_colleagues(inbox: ConversationIn) -> None:
    # support@shop.example receives the first message; mia@ shares its domain and never opens a thread
    assert [m.role for m in inbox.messages] == [Role.customer, Role.agent, Role.system, Role.customer]
    assert inbox.assignee is not None and inbox.assignee.id == "mia@shop.example"
    assert inbox.customer.id == "ola@example.net"


def test_html_only_gmail_quote_stripped(inbox: ConversationIn) -> None:
    html = inbox.messages[3]
    assert html.text == "Thanks Mia, it just arrived!"
    assert html.raw_text is not None and 'class="gmail_quote"' in html.raw_text


@pytest.mark.parametrize(
    ("support", "mia_role"),
    [(("@shop.example",), Role.agent), (("shop.example",), Role.agent), (("support@shop.example",), Role.customer)],
)
def test_explicit_support_addresses_decide(support: tuple[str, ...], mia_role: Role) -> None:
    convs, _ = read_all(EMAIL / "inbox", support_addresses=support)
    roles = {m.id: m.role for m in convs[0].messages}
    assert roles["q2@shop.example"] is mia_role
    assert roles["q1@example.net"] is Role.customer


def test_maildir_with_folders(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "new" / "1.host:2,").write_bytes((EMAIL / "inbox" / "01-question.eml").read_bytes())
    (tmp_path / ".Sent" / "cur" / "2.host:2,S").write_bytes((EMAIL / "inbox" / "02-answer.eml").read_bytes())
    (tmp_path / "cur" / "3.host:2,S").write_bytes((EMAIL / "inbox" / "02-answer.eml").read_bytes())
    convs, rejects = read_all(tmp_path)
    assert rejects == []
    assert [[m.id for m in c.messages] for c in convs] == [["q1@example.net", "q2@shop.example"]]


def test_directory_with_a_non_mail_file_rejects_it(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes((EMAIL / "inbox" / "01-question.eml").read_bytes())
    (tmp_path / "b.eml").write_text("just some notes, not an e-mail\n")
    convs, rejects = read_all(tmp_path)
    assert [c.id for c in convs] == ["q1@example.net"]
    assert [r.location for r in rejects] == [str(tmp_path / "b.eml")]


# --------------------------------------------------------------------------- charsets and dates


def test_broken_charset_and_received_fallback() -> None:
    convs, rejects = read_all(EMAIL / "broken_charset.eml")
    assert rejects == [] and len(convs) == 1
    conv = convs[0]
    assert conv.subject == "Café order"
    msg = conv.messages[0]
    assert "café" in msg.text and "René" in msg.text  # latin-1 bytes declared as UTF-8
    assert msg.sent_at == datetime(2025, 3, 14, 9, 0, tzinfo=UTC)  # topmost Received:, not the second
    assert msg.author == "rene@example.com"


@pytest.mark.parametrize(
    ("raw_subject", "subject"),
    [
        ("Geen café – kapot".encode(), "Geen café – kapot"),  # raw 8-bit UTF-8
        ("Été latin".encode("latin-1"), "Été latin"),  # raw 8-bit Latin-1: Windows-1252, not U+FFFD
        (b"=?iso-8859-1?q?=C9t=E9?= =?utf-8?b?IGxhdGlu?=", "Été latin"),  # RFC 2047, two words
    ],
)
def test_header_charsets(tmp_path: Path, raw_subject: bytes, subject: str) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(b"From: zoe@example.com\nSubject: " + raw_subject + b"\nMessage-ID: <s@x>\n\nHallo\n")
    convs, _ = read_all(path)
    assert convs[0].subject == subject


def test_unknown_charset_and_no_date() -> None:
    convs, _ = read_all(EMAIL / "unknown_charset.eml")
    msg = convs[0].messages[0]
    assert msg.text == "Prijs: 12 €, graag een offerte."
    assert msg.sent_at is None and convs[0].created_at is None


# --------------------------------------------------------------------------- threading table


def _day(hour: int) -> str:
    return f"Mon, 06 Jan 2025 {hour:02d}:00:00 +0000"


THREADING_CASES = {
    "missing parent links its children": (
        [
            {"message_id": "<r1@x>", "references": "<gone@x>", "date": _day(10)},
            {"message_id": "<r2@x>", "references": "<gone@x>", "date": _day(11)},
            {"message_id": "<r3@x>", "references": "<gone@x> <missing-too@x>", "date": _day(12)},
        ],
        {"r1@x": ["r1@x", "r2@x", "r3@x"]},
    ),
    "In-Reply-To without References": (
        [
            {"message_id": "<i1@x>", "subject": "a", "date": _day(10)},
            {"message_id": "<i2@x>", "subject": "b", "in_reply_to": "<i1@x> (sent by i)", "date": _day(11)},
        ],
        {"i1@x": ["i1@x", "i2@x"]},
    ),
    "last id in References is the parent": (
        [
            {"message_id": "<p1@x>", "date": _day(10)},
            {"message_id": "<p2@x>", "references": "<p1@x>", "date": _day(11)},
            {"message_id": "<p3@x>", "references": "<p1@x> <p2@x>", "in_reply_to": "<p1@x>", "date": _day(11)},
        ],
        {"p1@x": ["p1@x", "p2@x", "p3@x"]},
    ),
    "X-GM-THRID groups without references": (
        [
            {"message_id": "<g1@x>", "x_gm_thrid": "1790", "subject": "one", "date": _day(10)},
            {"message_id": "<g2@x>", "x_gm_thrid": "1791", "subject": "two", "date": _day(11)},
            {"message_id": "<g3@x>", "x_gm_thrid": "1790", "subject": "three", "date": _day(12)},
        ],
        {"g1@x": ["g1@x", "g3@x"], "g2@x": ["g2@x"]},
    ),
    "ticket tag in the subject groups": (
        [
            {"message_id": "<t1@x>", "subject": "Broken lamp", "date": _day(10)},
            {"message_id": "<t2@x>", "subject": "[Acme #481] Broken lamp", "date": _day(11)},
            {"message_id": "<t3@x>", "subject": "Re: [Acme #481] lamp", "date": _day(12)},
        ],
        {"t1@x": ["t1@x"], "t2@x": ["t2@x", "t3@x"]},
    ),
    "a new ticket id splits a references link": (
        [
            {"message_id": "<k1@x>", "x_ticket_id": "100", "date": _day(10)},
            {"message_id": "<k2@x>", "x_ticket_id": "100", "references": "<k1@x>", "date": _day(11)},
            {"message_id": "<k3@x>", "x_ticket_id": "101", "references": "<k1@x> <k2@x>", "date": _day(12)},
        ],
        {"k1@x": ["k1@x", "k2@x"], "k3@x": ["k3@x"]},
    ),
    "Thread-Index groups by its first 22 bytes": (
        [
            {"message_id": "<o1@x>", "thread_index": "AdtgC5bYFZ3mQTqVSXGmeqAVPoMmzw==", "date": _day(10)},
            {"message_id": "<o2@x>", "thread_index": "AdtgC5bYFZ3mQTqVSXGmeqAVPoMmzwAAAA7w", "date": _day(11)},
            {"message_id": "<o3@x>", "thread_index": "AdtgC5bYFZ3mQTqVSXGmeqAVPoMmzg==", "date": _day(12)},
        ],
        {"o1@x": ["o1@x", "o2@x"], "o3@x": ["o3@x"]},
    ),
    "a references cycle terminates": (
        [
            {"message_id": "<y1@x>", "references": "<y2@x>", "date": _day(10)},
            {"message_id": "<y2@x>", "references": "<y1@x>", "date": _day(11)},
        ],
        {"y2@x": ["y1@x", "y2@x"]},  # y2 is the root (y1 was linked under it first); Date orders y1 first
    ),
    "equal dates: the parent first": (
        [
            {"message_id": "<e2@x>", "in_reply_to": "<e1@x>", "date": _day(10)},
            {"message_id": "<e1@x>", "date": _day(10)},
        ],
        {"e1@x": ["e1@x", "e2@x"]},
    ),
}


@pytest.mark.parametrize(("headers", "expected"), THREADING_CASES.values(), ids=THREADING_CASES.keys())
def test_threading(tmp_path: Path, headers: list[dict[str, str]], expected: dict[str, list[str]]) -> None:
    mails = [mail(**{"from_": "Kim <kim@example.org>", "to": "help@acme.example", **h}) for h in headers]
    convs, rejects = read_all(write_mbox(tmp_path / "t.mbox", *mails))
    assert rejects == []
    assert {c.id: [m.id for m in c.messages] for c in convs} == expected


def test_missing_message_id_gets_a_stable_hash(tmp_path: Path) -> None:
    path = write_mbox(
        tmp_path / "n.mbox", mail(from_="kim@example.org", subject="no id", date="Mon, 06 Jan 2025 10:00:00 +0000")
    )
    first, _ = read_all(path)
    second, _ = read_all(path)
    assert first[0].id.startswith("sha256-") and first[0].id == second[0].id == first[0].messages[0].id


# --------------------------------------------------------------------------- automation headers


AUTO_CASES = [
    ("Auto-Submitted: auto-replied", True),
    ("Auto-Submitted: auto-generated", True),
    ("Auto-Submitted: no", False),
    ("X-Autoreply: yes", True),
    ("X-Autorespond: Out of office", True),
    ("X-Autogenerated: Reply", True),
    ("Precedence: bulk", True),
    ("Precedence: junk", True),
    ("Precedence: auto_reply", True),
    ("Precedence: list", False),
    ("X-Auto-Response-Suppress: All", True),
    ("X-Auto-Response-Suppress: OOF, AutoReply", False),
]


@pytest.mark.parametrize(("header", "automated"), AUTO_CASES)
@pytest.mark.parametrize("sender", ["help@acme.example", "kim@example.org"])
def test_automation_headers(tmp_path: Path, header: str, automated: bool, sender: str) -> None:
    root = mail(
        "Where is my order?",
        message_id="<m1@x>",
        from_="lee@example.org",
        to="help@acme.example",
        subject="Order",
        date="Mon, 06 Jan 2025 10:00:00 +0000",
    )
    reply = mail(
        "We are closed until Monday.",
        message_id="<m2@x>",
        from_=sender,
        to="lee@example.org",
        subject="Re: Order",
        in_reply_to="<m1@x>",
        date="Mon, 06 Jan 2025 10:00:05 +0000",
    )
    reply = header + "\n" + reply
    convs, _ = read_all(write_mbox(tmp_path / "a.mbox", root, reply), support_addresses=("@acme.example",))
    msg = convs[0].messages[1]
    assert msg.is_automated is automated
    if sender.endswith("@acme.example"):
        assert msg.role is Role.agent
    else:
        assert msg.role is (Role.system if automated else Role.customer)


# --------------------------------------------------------------------------- bad input


NOT_MAIL = {
    "plain text": b"Dear diary,\nToday nothing happened.\n",
    "canonical jsonl": b'{"id":"c-1","messages":[]}\n',
    "csv": b"conversation_id,role,text\n1,customer,hello\n",
    "binary": bytes(range(256)) * 4,
    "mbox without mail": b"From the desk of the editor\nNothing to see here.\n",
    "utf-16 text": "From: x\n".encode("utf-16"),
}


@pytest.mark.parametrize("data", NOT_MAIL.values(), ids=NOT_MAIL.keys())
def test_not_mail_raises_import_file_error_naming_the_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "input.dat"
    path.write_bytes(data)
    with pytest.raises(ImportFileError) as err:
        read_all(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("make", [lambda p: p.write_bytes(b""), lambda p: p.mkdir()], ids=["empty file", "empty dir"])
def test_empty_inputs(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty"
    make(path)
    with pytest.raises(ImportFileError):
        read_all(path)


def test_garbage_record_in_mbox_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.mbox"
    good = mail("Hi.", message_id="<ok@x>", from_="kim@example.org", date="Mon, 06 Jan 2025 10:00:00 +0000")
    text = f"From a Mon Jan  6 10:00:00 2025\n{good}\nFrom b Mon Jan  6 11:00:00 2025\nnot: really\n\nbody\n"
    path.write_text(text)
    convs, rejects = read_all(path)
    assert [c.id for c in convs] == ["ok@x"]
    line = text.splitlines().index("From b Mon Jan  6 11:00:00 2025") + 1
    assert len(rejects) == 1 and rejects[0].location == f"{path}:{line}"


def test_from_inside_a_line_longer_than_the_read_chunk_is_not_a_separator(tmp_path: Path) -> None:
    body = "x" * 65536 + "From y@example.com Mon Jan  6 10:00:00 2025\nTo: z\n\nmore"
    path = write_mbox(tmp_path / "long.mbox", mail(body, message_id="<long@x>", from_="kim@example.org"))
    convs, rejects = read_all(path)
    assert rejects == [] and [len(c.messages) for c in convs] == [1]
    assert convs[0].messages[0].raw_text is not None and convs[0].messages[0].raw_text.endswith("more\n")


def test_no_support_side_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_mbox(tmp_path / "w.mbox", mail(message_id="<w@x>", from_="kim@example.org", subject="Hi"))
    with caplog.at_level(logging.WARNING, logger="qa_toolkit.importers.email"):
        convs, _ = read_all(path)
    assert convs[0].messages[0].role is Role.customer
    assert "no support address" in caplog.text


# --------------------------------------------------------------------------- sniffing


SNIFF_CASES = {
    "mbox": ("x.mbox", (EMAIL / "support.mbox").read_bytes(), 0.9, 1.0),
    "eml": ("x.eml", (EMAIL / "inbox" / "01-question.eml").read_bytes(), 0.9, 1.0),
    "eml without suffix": ("message", (EMAIL / "inbox" / "02-answer.eml").read_bytes(), 0.8, 1.0),
    "canonical jsonl": ("x.jsonl", b'{"id":"c-1","messages":[]}\n', 0.0, 0.29),
    "csv": ("x.csv", b"id,role,text,sent_at\n1,customer,hi,2025-01-01\n", 0.0, 0.29),
    "csv with From column": ("x.csv", b"From,To,Subject\na@b.c,d@e.f,hi\n", 0.0, 0.29),
    "vendor json": ("x.json", b'{"tickets": [{"id": 1, "subject": "x"}]}', 0.0, 0.29),
    "yaml-like": ("x.yml", b"from: me\ndate: today\nsubject: notes\n", 0.0, 0.29),
    "prose starting with From": ("x.txt", b"From the desk of the editor\nHello.\n", 0.0, 0.29),
}


@pytest.mark.parametrize(("name", "head", "low", "high"), SNIFF_CASES.values(), ids=SNIFF_CASES.keys())
def test_sniff(tmp_path: Path, name: str, head: bytes, low: float, high: float) -> None:
    assert low <= IMPORTER.sniff(tmp_path / name, head) <= high


def test_registered() -> None:
    assert get_importer("email") is get_importer("email.v1")
    assert isinstance(get_importer("email"), EmailImporter)


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: Refund", "Refund"),
        ("RE: Fwd: AW: SV: Refund", "Refund"),
        ("RE[2]: Refund", "Refund"),
        ("Antw: Re: Refund", "Refund"),
        ("Re: [Acme #48213] Refund not received", "Refund not received"),
        ("Refund not received [ticket #123]", "Refund not received"),
        ("Reminder: refund", "Reminder: refund"),
        ("  ", ""),
    ],
)
def test_clean_subject(subject: str, clean: str) -> None:
    assert clean_subject(subject) == clean


# --------------------------------------------------------------------------- robustness (hypothesis)

_HYPO = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _drain(path: Path) -> None:
    try:
        for item in IMPORTER.read(path, ImportOptions()):
            assert isinstance(item, ConversationIn | Rejected)
            if isinstance(item, ConversationIn):
                orjson.dumps(item.to_canonical())  # no lone surrogates from 8-bit bytes
    except ImportFileError:
        pass


@_HYPO
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    _drain(path)


@_HYPO
@given(
    prefix=st.sampled_from(
        [
            b"From x@y Mon Jan  6 10:00:00 2025\n",
            b"From x@y Mon Jan  6 10:00:00 2025\nFrom: a@b\nSubject: s\n",
            b"From: a@b\nMessage-ID: <m@x>\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n",
            b"From: =?utf-8?b?broken?= <a@b>\nDate: Mon, 06 Jan 2025 10:00:00 +0000\n"
            b"Content-Type: text/plain; charset=",
        ]
    ),
    data=st.binary(max_size=2000),
)
def test_mail_like_prefix_with_random_bytes_never_crash(tmp_path: Path, prefix: bytes, data: bytes) -> None:
    path = tmp_path / "random.mbox"
    path.write_bytes(prefix + data)
    _drain(path)
