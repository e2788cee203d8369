"""Benchmark (not a test): import N messages of canonical JSONL into a fresh SQLite file; report messages
per second and memory over time (resident set size sampled while importing).

    python scripts/bench_import.py                    # 1,000,000 messages, languages to detect
    python scripts/bench_import.py --messages 200000 --with-language
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from qa_toolkit.pipeline import import_files

CUSTOMER = [
    "my order #{n} still hasn't arrived and the tracking page has not changed since Monday",
    "I was charged twice for my subscription this month, can you refund one of the payments?",
    "the app crashes every time I open the settings screen on my Pixel 7",
    "hi, how do I change the delivery address for order {n}?",
    "still waiting for an answer to my previous message, this is getting ridiculous",
    "thanks, that worked!",
    "I can't log in since the last update, the password reset mail never arrives",
    "Hallo, mijn pakket {n} is nog steeds niet aangekomen. Kunnen jullie kijken?",
    "can I return a jacket I bought in the sale? It doesn't fit",
    "ok",
]
AGENT = [
    "Hi {name}, sorry your parcel is late. I've checked order #{n}: it is at the depot and goes out tomorrow.",
    "Sorry for any inconvenience. Please DM us your order number and we'll take a look.",
    "Thanks for reaching out! I've refunded the second payment; it shows on your card within 3-5 days.",
    "Could you tell us which version of the app you're on? You'll find it under Settings > About.",
    "Happy to help, {name}! You can change the address under Orders > Edit until the parcel ships.",
    "We apologise for the inconvenience caused. Our team will get back to you.",
    "Glad it's working now! Have a great weekend.",
    "Excuses voor het ongemak. Ik heb uw pakket {n} nagevraagd bij de vervoerder.",
]
NAMES = ["Dana", "Sam", "Priya", "Jonas", "Mei", "Tom", "Aisha", "Lars"]


def write_corpus(path: Path, messages: int, *, with_language: bool, seed: int = 1) -> int:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    written = conv_no = 0
    with open(path, "wb") as fh:
        while written < messages:
            conv_no += 1
            n_msgs = min(messages - written, rng.randint(4, 16))
            t = start + timedelta(minutes=conv_no * 7)
            name = rng.choice(NAMES)
            msgs = []
            for i in range(n_msgs):
                role = "customer" if i % 2 == 0 else "agent"
                bank = CUSTOMER if role == "customer" else AGENT
                t += timedelta(seconds=rng.randint(20, 20000))
                msg = {
                    "id": str(i),
                    "role": role,
                    "author": f"cus_{conv_no}" if role == "customer" else f"agent_{conv_no % 40}",
                    "sent_at": t.isoformat().replace("+00:00", "Z") if rng.random() > 0.02 else None,
                    "text": rng.choice(bank).format(n=rng.randint(10000, 99999), name=name),
                }
                if with_language:
                    msg["language"] = "en"
                msgs.append(msg)
            fh.write(orjson.dumps({
                "id": f"b-{conv_no}", "source": "bench", "channel": rng.choice(["email", "chat", "twitter"]),
                "customer": {"id": f"cus_{conv_no}", "name": name}, "team": f"team-{conv_no % 3}",
                "messages": msgs,
            }) + b"\n")  # fmt: skip
            written += n_msgs
    return conv_no


def _rss_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int | str) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return fh.read().split()
    except OSError:
        return []


def rss_mb() -> float:
    """Resident memory of this process and all its descendants (the import's worker runs under a
    forkserver process)."""
    todo, total = [str(os.getpid())], 0
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(_children(pid))
    return total / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--with-language", action="store_true", help="the file gives each message's language")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"bench-{args.messages}{'-lang' if args.with_language else ''}.jsonl"
    if not corpus.exists():
        t0 = time.perf_counter()
        convs = write_corpus(corpus, args.messages, with_language=args.with_language)
        print(f"wrote {corpus} ({convs:,} conversations, {corpus.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f}s")  # fmt: skip
    db = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    samples: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    summary = import_files([corpus], db=f"sqlite:///{db}", progress=lambda n: samples.append((n, rss_mb())))
    elapsed = time.perf_counter() - t0
    msgs = summary.counts.messages
    print(f"imported {summary.read:,} conversations / {msgs:,} messages in {elapsed:.1f}s: "
          f"{msgs / elapsed:,.0f} messages/s")  # fmt: skip
    picks = [samples[int(i * (len(samples) - 1) / 9)] for i in range(10)] if samples else []
    print(
        "RSS of both processes while importing (conversations read: MB): "
        + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in picks)
    )
    peak = max(mb for _, mb in samples) if samples else float("nan")
    print(f"peak RSS of all processes (sampled per batch) {peak:.0f} MB; "
          f"database {db.stat().st_size / 1e6:.0f} MB; cpu count {os.cpu_count()}")  # fmt: skip
    t0 = time.perf_counter()
    again = import_files([corpus], db=f"sqlite:///{db}")
    print(f"re-import: {again.counts.unchanged:,} unchanged, {again.counts.new + again.counts.updated} written, "
          f"{time.perf_counter() - t0:.1f}s")  # fmt: skip


if __name__ == "__main__":
    main()
