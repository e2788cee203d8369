"""Canonical JSONL, TWCS and the shared-data adapters: fixtures, malformed input, sniffing, real data."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_toolkit.db.crud import count_rows
from qa_toolkit.db.engine import get_engine
from qa_toolkit.errors import ImportFileError
from qa_toolkit.importers import ImportOptions, Rejected, get_importer, importer_names, sniff_format
from qa_toolkit.pipeline import import_files
from qa_toolkit.types import Role


def read_all(fmt: str, path: Path) -> list:
    return list(get_importer(fmt).read(path, ImportOptions()))


def test_registry_lists_every_format_and_rejects_unknown_names() -> None:
    names = importer_names()
    for expected in ("jsonl", "csv", "twcs", "zendesk", "intercom", "freshdesk", "helpscout", "email"):
        assert expected in names
    assert "jsonl.v1" in importer_names(versioned=True)
    with pytest.raises(KeyError, match="unknown format 'nope'; valid: auto, "):
        get_importer("nope")


# --------------------------------------------------------------------------- canonical JSONL


def test_jsonl_reads_the_fixture(fixtures: Path) -> None:
    convs = read_all("jsonl", fixtures / "canonical" / "basic.jsonl")
    assert [c.id for c in convs] == ["c-1", "c-2", "3"]
    assert convs[2].messages[1].role is Role.bot


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"id": "a", "messages": [{"id": "1", "role": "customer"}]}\n{"id": "b", "mess', ":2: not valid JSON"),
        (b"[1, 2]\n", ":1: expected a JSON object, got list"),
        (b'{"id": "a"}\n', ":1: messages: Field required"),
        (b'{"id": "a", "messages": "hello"}\n', ":1: messages: Input should be a valid list"),
        (b'{"id": "a", "messages": [{"id": "1", "role": "customer", "sent_at": "31/12/2020"}]}\n', "sent_at"),
    ],
)
def test_jsonl_bad_lines_are_rejected_with_their_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    rejected = [i for i in read_all("jsonl", path) if isinstance(i, Rejected)]
    assert rejected and fragment in str(rejected[0])


def test_jsonl_in_latin1_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "a", "messages": [{"id": "1", "role": "customer", "text": "café crème, très déçu"}]}\n'
                     .encode("latin-1"))  # fmt: skip
    (conv,) = read_all("jsonl", path)
    assert conv.messages[0].text == "café crème, très déçu"


def test_compressed_files_are_read(tmp_path: Path, fixtures: Path) -> None:
    raw = (fixtures / "canonical" / "basic.jsonl").read_bytes()
    for name, data in (("a.jsonl.gz", gzip.compress(raw)), ("a.jsonl.bz2", bz2.compress(raw))):
        path = tmp_path / name
        path.write_bytes(data)
        assert sniff_format(path).name == "jsonl"
        assert len(read_all("jsonl", path)) == 3
    truncated = tmp_path / "t.jsonl.gz"
    truncated.write_bytes(gzip.compress(raw * 50)[:300])
    with pytest.raises(ImportFileError, match="truncated|corrupt"):
        read_all("jsonl", truncated)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        sniff_format(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        sniff_format(empty)
    (tmp_path / "sub").mkdir()
    with pytest.raises(ImportFileError, match="is a directory"):
        sniff_format(tmp_path / "sub")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_a_clear_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "input"
    path.write_bytes(data)
    for fmt in ("auto", "jsonl", "twcs", "twcs-airlines", "ibm-cdp"):
        try:
            importer = sniff_format(path) if fmt == "auto" else get_importer(fmt)
            for item in importer.read(path, ImportOptions()):
                assert isinstance(item, Rejected) or item.messages
        except ImportFileError as exc:
            assert str(exc).startswith(str(path))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=2000))
def test_truncated_files_give_a_clear_error(tmp_path_factory: pytest.TempPathFactory, fixtures: Path, cut: int) -> None:
    for fmt, name in (("jsonl", "canonical/basic.jsonl"), ("twcs", "twcs/synthetic.csv")):
        raw = (fixtures / name).read_bytes()
        path = tmp_path_factory.mktemp("cut") / Path(name).name
        path.write_bytes(raw[: cut % len(raw)])
        try:
            list(get_importer(fmt).read(path, ImportOptions()))
        except ImportFileError as exc:
            assert str(exc).startswith(str(path))


# --------------------------------------------------------------------------- TWCS


def test_twcs_rebuilds_threads_from_the_reply_graph(fixtures: Path) -> None:
    path = fixtures / "twcs" / "synthetic.csv"
    assert sniff_format(path).name == "twcs"
    convs = {c.id: c for c in read_all("twcs", path)}
    assert set(convs) == {"2001", "3001"}  # 4001 has no customer tweet in the file
    first = convs["2001"]
    assert [m.id for m in first.messages] == ["2001", "2002", "2003", "2004"]
    assert [m.role for m in first.messages] == [Role.customer, Role.agent, Role.customer, Role.agent]
    assert first.messages[1].author == "AcmeHelp/JK" and first.messages[1].author_name == "JK"
    assert first.team == "AcmeHelp" and first.channel == "social" and first.customer.id == "204871"
    branched = convs["3001"]
    assert [m.id for m in branched.messages] == ["3001", "3002", "3003", "3004"]
    assert branched.messages[0].text == "@AcmeHelp the app logs me out\nevery five minutes"
    assert branched.messages[1].author == "AcmeHelp/TMT"


def test_twcs_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "1,100,maybe,Tue Oct 31 22:10:47 +0000 2017,hi,,\n"
        "2,100,True,not a date,hi,,\n"
        ",100,True,Tue Oct 31 22:10:47 +0000 2017,hi,,\n"
    )
    reasons = [str(i) for i in read_all("twcs", path)]
    assert reasons == [
        f"{path}:2: inbound must be True or False, got 'maybe'",
        f"{path}:3: created_at: not a timestamp: 'not a date' (expected ISO 8601 or unix seconds)",
        f"{path}:4: tweet_id is empty",
    ]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("tweet_id,text\n1,hi\n")
    with pytest.raises(ImportFileError, match="missing TWCS columns"):
        read_all("twcs", wrong)


# --------------------------------------------------------------------------- real data in ../shared/data


@pytest.mark.shared_data
def test_twcs_sample_imports_twice_with_the_same_counts(shared_data: Path, db_url: str) -> None:
    path = shared_data / "twcs-sample" / "twcs_first5000rows.csv"
    first = import_files([path], db=db_url)
    counts = count_rows(get_engine(db_url))
    second = import_files([path], db=db_url)
    assert first.rejected == 0 and first.counts.new > 1200
    assert second.counts.unchanged == first.counts.new and second.counts.new == second.counts.updated == 0
    assert count_rows(get_engine(db_url)) == counts
    assert counts["messages"] > 4900


@pytest.mark.shared_data
def test_twcs_kaggle_sample_imports(shared_data: Path) -> None:
    path = shared_data / "twcs-sample" / "kaggle_sample_93rows.csv"
    items = read_all(sniff_format(path).name, path)
    assert not [i for i in items if isinstance(i, Rejected)]


@pytest.mark.shared_data
@pytest.mark.parametrize("split", ["train", "test"])
def test_twcs_airlines_threads(shared_data: Path, split: str) -> None:
    path = shared_data / "twcs-airlines" / f"{split}.csv.bz2"
    assert sniff_format(path).name == "twcs-airlines"
    items = read_all("twcs-airlines", path)
    convs = [i for i in items if not isinstance(i, Rejected)]
    assert not [i for i in items if isinstance(i, Rejected)]
    assert len({c.id for c in convs}) == {"train": 38_084, "test": 4_297}[split] or len(convs) > 4000
    agents = [m for c in convs for m in c.messages if m.role is Role.agent]
    signed = sum(1 for m in agents if m.author)
    # agents that sign (most airlines; American Airlines mostly does not) are identified by their initials
    assert signed / len(agents) > 0.55
    assert all(m.id.startswith("t") for c in convs[:50] for m in c.messages)


@pytest.mark.shared_data
@pytest.mark.parametrize("split", ["dev", "test"])
def test_ibm_cdp(shared_data: Path, split: str) -> None:
    path = shared_data / "ibm-cdp" / f"{split}.json"
    assert sniff_format(path).name == "ibm-cdp"
    convs = read_all("ibm-cdp", path)
    assert len(convs) == {"dev": 525, "test": 500}[split]
    assert all(not isinstance(c, Rejected) for c in convs)
    last = convs[0].messages[-1]
    assert last.role is Role.agent and last.sent_at is None
    assert convs[0].messages[0].sent_at is not None
