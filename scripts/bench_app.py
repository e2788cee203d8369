"""Benchmark (not a test): the review queue, the conversation view and the trends on a large SQLite store.

Builds (once; reused by later runs) a store of 50,000 synthetic conversations with 500,000 messages, written
by this script, with automatic results (four labels per agent reply, flags, a scorecard result) and some
finished and draft reviews; then times, over repeated runs, the functions the pages call
(db.results.queue_counts / list_queue / filter_options / load_conversation, and the queue's table; the
trend queries of db.trend_queries in UTC and in Europe/Amsterdam) and, unless --no-apptest, the whole pages
rendered by Streamlit's AppTest.

    python scripts/bench_app.py                        # var/bench/app-50000.db, 7 repeats
    python scripts/bench_app.py --conversations 5000 --repeat 3 --no-apptest
    python scripts/bench_app.py --trends-only          # the trend queries and the trends page only
    python scripts/bench_app.py --rebuild              # write the store again
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select

from qa_toolkit.db import results
from qa_toolkit.db import trend_queries as tq
from qa_toolkit.db.engine import get_engine
from qa_toolkit.pipeline import import_files
from qa_toolkit.rules.base import Flag, LabelResult, ReplyResult

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (6, 8, 10, 12, 14)  # messages per conversation, 10 on average
AGENTS = [(f"ag_{i:02d}", f"Agent {i:02d}") for i in range(40)]
TEAMS = ("Billing", "Orders", "Returns", "Tech", "Accounts", "Shipping")
CHANNELS = ("email", "chat", "twitter", "web", "phone")
LANGUAGES = ("en", "en", "en", "nl", "de")
RULES = (
    "slow_first_response.v1",
    "long_back_and_forth.v2",
    "templated_apology.v1",
    "unresolved_end.v1",
    "unfriendly_reply.v1",
    "escalation_request.v1",
    "generic_reply.v1",
    "long_customer_wait.v1",
)
LABELS = {
    "tone": ("friendly", "neutral", "unfriendly"),
    "personalisation": ("personalised", "generic"),
    "apology": ("none", "templated", "specific"),
    "resolution": ("solution", "step", "none"),
}
CUSTOMER = (
    "Order {n} has not arrived yet, the tracking page has not changed for days.",
    "I was charged twice for order {n}, please refund one of the payments.",
    "The app logs me out every time I open my basket. Version {v}.",
    "Can I still change the delivery address of order {n}?",
    "Still no answer to my previous message about order {n}.",
    "Thanks, that solved it.",
)
AGENT = (
    "Hi {name}, I checked order {n}: it is at the depot and goes out tomorrow.",
    "Sorry for any inconvenience. Please send us your order number and we will look into it.",
    "I refunded the second payment for order {n}; it shows on your card within 3-5 days.",
    "Could you tell us which app version you use? It is under Settings, About.",
    "Happy to help, {name}: the address can be changed under Orders until the parcel ships.",
    "You are welcome, have a good day!",
)
NAMES = ("Dana", "Sam", "Priya", "Jonas", "Mei", "Tom", "Aisha", "Lars")


# --------------------------------------------------------------------------- the store


def write_corpus(path: Path, conversations: int, *, seed: int = 5) -> int:
    """Canonical JSONL: ``conversations`` threads alternating customer and agent, languages given. Returns
    the number of messages."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    messages = 0
    with open(path, "wb") as fh:
        for c in range(1, conversations + 1):
            n = LENGTHS[c % len(LENGTHS)]
            agent, agent_name = AGENTS[c % len(AGENTS)]
            name = NAMES[c % len(NAMES)]
            lang = LANGUAGES[c % len(LANGUAGES)]
            t = start + timedelta(minutes=c * 10)
            created = t
            msgs = []
            for i in range(n):
                role = "customer" if i % 2 == 0 else "agent"
                t += timedelta(seconds=rng.randint(60, 30_000))
                bank = CUSTOMER if role == "customer" else AGENT
                msgs.append(
                    {
                        "id": f"{c}-{i}",
                        "role": role,
                        "author": f"cus_{c}" if role == "customer" else agent,
                        "author_name": name if role == "customer" else agent_name,
                        "sent_at": t.isoformat(),
                        "text": rng.choice(bank).format(n=rng.randint(10_000, 99_999), v=rng.randint(1, 9), name=name),
                        "language": lang,
                    }
                )
            record = {
                "id": f"b-{c}",
                "source": "bench",
                "channel": CHANNELS[c % len(CHANNELS)],
                "subject": f"Order {10_000 + c}",
                "created_at": created.isoformat(),
                "customer": {"id": f"cus_{c}", "name": name},
                "assignee": {"id": agent, "name": agent_name},
                "team": TEAMS[c % len(TEAMS)],
                "language": lang,
                "messages": msgs,
            }
            fh.write(orjson.dumps(record) + b"\n")
            messages += n
    return messages


