"""The generic CSV importer (csv.v1): columns, aliases, encodings, the wide variant, rejects and sniffing."""

from __future__ import annotations

import codecs
import io
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers.base import ImportOptions, Rejected, get_importer, sniff_format
from qa_toolkit.importers.csv_generic import CsvImporter, header_key, split_transcript
from qa_toolkit.schema import ConversationIn
from qa_toolkit.types import Role

FIX = Path(__file__).resolve().parent / "fixtures" / "csv"
IMPORTER = CsvImporter()


def read(path: Path, **options: object) -> list[ConversationIn | Rejected]:
    return list(IMPORTER.read(path, ImportOptions(**options)))  # type: ignore[arg-type]


def convs(items: list) -> dict[str, ConversationIn]:
    return {c.id: c for c in items if isinstance(c, ConversationIn)}


def rejects(items: list) -> list[Rejected]:
    return [r for r in items if isinstance(r, Rejected)]


def write(tmp_path: Path, text: str, *, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- registry and sniffing


def test_registered_as_csv() -> None:
    assert isinstance(get_importer("csv"), CsvImporter)
    assert isinstance(get_importer("csv.v1"), CsvImporter)


@pytest.mark.parametrize(
    ("content", "high"),
    [
        ((FIX / "example.csv").read_bytes(), True),
        ((FIX / "wide_transcript.csv").read_bytes(), True),
        ((FIX / "excel_semicolon_cp1252.csv").read_bytes(), True),
        ((FIX / "intercom_third_party.csv").read_bytes(), True),
        (b"\xef\xbb\xbfTicket ID\tSender Type\tBody\n1\tuser\thi\n", True),
        (b"sep=|\nconversation_id|role|text\n1|agent|hi\n", True),
        (
            b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
            b"2001,204871,True,Tue Oct 31 22:10:47 +0000 2017,@AcmeHelp hi,2002,\n",
            False,
        ),
        (b",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n", False),
        (b"main_tweet_id,tweet_id,in_response_to_tweet_id,response_tweet_id,created_at,author_id,text\n", False),
        (b"first_tweet_id,tag,first_utterance,context\n3210,UNK,<cust__ hi __cust>,\n", False),
        (b'{"id": "1", "messages": [{"id": "m1", "role": "customer", "text": "hi"}]}\n', False),
        (b'[{"type": "conversation", "id": "215468", "conversation_parts": {}}]', False),
        (b"\x00\x01\x02\xff\xfe\x00binary\x00data", False),
        (b"just a line of prose, nothing tabular here\n", False),
        # no role column: picked (so the missing column gets named), but below a confident match
        (b"conversation_id,message_id,text\nC1,m1,hi\n", None),
    ],
)
def test_sniff(tmp_path: Path, content: bytes, high: bool | None) -> None:
    score = IMPORTER.sniff(tmp_path / "x.csv", content)
    assert 0.0 <= score <= 1.0
    if high is None:
        assert 0.3 <= score < 0.8
    else:
        assert (score >= 0.8) if high else (score < 0.3)


def test_auto_format_picks_csv() -> None:
    assert sniff_format(FIX / "example.csv").name == "csv"


@pytest.mark.shared_data
def test_sniff_low_on_real_twcs_sample(shared_data: Path) -> None:
    path = shared_data / "twcs-sample" / "kaggle_sample_93rows.csv"
    if not path.exists():
        pytest.skip("twcs sample not present")
    assert IMPORTER.sniff(path, path.read_bytes()[:65536]) < 0.3


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Conversation ID", "conversation_id"),
        ("conversation-id", "conversation_id"),
        ("conversationId", "conversation_id"),
        ("TicketID", "ticket_id"),
        ("\ufeffMessage Body ", "message_body"),
        ('"Sender Type"', "sender_type"),
    ],
)
def test_header_key(header: str, key: str) -> None:
    assert header_key(header) == key


# --------------------------------------------------------------------------- the §2.8 example


