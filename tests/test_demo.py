"""The demo corpus: deterministic, big and varied enough, valid canonical records, realistic shape."""

from __future__ import annotations

import re
import statistics
import string
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random

import orjson
import pytest

from qa_toolkit.demo import DEFAULT_END, generate_demo, write_demo_jsonl
from qa_toolkit.demo.agents import AGENT_BY_ID, AGENTS, DUTCH_AGENTS
from qa_toolkit.demo.generator import SCENARIOS_EN, SCENARIOS_NL, Customer, make_slots
from qa_toolkit.demo.model import Phrases, Scenario
from qa_toolkit.demo.phrases_en import EN
from qa_toolkit.demo.phrases_nl import NL
from qa_toolkit.demo.scenarios_tech import SECURITY_REPORT
from qa_toolkit.importers.base import ImportOptions, read_head
from qa_toolkit.importers.jsonl import JsonlImporter
from qa_toolkit.normalise import looks_automated
from qa_toolkit.schema import ConversationIn, MessageIn
from qa_toolkit.types import Role

START = DEFAULT_END - timedelta(days=83)


@pytest.fixture(scope="module")
def corpus() -> list[ConversationIn]:
    return generate_demo()


def customer_turns(conv: ConversationIn) -> int:
    """Runs of customer messages between human agent answers (bots, notes, auto-replies don't count)."""
    turns, previous = 0, ""
    for msg in conv.messages:
        if msg.role is Role.customer and not msg.is_automated:
            turns += previous != "customer"
            previous = "customer"
        elif msg.is_answer:
            previous = "agent"
    return turns


def answers(convs: list[ConversationIn]) -> list[MessageIn]:
    return [m for c in convs for m in c.messages if m.is_answer]


def first_customer_text(conv: ConversationIn) -> str:
    return next(m.text for m in conv.messages if m.role is Role.customer)


# --------------------------------------------------------------------------- determinism and format


def test_two_runs_are_identical(corpus: list[ConversationIn]) -> None:
    again = generate_demo()
    assert [orjson.dumps(c.to_canonical()) for c in again] == [orjson.dumps(c.to_canonical()) for c in corpus]


def test_another_seed_gives_another_corpus(corpus: list[ConversationIn]) -> None:
    other = generate_demo(seed=8)
    assert [first_customer_text(c) for c in other[:20]] != [first_customer_text(c) for c in corpus[:20]]