@dataclass
class Score:
    """A scorecard result (the ScoreLike protocol of db.results)."""

    scorecard: str
    value: float | None
    passed: bool | None
    categories: dict[str, float | None] = field(default_factory=dict)


def synthetic_results(cid: int, digest: str, ext: str, n: int, rng: random.Random) -> results.ConversationResults:
    c = int(ext.split("-")[1])
    replies = []
    for i in range(1, n, 2):  # the agent messages
        replies.append(
            ReplyResult(
                message_id=f"{c}-{i}",
                conversation_id=ext,
                **{
                    name: LabelResult(
                        label=rng.choice(options), confidence=round(rng.uniform(0.4, 1.0), 2), evidence=["order"]
                    )
                    for name, options in LABELS.items()
                },
            )
        )
    flags = []
    if rng.random() < 0.6:
        for rule in rng.sample(RULES, rng.randint(1, 3)):
            flags.append(
                Flag(
                    rule=rule,
                    score=round(rng.uniform(0.3, 1.0), 3),
                    reason="synthetic",
                    evidence=[f"{c}-1"],
                )
            )
    cats = {"tone": rng.choice((0.0, 50.0, 100.0)), "resolution": rng.choice((0.0, 70.0, 100.0)), "apology": None}
    value = round(rng.uniform(20, 100), 1)
    return results.ConversationResults(
        conversation_id=cid,
        content_hash=digest,
        replies=replies,
        flags=flags,
        score=Score("default.v1", value, value >= 75, cats),
        model_versions={name: f"{name}-v1" for name in LABELS},
    )