def test_example_from_the_spec() -> None:
    items = read(FIX / "example.csv")
    assert not rejects(items)
    got = convs(items)
    assert list(got) == ["C-1001", "C-1002"]
    conv = got["C-1001"]
    assert conv.source == "csv"
    assert (conv.channel, conv.subject, conv.status) == ("chat", "Invoice VAT", "closed")
    assert conv.tags == ["billing", "vat"]
    assert conv.satisfaction is not None
    assert (conv.satisfaction.score, conv.satisfaction.scale) == (4.0, "1-5")
    assert conv.customer.id == "cus_77" and conv.customer.name == "Dana R."  # from the first customer message
    assert [m.id for m in conv.messages] == ["m1", "m2", "m3", "m4"]
    assert [m.role for m in conv.messages] == [Role.customer, Role.bot, Role.agent, Role.agent]
    assert [m.is_internal for m in conv.messages] == [False, False, True, False]
    assert conv.messages[3].sent_at == datetime(2025, 3, 3, 10, 24, 31, tzinfo=UTC)
    assert conv.created_at == datetime(2025, 3, 3, 9, 58, 11, tzinfo=UTC)
    html = got["C-1002"]
    assert html.tags == ["shipping", "late"]  # "|" separated
    assert html.messages[0].role is Role.customer  # "user"
    assert html.messages[1].role is Role.agent  # "admin"
    assert html.messages[0].text == "Where is my parcel?"
    assert html.messages[0].raw_text == "<p>Where is my <b>parcel</b>?</p>"
    assert "<div>" not in html.messages[1].text and "warehouse" in html.messages[1].text


def test_round_trip_through_the_csv_exporter(tmp_path: Path) -> None:
    from qa_toolkit.exporters import write_csv

    first = convs(read(FIX / "example.csv"))
    out = io.StringIO()
    write_csv(first.values(), out)
    again = convs(read(write(tmp_path, out.getvalue())))

    def canon(conv: ConversationIn) -> dict:
        record = conv.to_canonical()
        for msg in record["messages"]:
            msg.pop("raw_text", None)
        return record

    assert [canon(c) for c in again.values()] == [canon(c) for c in first.values()]


def test_source_column_and_option() -> None:
    assert {c.source for c in convs(read(FIX / "example.csv", source="helpdesk-x")).values()} == {"helpdesk-x"}


# --------------------------------------------------------------------------- encodings, delimiters, layout


def test_excel_semicolon_cp1252() -> None:
    raw = (FIX / "excel_semicolon_cp1252.csv").read_bytes()
    assert not raw.startswith(codecs.BOM_UTF8)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    items = read(FIX / "excel_semicolon_cp1252.csv")
    assert not rejects(items)  # the trailing ";;;;;;;" row is ignored
    got = convs(items)
    assert list(got) == ["1001", "1002"]
    conv = got["1001"]
    assert conv.customer.name == "Zoë Müller"
    assert conv.messages[0].text.endswith("€12,50 te veel. Graag een correctie")
    assert conv.messages[1].text == "Dag Zoë,\nwe passen de factuur aan; à bientôt."  # CRLF inside quotes
    assert [m.role for m in conv.messages] == [Role.customer, Role.agent, Role.agent]  # Klant, Medewerker
    assert [m.is_internal for m in conv.messages] == [False, False, True]  # nee / ja
    assert conv.messages[0].sent_at == datetime(2025, 3, 3, 9, 58, tzinfo=UTC)  # 03.03.2025: day first
    assert conv.satisfaction is not None and conv.satisfaction.score == 4.0
    assert [m.id for m in conv.messages] == ["2", "3", "4"]  # default id: the spreadsheet row number