def test_every_record_round_trips_through_the_canonical_format(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        line = orjson.dumps(conv.to_canonical())
        again = ConversationIn.model_validate(orjson.loads(line))
        assert again.to_canonical() == conv.to_canonical(), conv.id


def test_write_demo_jsonl_writes_canonical_lines_the_jsonl_importer_reads(tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    count = write_demo_jsonl(path)
    lines = path.read_bytes().splitlines()
    assert count == len(lines) >= 300
    assert JsonlImporter().sniff(path, read_head(path)) >= 0.9
    items = list(JsonlImporter().read(path, ImportOptions()))
    assert all(isinstance(item, ConversationIn) for item in items)
    assert [orjson.dumps(i.to_canonical()) for i in items] == lines
    second = tmp_path / "again.jsonl"
    write_demo_jsonl(second)
    assert second.read_bytes() == path.read_bytes()


def test_generation_is_fast() -> None:
    began = time.perf_counter()
    generate_demo(seed=3)
    assert time.perf_counter() - began < 2.0


def test_start_moves_the_window() -> None:
    start = date(2026, 1, 5)
    convs = generate_demo(start=start)
    created = [c.created_at for c in convs]
    assert min(created) >= datetime(2026, 1, 5, tzinfo=UTC) - timedelta(minutes=1)
    assert max(m.sent_at for c in convs for m in c.messages if m.sent_at) < datetime(2026, 3, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- counts


def test_size_and_time_span(corpus: list[ConversationIn]) -> None:
    assert len(corpus) >= 300
    first_day = min(c.created_at for c in corpus).date()
    last_day = max(c.created_at for c in corpus).date()
    assert START <= first_day and last_day <= DEFAULT_END
    weeks = Counter((c.created_at.date() - START).days // 7 for c in corpus)
    assert sorted(weeks) == list(range(12))
    assert min(weeks.values()) >= 10


def test_agents_and_teams(corpus: list[ConversationIn]) -> None:
    assignees = Counter(c.assignee.id for c in corpus if c.assignee)
    assert len(assignees) >= 8
    assert min(assignees.values()) >= 10
    assert len({c.team for c in corpus}) >= 2
    for conv in corpus:
        agent = AGENT_BY_ID[conv.assignee.id]
        assert conv.assignee.name == agent.name and conv.team == agent.team
    authors = {m.author for c in corpus for m in c.messages if m.is_answer}
    assert authors <= set(AGENT_BY_ID)


def test_channels(corpus: list[ConversationIn]) -> None:
    channels = Counter(c.channel for c in corpus)
    assert {"email", "chat", "social"} <= set(channels)
    assert min(channels[ch] for ch in ("email", "chat", "social")) >= 30
    assert {c.channel_raw for c in corpus if c.channel == "social"} == {"twitter"}


def test_languages(corpus: list[ConversationIn]) -> None:
    languages = Counter(c.language for c in corpus)
    assert set(languages) == {"en", "nl"}
    assert 8 <= languages["nl"] <= 15
    dutch_agents = {a.id for a in DUTCH_AGENTS}
    assert all(c.assignee.id in dutch_agents for c in corpus if c.language == "nl")


@pytest.mark.parametrize(
    ("what", "minimum"),
    [
        ("auto_reply", 50),
        ("bot_message", 50),
        ("internal_note", 40),
        ("long_thread", 15),
        ("unanswered", 5),
        ("escalated", 3),
    ],
)
def test_kinds_of_conversation(corpus: list[ConversationIn], what: str, minimum: int) -> None:
    checks = {
        "auto_reply": lambda c: any(m.role is Role.agent and m.is_automated for m in c.messages),
        "bot_message": lambda c: any(m.role is Role.bot for m in c.messages),
        "internal_note": lambda c: any(m.is_internal for m in c.messages),
        "long_thread": lambda c: customer_turns(c) >= 6,
        "unanswered": lambda c: not any(m.is_answer for m in c.messages),
        "escalated": lambda c: "escalated" in c.tags,
    }
    assert sum(map(checks[what], corpus)) >= minimum


def test_statuses_and_satisfaction(corpus: list[ConversationIn]) -> None:
    assert {c.status for c in corpus} == {"solved", "open", "pending"}
    rated_channels = [c for c in corpus if c.channel in ("email", "chat")]
    share = sum(c.satisfaction is not None for c in rated_channels) / len(rated_channels)
    assert 0.25 <= share <= 0.45
    for conv in corpus:
        if conv.satisfaction is not None:
            assert conv.satisfaction.scale == "1-5" and conv.satisfaction.score in {1, 2, 3, 4, 5}
            assert conv.channel in ("email", "chat", "web_form")
            assert conv.status == "solved" or "complaint" in conv.tags, conv.id
    assert sum(bool(c.satisfaction and c.satisfaction.comment) for c in corpus) >= 20


# --------------------------------------------------------------------------- variety


def test_agent_replies_are_varied(corpus: list[ConversationIn]) -> None:
    texts = [m.text for m in answers(corpus)]
    assert len(set(texts)) >= 0.6 * len(texts)


def test_no_agent_repeats_a_reply_within_a_conversation(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        texts = [m.text for m in conv.messages if m.is_answer]
        assert len(texts) == len(set(texts)), conv.id


def test_first_answers_do_not_refer_to_earlier_answers(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        first = next((m for m in conv.messages if m.is_answer), None)
        if first is not None:
            assert not re.search(r"already (told|answered)|previous message|As stated", first.text), conv.id


def test_no_opening_is_used_more_than_a_few_times(corpus: list[ConversationIn]) -> None:
    openings = Counter(first_customer_text(c) for c in corpus)
    assert openings.most_common(1)[0][1] <= 4
    assert len(openings) >= 0.9 * len(corpus)


def test_every_scenario_is_used(corpus: list[ConversationIn]) -> None:
    subjects_or_tags = {tuple(c.tags[:2]) for c in corpus}
    assert len(subjects_or_tags) >= 12
    for scenario in (*SCENARIOS_EN, *SCENARIOS_NL):
        assert any(set(scenario.tags) <= set(c.tags) for c in corpus), scenario.key


def test_star_agents_score_better_than_weak_ones(corpus: list[ConversationIn]) -> None:
    def mean_score(names: set[str]) -> float:
        scores = [c.satisfaction.score for c in corpus if c.satisfaction and c.assignee.name in names]
        return statistics.mean(scores)

    stars = {"Priya Nair", "Marcus Okafor", "Ruth Adeyemi"}
    weak = {"Gareth Lyle", "Derek Shaw", "Ben Carter"}
    assert mean_score(stars) >= mean_score(weak) + 1.0


def _plain(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The fixed start of each pool line (up to its first slot), to search for verbatim."""
    starts = (line.split("{")[0].rstrip(".! ") for line in lines)
    return tuple(start for start in starts if len(start) >= 10)


ALL_EN = tuple(s for s in SCENARIOS_EN if s.language == "en")
CATEGORIES = {
    "templated apology": (EN.templated_sorry, 20),
    "specific apology": (tuple(x for s in ALL_EN for x in s.sorry), 20),
    "blaming the customer": (EN.poor_blame + tuple(x for s in ALL_EN for x in s.blame), 3),
    "curt reply": (EN.poor_curt, 5),
    "generic DM request": (EN.poor_social + EN.generic_dm_move, 5),
    "asks for a manager": (EN.escalate, 3),
    "confirms it worked": (("That worked, thanks!",), 3),
    "auto-acknowledgement": (EN.auto_replies + EN.auto_replies_busy, 50),
}


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_each_kind_of_reply_occurs(corpus: list[ConversationIn], category: str) -> None:
    pool, minimum = CATEGORIES[category]
    lines = _plain(pool)
    hits = sum(any(line in m.text for line in lines) for c in corpus for m in c.messages)
    assert hits >= minimum, (category, hits)


@pytest.mark.parametrize(
    ("phrase", "pool"),
    [
        ("Sorry for any inconvenience.", EN.templated_sorry),
        ("We apologise for the inconvenience caused.", EN.templated_sorry),
        ("Excuses voor het ongemak.", NL.templated_sorry),
        ("You did not follow our process.", EN.poor_blame),
        ("Not our problem.", EN.poor_curt),
        ("Please DM us.", EN.poor_social),
        ("I want to speak to a manager.", EN.escalate),
    ],
)
def test_the_issue_examples_are_in_the_content(phrase: str, pool: tuple[str, ...]) -> None:
    assert phrase in pool


def test_the_issue_auto_reply_and_specific_apology_occur(corpus: list[ConversationIn]) -> None:
    texts = [m.text for c in corpus for m in c.messages]
    assert "Thanks for your e-mail. We will answer within 28 working days." in texts
    assert any("Sorry your parcel went to the wrong address" in t for t in texts)


def test_dutch_conversations_have_templated_dutch_apologies(corpus: list[ConversationIn]) -> None:
    dutch = [c for c in corpus if c.language == "nl"]
    texts = [m.text for m in answers(dutch)]
    assert any(any(sorry in t for sorry in NL.templated_sorry) for t in texts)
    assert all(not any(sorry in t for sorry in EN.templated_sorry) for t in texts)


# --------------------------------------------------------------------------- shape of each conversation


def test_ids(corpus: list[ConversationIn]) -> None:
    assert [c.id for c in corpus] == [f"demo-{n:04d}" for n in range(1, len(corpus) + 1)]
    assert {c.source for c in corpus} == {"demo"}
    for conv in corpus:
        assert re.fullmatch(r"cus_\d{4}", conv.customer.id or "")
        assert conv.customer.name
        ids = [m.id for m in conv.messages]
        assert len(ids) == len(set(ids))
        for msg in conv.messages:
            if msg.role is Role.customer:
                assert msg.author == conv.customer.id and msg.author_name == conv.customer.name


def test_customers_are_numbered_in_order_of_first_appearance(corpus: list[ConversationIn]) -> None:
    seen: list[str] = []
    for conv in corpus:
        if conv.customer.id not in seen:
            seen.append(conv.customer.id or "")
    assert seen == [f"cus_{n:04d}" for n in range(1, len(seen) + 1)]
    assert len(seen) < len(corpus)  # a few customers write in more than once


def test_times_are_ordered_and_in_utc(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        times = [m.sent_at for m in conv.messages if m.sent_at is not None]
        assert times == sorted(times), conv.id
        assert conv.created_at == times[0]
        assert all(t.utcoffset() == timedelta(0) for t in times)
        if conv.closed_at is not None:
            assert conv.status == "solved" and conv.closed_at >= times[-1]


def test_a_handful_of_social_messages_have_no_time(corpus: list[ConversationIn]) -> None:
    missing = [(c, m) for c in corpus for m in c.messages if m.sent_at is None]
    assert 3 <= len(missing) <= 10
    assert all(c.channel == "social" and m is not c.messages[0] for c, m in missing)


def _first_answer_delay(conv: ConversationIn) -> timedelta | None:
    first = conv.messages[0].sent_at
    answer = next((m for m in conv.messages if m.is_answer), None)
    if answer is None or answer.sent_at is None or first is None:
        return None
    return answer.sent_at - first


def test_response_times_fit_the_channel(corpus: list[ConversationIn]) -> None:
    delays: dict[str, list[timedelta]] = {}
    for conv in corpus:
        delay = _first_answer_delay(conv)
        if delay is not None:
            delays.setdefault(conv.channel, []).append(delay)
    assert statistics.median(delays["chat"]) < timedelta(minutes=5)
    assert timedelta(minutes=5) < statistics.median(delays["social"]) < timedelta(hours=8)
    assert timedelta(hours=1) < statistics.median(delays["email"]) < timedelta(days=2)
    assert max(delays["email"]) > timedelta(days=2)  # some slow first responses


def test_email_answers_are_written_in_office_hours(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        if conv.channel != "email":
            continue
        for msg in conv.messages:
            if msg.is_answer and msg.sent_at is not None:
                assert msg.sent_at.weekday() < 5 and 8 <= msg.sent_at.hour < 19, (conv.id, msg.id)


def test_email_has_subjects_greetings_and_raw_bodies(corpus: list[ConversationIn]) -> None:
    emails = [c for c in corpus if c.channel == "email"]
    assert all(c.subject for c in emails)
    replies = answers(emails)
    greeted = [m for m in replies if re.match(r"(Hi|Hello|Dear|Hoi|Hallo|Beste)\b", m.text)]
    assert len(greeted) >= 0.6 * len(replies)
    assert all(m.raw_text and m.raw_text.startswith(m.text) for m in replies)
    quoted = [m for c in emails for m in c.messages if m.raw_text and "wrote:\n>" in m.raw_text]
    assert quoted


def test_social_replies_carry_handles_and_initials(corpus: list[ConversationIn]) -> None:
    social = [c for c in corpus if c.channel == "social"]
    assert all(c.subject is None for c in social)
    for conv in social:
        assert conv.messages[0].text.count("@KestrelHelp") == 1
        for msg in conv.messages:
            if msg.is_answer:
                assert msg.text.endswith(f"^{AGENT_BY_ID[msg.author].initials}"), msg.text
        public = next((m for m in conv.messages if m.is_answer), None)
        if public is not None and public is conv.messages[1]:
            assert public.text.startswith("@")


def test_auto_replies_are_flagged_agent_messages_the_detector_recognises(corpus: list[ConversationIn]) -> None:
    autos = [m for c in corpus for m in c.messages if m.is_automated and m.role is Role.agent]
    assert autos
    for msg in autos:
        assert msg.author == "kestrel-care"
        assert looks_automated(msg.text), msg.text


def test_bots_notes_and_agents_are_marked(corpus: list[ConversationIn]) -> None:
    for conv in corpus:
        for msg in conv.messages:
            if msg.role is Role.bot:
                assert msg.author == "bot-kes" and not msg.is_internal
            if msg.is_internal:
                assert msg.role is Role.agent and msg.author in AGENT_BY_ID


def test_script_tags_stay_literal_customer_text(corpus: list[ConversationIn]) -> None:
    payloads = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
    for payload in payloads:
        hits = [(c, m) for c in corpus for m in c.messages if payload in m.text]
        assert len(hits) == 1
        conv, msg = hits[0]
        assert msg.role is Role.customer
        assert payload in orjson.dumps(conv.to_canonical()).decode()


# --------------------------------------------------------------------------- the content itself


def _templates(scenario: Scenario) -> list[str]:
    out: list[str] = []
    for value in vars(scenario).values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, tuple):
            for item in value:
                out.extend([item] if isinstance(item, str) else [x for x in item if isinstance(x, str)])
    return out


SLOTS_EXTRA = {"agent": "Priya", "team": "Billing & Accounts", "lead": "Priya", "info": "#40001"}


@pytest.mark.parametrize("scenario", [*SCENARIOS_EN, *SCENARIOS_NL, SECURITY_REPORT], ids=lambda s: s.key)
def test_scenario_templates_fill(scenario: Scenario) -> None:
    customer = Customer("Dana", "Reyes", "dana_r", "dana@example.com", scenario.language)
    ph = NL if scenario.language == "nl" else EN
    slots = make_slots(Random(1), scenario, customer, datetime(2026, 10, 1, tzinfo=UTC), ph) | SLOTS_EXTRA
    for template in _templates(scenario):
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert names <= set(slots), (scenario.key, names - set(slots))
        assert "{" not in template.format_map(slots)


@pytest.mark.parametrize("phrases", [EN, NL], ids=lambda p: p.lang)
def test_phrase_templates_fill(phrases: Phrases) -> None:
    scenario = SCENARIOS_NL[0] if phrases.lang == "nl" else SCENARIOS_EN[0]
    customer = Customer("Dana", "Reyes", "dana_r", "dana@example.com", phrases.lang)
    slots = make_slots(Random(1), scenario, customer, datetime(2026, 10, 1, tzinfo=UTC), phrases)
    slots |= SLOTS_EXTRA | {"when": "Tue 3 Nov 2026"}
    for value in vars(phrases).values():
        for template in value if isinstance(value, tuple) else (value,):
            if isinstance(template, str):
                template.format_map(slots)


def test_every_agent_has_a_style_for_each_language_they_answer_in() -> None:
    assert len(AGENTS) >= 10
    assert all("en" in a.styles for a in AGENTS)
    assert all("nl" in a.styles for a in DUTCH_AGENTS)
    assert len({a.initials for a in AGENTS}) == len(AGENTS)