def build_store(db: Path, conversations: int, *, log: Callable[[str], None]) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{db}"
    with tempfile.TemporaryDirectory(prefix="qa-bench-app-") as tmp:
        corpus = Path(tmp) / "bench.jsonl"
        t0 = time.perf_counter()
        messages = write_corpus(corpus, conversations)
        log(f"wrote {conversations:,} conversations / {messages:,} messages in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        summary = import_files([corpus], db=url)
        log(f"imported {summary.counts.messages:,} messages in {time.perf_counter() - t0:.1f}s")
    engine = get_engine(url)
    rng = random.Random(11)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            select(results.CONV.c.id, results.CONV.c.content_hash, results.CONV.c.external_id, func.count())
            .join(results.MSG, results.MSG.c.conversation_id == results.CONV.c.id)
            .group_by(results.CONV.c.id)
            .order_by(results.CONV.c.id)
        ).all()
    batch: list[results.ConversationResults] = []
    for cid, digest, ext, n in rows:
        batch.append(synthetic_results(cid, digest, ext, n, rng))
        if len(batch) == 2_000:
            results.save_results(engine, results=batch)
            batch = []
    results.save_results(engine, results=batch)
    log(f"wrote automatic results for {len(rows):,} conversations in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    queue = results.list_queue(engine, limit=1_500)
    for k, item in enumerate(queue):
        ext = item.external_id
        c = int(ext.split("-")[1])
        results.save_review(
            engine,
            conversation_id=item.conversation_id,
            reviewer=("Alex", "Sam", "Priya")[k % 3],
            expected_version=None,
            labels=[results.LabelVerdict(f"{c}-1", "tone", "friendly", model_label="neutral")],
            comments=[results.NewComment("synthetic review")],
            done=k % 5 != 0,  # 1,200 done, 300 drafts
        )
    log(f"wrote {len(queue):,} reviews in {time.perf_counter() - t0:.1f}s")
    engine.dispose()


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm: the first call pays for imports and SQLite's page cache
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(f"  {name:<58} median {statistics.median(ms):7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms)})")


def bench_functions(db: Path, repeat: int, seed: int = 3) -> None:
    from qa_toolkit.app.queue_view import PAGE_SIZE, queue_frame

    engine = get_engine(f"sqlite:///{db}")
    rng = random.Random(seed)
    counts = results.queue_counts(engine)
    opts = results.filter_options(engine)
    pages = max(1, -(-counts.waiting // PAGE_SIZE))
    print(
        f"store: {counts.waiting:,} waiting, {counts.in_progress:,} in review, {counts.reviewed:,} reviewed; "
        f"{pages:,} queue pages; {len(opts.agents)} agents"
    )
    filters = {
        "no filter": results.QueueFilters(),
        "agent + channel": results.QueueFilters(agents=(opts.agents[3][0],), channels=("chat",)),
        "flag rule": results.QueueFilters(rules=("unresolved_end.v1",)),
        "team + language + 30 days": results.QueueFilters(
            teams=("Orders",), languages=("nl",), date_from=date(2025, 6, 1), date_to=date(2025, 6, 30)
        ),
        "score 40-60, severity >= 0.8": results.QueueFilters(score_min=40, score_max=60, min_severity=0.8),
    }

    print("queue page (the functions review_queue.py calls):")

    def page(f: results.QueueFilters, offset: int = 0) -> None:
        results.queue_counts(engine, filters=f)
        queue_frame(results.list_queue(engine, filters=f, limit=PAGE_SIZE, offset=offset))

    for label, f in filters.items():
        report(f"counts + page 1 + table, {label}", timed(lambda f=f: page(f), repeat))
    last = (pages - 1) * PAGE_SIZE
    report(
        f"counts + last page ({pages:,}) + table, no filter", timed(lambda: page(filters["no filter"], last), repeat)
    )
    report("list_queue page 1 alone", timed(lambda: results.list_queue(engine, limit=PAGE_SIZE), repeat))
    report("queue_counts alone", timed(lambda: results.queue_counts(engine), repeat))
    report("filter_options (cached 60 s by the app)", timed(lambda: results.filter_options(engine), repeat))

    print("conversation view (load_conversation, then the thread rows the page draws):")
    from qa_toolkit.review import thread_rows

    with engine.connect() as conn:
        top = conn.execute(select(func.max(results.CONV.c.id))).scalar_one()
    ids = [rng.randint(1, top) for _ in range(repeat + 1)]
    it = iter(ids * 2)

    def view() -> None:
        v = results.load_conversation(engine, conversation_id=next(it))
        assert v is not None
        list(thread_rows(v.messages))

    report("load_conversation + thread rows (random conversations)", timed(view, repeat))
    reviewed = results.list_queue(engine, limit=1)[0].conversation_id
    report(
        "load_conversation of one in review (its drafts, comments)",
        timed(lambda: results.load_conversation(engine, conversation_id=reviewed), repeat),
    )
    engine.dispose()


TREND_ZONES = ("UTC", "Europe/Amsterdam")


def bench_trends(db: Path, repeat: int) -> None:
    """The trend queries the trends page runs, in UTC (plain SQL) and in a zone (SQLite's qa_local)."""
    engine = get_engine(f"sqlite:///{db}")
    print("trend queries (db.trend_queries; the page caches each for 300 s):")
    for tz in TREND_ZONES:
        queries: dict[str, Callable[[], Any]] = {
            "trend_scores, week": lambda tz=tz: tq.trend_scores(engine, period="week", tz=tz),
            "trend_traffic, day": lambda tz=tz: tq.trend_traffic(engine, period="day", tz=tz),
            "trend_traffic, week by agent": lambda tz=tz: tq.trend_traffic(engine, period="week", by="agent", tz=tz),
            "arrivals_by_hour": lambda tz=tz: tq.arrivals_by_hour(engine, tz=tz),
            "trend_flags, week": lambda tz=tz: tq.trend_flags(engine, period="week", tz=tz),
            "first_response_values, week": lambda tz=tz: tq.first_response_values(engine, period="week", tz=tz),
            "drill-down: Monday 09:00 arrivals": lambda tz=tz: tq.trend_conversations(
                engine, drill=tq.TrendDrill(weekday=0, hour=9, tz=tz)
            ),
        }
        for name, fn in queries.items():
            report(f"{name} ({tz})", timed(fn, repeat))
    engine.dispose()


def bench_trends_page(db: Path, repeat: int) -> None:
    """The trends page as Streamlit runs it, each run with its query caches cleared (a first view)."""
    os.environ["QA_TOOLKIT_DB"] = f"sqlite:///{db}"
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    print("AppTest: trends page, caches of the trend queries cleared before each run:")
    at = AppTest.from_file(str(ROOT / "app_streamlit.py"), default_timeout=300)
    at.session_state["reviewer"] = "bench"
    at.run()
    at.switch_page("qa_toolkit/app/pages/trends.py").run()
    assert not at.exception, at.exception
    from streamlit.logger import set_log_level

    set_log_level("error")

    def widget(key: str) -> Any:
        return next(w for w in (*at.selectbox, *at.radio) if w.key == key)

    for tz in TREND_ZONES:
        for section in ("Quality", "Traffic", "Arrivals"):

            def page(section: str = section, tz: str = tz) -> None:
                st.cache_data.clear()
                widget("tr_tz").set_value(tz)
                widget("tr_section").set_value(section)
                at.run()
                assert not at.exception, at.exception

            report(f"trends page, {section} ({tz})", timed(page, repeat))


def bench_apptest(db: Path, repeat: int) -> None:
    """The whole pages as Streamlit runs them (the script, every widget, the queries), headless."""
    os.environ["QA_TOOLKIT_DB"] = f"sqlite:///{db}"
    from streamlit.testing.v1 import AppTest

    app = str(ROOT / "app_streamlit.py")
    engine = get_engine(f"sqlite:///{db}")
    first = results.list_queue(engine, limit=repeat + 1)
    engine.dispose()
    print("AppTest render (the whole script run: sidebar, page, widgets):")

    at = AppTest.from_file(app, default_timeout=120)
    at.session_state["reviewer"] = "bench"
    at.run()
    assert not at.exception, at.exception
    from streamlit.logger import set_log_level

    set_log_level("error")  # AppTest sets its own levels: no "missing ScriptRunContext" warnings

    def queue() -> None:
        at.run()
        assert not at.exception, at.exception

    report("review queue page (rerun; filter options cached)", timed(queue, repeat))

    from qa_toolkit.app import common

    def queue_cold() -> None:
        common.filter_options.clear()  # as on a new server, or once the 60 s the options stay cached are over
        queue()

    report("review queue page (filter options not cached)", timed(queue_cold, repeat))

    conv_page = "qa_toolkit/app/pages/conversation.py"
    it = iter([item.conversation_id for item in first] * 2)
    cv = AppTest.from_file(app, default_timeout=120)
    cv.session_state["reviewer"] = "bench"
    cv.run()

    def conversation() -> None:
        cv.session_state["conversation_id"] = next(it)
        cv.switch_page(conv_page).run()
        assert not cv.exception, cv.exception
        assert cv.title and cv.title[0].value.startswith("Conversation #")

    report("conversation page (a different conversation each run)", timed(conversation, repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=50_000)
    ap.add_argument("--db", type=Path, default=None, help="default: var/bench/app-<conversations>.db")
    ap.add_argument("--rebuild", action="store_true", help="write the store again even when it exists")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-apptest", action="store_true", help="time the functions only")
    ap.add_argument("--trends-only", action="store_true", help="time the trend queries and the trends page only")
    args = ap.parse_args()
    from streamlit.logger import set_log_level

    set_log_level("error")  # no "missing ScriptRunContext" warnings outside a server
    db = args.db or ROOT / "var" / "bench" / f"app-{args.conversations}.db"
    if args.rebuild or not db.exists():
        t0 = time.perf_counter()
        build_store(db, args.conversations, log=lambda m: print(m, flush=True))
        print(f"store built in {time.perf_counter() - t0:.0f}s: {db} ({db.stat().st_size / 1e6:.0f} MB)")
    else:
        print(f"using {db} ({db.stat().st_size / 1e6:.0f} MB; --rebuild to write it again)")
    engine = get_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        n_conv = conn.execute(select(func.count()).select_from(results.CONV)).scalar_one()
        n_msg = conn.execute(select(func.count()).select_from(results.MSG)).scalar_one()
        n_reply = conn.execute(select(func.count()).select_from(results.REPLY)).scalar_one()
        n_flag = conn.execute(select(func.count()).select_from(results.FLAG)).scalar_one()
    engine.dispose()
    print(f"{n_conv:,} conversations, {n_msg:,} messages, {n_reply:,} reply labels, {n_flag:,} flags; cpu count "
          f"{os.cpu_count()}; {args.repeat} timed runs after one warm-up")  # fmt: skip
    if not args.trends_only:
        bench_functions(db, args.repeat)
    bench_trends(db, args.repeat)
    if not args.no_apptest:
        if not args.trends_only:
            bench_apptest(db, args.repeat)
        bench_trends_page(db, args.repeat)


if __name__ == "__main__":
    main()