@pytest.mark.parametrize(
    ("delimiter", "encoding", "prefix"),
    [
        (",", "utf-8", ""),
        (";", "utf-8-sig", ""),
        ("\t", "utf-16", ""),  # Excel "Unicode text"
        ("|", "utf-8", ""),
        (";", "utf-8", "sep=;\r\n"),
        (",", "latin-1", ""),
    ],
)
def test_delimiters_and_encodings(tmp_path: Path, delimiter: str, encoding: str, prefix: str) -> None:
    rows = [
        ["Conversation ID", "Sender Type", "Message", "Sent At"],
        ["K1", "Customer", "Où est ma commande, s'il vous plaît?", "2025-03-03 10:00:00"],
        ["K1", "Agent", "Elle arrive demain; merci | bonne journée", "2025-03-03 10:05:00"],
    ]
    buf = io.StringIO()
    import csv

    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = write(tmp_path, prefix + buf.getvalue(), encoding=encoding)
    got = convs(read(path))
    assert list(got) == ["K1"]
    texts = [m.text for m in got["K1"].messages]
    assert texts == [rows[1][2], rows[2][2]]


def test_custom_headers_with_a_column_map() -> None:
    column_map = {
        "conversation_id": "Thread",
        "role": "Who",
        "text": "Said",
        "timestamp": "When",
        "assignee_name": "agent",  # matched case-insensitively
    }
    got = convs(read(FIX / "custom_headers.csv", column_map=column_map))
    assert list(got) == ["T1", "T2"]
    t1 = got["T1"]
    assert [m.role for m in t1.messages] == [Role.customer, Role.agent]  # "Support"
    assert t1.messages[0].sent_at == datetime.fromtimestamp(1741000000, tz=UTC)  # unix seconds
    assert t1.messages[1].sent_at == datetime.fromtimestamp(1741000060, tz=UTC)  # unix milliseconds
    assert t1.assignee is not None and t1.assignee.name == "Robin"
    assert got["T2"].messages[0].sent_at == datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def test_custom_headers_without_the_map_name_what_is_missing() -> None:
    with pytest.raises(ImportFileError) as info:
        read(FIX / "custom_headers.csv")
    message = str(info.value)
    assert "conversation_id" in message and "'Thread'" in message and "'Said'" in message


@pytest.mark.parametrize(
    ("column_map", "needle"),
    [
        ({"body": "Said"}, "unknown column 'body'"),
        ({"text": "Nope"}, "no such column"),
    ],
)
def test_bad_column_map(column_map: dict[str, str], needle: str) -> None:
    with pytest.raises(ImportFileError, match=needle):
        read(FIX / "custom_headers.csv", column_map=column_map)


def test_intercom_third_party_columns() -> None:
    items = read(FIX / "intercom_third_party.csv")
    assert not rejects(items)
    conv = convs(items)["215468"]
    assert conv.status == "closed" and conv.tags == ["billing"]
    assert conv.closed_at == datetime(2025, 3, 3, 10, 41, 40, tzinfo=UTC)
    # the assignment and close events have no text and are dropped; "team" is an agent; note is internal
    assert [m.id for m in conv.messages] == ["3301", "9001", "9003", "9004"]
    assert [m.role for m in conv.messages] == [Role.customer, Role.bot, Role.agent, Role.agent]
    assert [m.is_internal for m in conv.messages] == [False, False, True, False]
    assert conv.messages[0].text == "My invoice shows VAT twice"
    assert conv.customer.id == "65a1f0"


def test_wide_transcript_variant() -> None:
    items = read(FIX / "wide_transcript.csv")
    got = convs(items)
    assert list(got) == ["W-1", "W-2"]
    w1 = got["W-1"]
    assert [m.role for m in w1.messages] == [Role.customer, Role.agent, Role.customer, Role.agent, Role.bot]
    assert [m.author_name for m in w1.messages] == [None, "Sam", None, "Sam", None]
    assert w1.messages[2].text == "It is 4471.\nIt was due on Monday."  # a continuation line
    assert w1.messages[4].text == "Was this conversation helpful?"  # "[10:07] " dropped
    assert w1.created_at == datetime(2025, 3, 6, 10, 0, tzinfo=UTC)
    assert w1.satisfaction is not None and w1.satisfaction.score == 5.0
    assert [m.role for m in got["W-2"].messages] == [Role.customer, Role.agent]
    (bad,) = rejects(items)
    assert bad.location.endswith("wide_transcript.csv:10")
    assert "does not start with a role" in bad.reason and "W-3" in bad.reason


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [
        ("Customer: hi\nAgent: hello", [(Role.customer, None, "hi"), (Role.agent, None, "hello")]),
        ("(10:02:33) Visitor: hi", [(Role.customer, None, "hi")]),
        ("Kim (Support): on it", [(Role.agent, "Kim", "on it")]),
        ("User: see note: ok\nmore", [(Role.customer, None, "see note: ok\nmore")]),
    ],
)
def test_split_transcript(transcript: str, expected: list) -> None:
    assert split_transcript(transcript) == expected


def test_embedded_newlines_keep_physical_line_numbers() -> None:
    items = read(FIX / "embedded_newlines.csv")
    got = convs(items)
    assert list(got) == ["E-1", "E-3"]
    assert got["E-1"].messages[0].text == "First line\nsecond line\n\nafter an empty line"
    assert got["E-1"].messages[1].text == 'Reply with a "quoted" word'
    (bad,) = rejects(items)
    assert bad.location.endswith("embedded_newlines.csv:9")  # the record starts on physical line 9
    assert "'timestamp'" in bad.reason and "'not-a-time'" in bad.reason and "'E-2'" in bad.reason


# --------------------------------------------------------------------------- options


def test_naive_timestamps_use_options_tz(tmp_path: Path) -> None:
    path = write(tmp_path, "conversation_id,role,text,timestamp\nZ1,customer,hoi,2025-03-03 10:00:00\n")
    (conv,) = convs(read(path, tz="Europe/Amsterdam")).values()
    assert conv.messages[0].sent_at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    (conv,) = convs(read(path)).values()
    assert conv.messages[0].sent_at == datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("options", "needle"),
    [({"tz": "Mars/Olympus"}, "unknown time zone"), ({"unknown_role": "guess"}, "unknown_role")],
)
def test_bad_options(options: dict, needle: str) -> None:
    with pytest.raises(ImportFileError, match=needle):
        read(FIX / "example.csv", **options)


@pytest.mark.parametrize(
    ("unknown_role", "u1_roles"),
    [
        ("customer", [Role.customer, Role.customer, Role.agent]),
        ("skip", [Role.customer, Role.agent]),
    ],
)
def test_unknown_role_option(unknown_role: str, u1_roles: list[Role]) -> None:
    items = read(FIX / "unknown_role.csv", unknown_role=unknown_role)
    assert not rejects(items)
    assert [m.role for m in convs(items)["U-1"].messages] == u1_roles


# --------------------------------------------------------------------------- malformed files


def test_missing_required_column() -> None:
    with pytest.raises(ImportFileError) as info:
        read(FIX / "missing_column.csv")
    message = str(info.value)
    assert "missing required column(s) role" in message
    assert "headers found: 'conversation_id', 'message_id', 'timestamp', 'author_name', 'text'" in message
    assert "required: conversation_id, role, text" in message


@pytest.mark.parametrize(
    ("fixture", "line", "needles", "kept"),
    [
        ("bad_timestamp.csv", 3, ["'timestamp'", "'03/04/2025 10:00'", "ambiguous", "'B-1'"], ["B-2"]),
        ("unknown_role.csv", 3, ["'role'", "'wizard'", "unknown_role", "'U-1'"], ["U-2"]),
        ("truncated.csv", 4, ["ends inside a quoted field", "'T-2'"], ["T-1"]),
        ("non_contiguous.csv", 2, ["'N-1'", "ended at line 2", "again at line 5", "sort the file"], ["N-2", "N-3"]),
    ],
)
def test_malformed_rows_reject_the_whole_conversation(
    fixture: str, line: int, needles: list[str], kept: list[str]
) -> None:
    items = read(FIX / fixture)
    (bad,) = rejects(items)
    assert bad.location == f"{FIX / fixture}:{line}"
    for needle in needles:
        assert needle in bad.reason
    assert list(convs(items)) == kept  # never half a conversation


@pytest.mark.parametrize(
    ("body", "line", "needle", "kept"),
    [
        # a row without an id belongs to the conversation above it ("fill down" spreadsheets)
        ("A,customer,hi\n,agent,hello\nB,customer,ok\n", 3, "'conversation_id' is empty", ["B"]),
        (",customer,hi\nB,customer,ok\n", 2, "'conversation_id' is empty", ["B"]),
        ("A,customer,hi\nA,agent,hello,extra\nB,customer,ok\n", 3, "the header has 3", ["B"]),
        ('A,customer,"bad "quote" here"\nB,customer,ok\n', 2, "malformed CSV", ["B"]),
        ("A,system,\nA,system,  \n", 2, "no messages", []),  # events without text only
    ],
)
def test_row_level_rejects(tmp_path: Path, body: str, line: int, needle: str, kept: list[str]) -> None:
    header = "conversation_id,role,text\n"
    items = read(write(tmp_path, header + body))
    (bad,) = rejects(items)
    assert bad.location.endswith(f":{line}")
    assert needle in bad.reason
    assert list(convs(items)) == kept


def test_duplicate_message_ids_name_both_lines(tmp_path: Path) -> None:
    text = "conversation_id,message_id,role,text\nD,m1,customer,hi\nD,m1,agent,hello\n"
    (bad,) = read(write(tmp_path, text))
    assert isinstance(bad, Rejected)
    assert bad.location.endswith(":3") and "lines 2 and 3" in bad.reason


def test_messages_ordered_by_time_then_file_order(tmp_path: Path) -> None:
    text = (
        "conversation_id,message_id,timestamp,role,text\n"
        "O,b,2025-03-03T10:05:00Z,agent,second\n"
        "O,a,2025-03-03T10:00:00Z,customer,first\n"
        "O,c,2025-03-03T10:05:00Z,customer,third (same second as b)\n"
    )
    (conv,) = convs(read(write(tmp_path, text))).values()
    assert [m.id for m in conv.messages] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"\x00\x01binary\x00", "NUL"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=needle):
        read(path)


def test_cp1252_after_an_ascii_head(tmp_path: Path) -> None:
    filler = "".join(f"F{i},customer,plain ascii text number {i}\n" for i in range(3000))
    tail = "Z,customer,Caf\xe9 cr\xe8me\n"
    path = tmp_path / "late.csv"
    path.write_bytes(("conversation_id,role,text\n" + filler + tail).encode("cp1252"))
    assert len(path.read_bytes()) > 65536
    got = convs(read(path))
    assert got["Z"].messages[0].text == "Café crème"


def test_utf8_with_a_broken_byte_later_is_a_file_error(tmp_path: Path) -> None:
    filler = "".join(f"F{i},customer,caf\u00e9 {i}\n" for i in range(3000))
    path = tmp_path / "broken.csv"
    path.write_bytes(("conversation_id,role,text\n" + filler).encode("utf-8") + b"Z,customer,\xff\xfe\n")
    with pytest.raises(ImportFileError) as info:
        read(path)
    assert info.value.location == f"{path}:3002"


# --------------------------------------------------------------------------- scale


def test_memory_stays_flat_on_a_big_sorted_file(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("conversation_id,message_id,timestamp,role,text\n")
        for c in range(4000):
            for m in range(4):
                role = "customer" if m % 2 == 0 else "agent"
                fh.write(f"C{c},m{m},2025-03-03T10:0{m}:00Z,{role},message {m} of conversation {c} {'x' * 120}\n")
    size = path.stat().st_size
    list(IMPORTER.read(FIX / "example.csv", ImportOptions()))  # warm caches and lazy imports
    tracemalloc.start()
    count = 0
    for item in IMPORTER.read(path, ImportOptions()):
        assert isinstance(item, ConversationIn)
        count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 4000
    assert peak < size / 3, (peak, size)


# --------------------------------------------------------------------------- never a traceback


def _only_items_or_file_error(path: Path, options: ImportOptions | None = None) -> None:
    try:
        for item in IMPORTER.read(path, options or ImportOptions()):
            assert isinstance(item, ConversationIn | Rejected)
    except ImportFileError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=600))
def test_random_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(content)
    assert 0.0 <= IMPORTER.sniff(path, content) <= 1.0
    _only_items_or_file_error(path)


_HEADERS = ["conversation_id", "message_id", "timestamp", "role", "text", "is_internal", "tags", "csat_score",
            "transcript", "Ticket ID", "Sender Type", "Body", "conversation_created_at", "extra"]  # fmt: skip
_CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["customer", "agent", "bot", "system", "wizard", "", "C1", "C2", "true", "nope", "1e400",
                     "2025-03-03T10:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31 23:59:59", "-1e20",
                     "03.03.2025", "31.02.2025", "Customer: hi\nAgent: ho", "<p>hi</p>", "nan", '"']),
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=6),
    rows=st.lists(st.lists(_CELLS, max_size=7), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoted=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    unknown_role=st.sampled_from(["error", "customer", "skip"]),
)
def test_random_csv_text(
    tmp_path: Path,
    header: list[str],
    rows: list[list[str]],
    delimiter: str,
    quoted: bool,
    encoding: str,
    unknown_role: str,
) -> None:
    import csv

    buf = io.StringIO()
    if quoted:
        csv.writer(buf, delimiter=delimiter).writerows([header, *rows])
    else:  # raw joins: stray quotes, delimiters and newlines inside values
        buf.write("\n".join(delimiter.join(r) for r in [header, *rows]))
    path = tmp_path / "random.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    assert 0.0 <= IMPORTER.sniff(path, path.read_bytes()[:65536]) <= 1.0
    _only_items_or_file_error(path, ImportOptions(unknown_role=unknown_role, tz="America/New_York"))


_BY_COLUMN = {
    "conversation_id": st.sampled_from(["C1", "C2", "C3", ""]),
    "message_id": st.sampled_from(["m1", "m2", "", "m1 "]),
    "timestamp": st.sampled_from(["2025-03-03T10:00:00Z", "", "0001-01-01T00:00:00+01:00", "9999-12-31 23:59:59",
                                  "1741000000", "99999999999999999999", "03.03.2025 10:00", "31.02.2025", "x"]),
    "role": st.sampled_from(["customer", "agent", "bot", "system", "Klant", "wizard", ""]),
    "is_internal": st.sampled_from(["true", "no", "", "maybe"]),
    "csat_score": st.sampled_from(["4", "4,5", "good", "", "nan", "inf", "lots"]),
    "conversation_created_at": st.sampled_from(["", "2025-03-03", "0001-01-01T00:00:00+05:00", "soon"]),
    "transcript": st.sampled_from(["Customer: hi\nAgent: ho", "", "nobody: x", "(10:00) Bot:", "Agent (A): b"]),
}  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.lists(st.sampled_from(sorted(_BY_COLUMN)), min_size=2, max_size=8, unique=True).map(
        lambda h: sorted({"conversation_id", *h})
    ),
    data=st.data(),
    text=st.text(max_size=40),
    wide=st.booleans(),
)
def test_structured_random_rows(tmp_path: Path, header: list[str], data: st.DataObject, text: str, wide: bool) -> None:
    import csv

    columns = [c for c in header if c != "transcript"] + (["transcript"] if wide else ["text"])
    rows = [
        [text if c == "text" else data.draw(_BY_COLUMN[c]) for c in columns]
        for _ in range(data.draw(st.integers(0, 6)))
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows([columns, *rows])
    path = write(tmp_path, buf.getvalue())
    unknown_role = data.draw(st.sampled_from(["error", "customer", "skip"]))
    _only_items_or_file_error(path, ImportOptions(unknown_role=unknown_role, tz="Asia/Kolkata"))


def test_wide_duplicate_rows_are_rejected_together(tmp_path: Path) -> None:
    text = 'conversation_id,transcript\nW,"Customer: a"\nX,"Customer: b"\nW,"Agent: c"\n'
    items = read(write(tmp_path, text))
    (bad,) = rejects(items)
    assert bad.location.endswith(":2") and "lines 2 and 4" in bad.reason
    assert list(convs(items)) == ["X"]
