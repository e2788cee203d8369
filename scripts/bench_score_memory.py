"""Benchmark (not a test): memory while `qa-toolkit score` works through a large file, and with --store while
`qa-toolkit score-store` scores a large store; the resident set size of the command is sampled every second
and should stay bounded however long the input. The input is canonical JSONL written here
(``bench_import.write_corpus``'s messages, each given a fresh six-character code, so that new words keep
coming as order numbers and references do in a real export).

    python scripts/bench_score_memory.py                        # 600,000 messages (about 300,000 replies)
    python scripts/bench_score_memory.py --messages 200000 --store
Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from bench_import import write_corpus  # type: ignore[import-not-found]

CODE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def write_input(path: Path, messages: int, seed: int = 1) -> int:
    """The corpus, each message's text ending in a fresh code; returns the number of conversations."""
    plain = path.with_suffix(".plain.jsonl")
    write_corpus(plain, messages, with_language=False, seed=seed)
    rng = random.Random(seed)
    n = 0
    with open(plain, "rb") as src, open(path, "wb") as out:
        for line in src:
            conv = orjson.loads(line)
            for msg in conv["messages"]:
                msg["text"] = f"{msg['text']} Ref {''.join(rng.choice(CODE) for _ in range(6))}"
            out.write(orjson.dumps(conv) + b"\n")
            n += 1
    plain.unlink()
    return n


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_sampled(cmd: list[str]) -> tuple[float, list[tuple[float, float]], str]:
    """Runs ``cmd``; its time, (seconds, RSS MB) every second, and its last line of output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples = []
    while proc.poll() is None:
        mb = rss_mb(proc.pid)
        if mb:
            samples.append((time.perf_counter() - t0, mb))
        time.sleep(1)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}")
    lines = [x for x in out.splitlines() if x.strip()]
    return time.perf_counter() - t0, samples, (lines[-1] if lines else "")


def report(name: str, seconds: float, samples: list[tuple[float, float]], last: str) -> None:
    print(f"{name}: {seconds:.0f} s; {last.strip()}")
    if not samples:
        return
    mbs = [mb for _, mb in samples]
    quarter = len(mbs) // 4
    at = ", ".join(f"{p}% {mbs[min(len(mbs) - 1, len(mbs) * p // 100)]:,.0f}" for p in (10, 25, 50, 75))
    print(f"  resident memory (MB) at {at}, end {mbs[-1]:,.0f}; after the first quarter "
          f"{min(mbs[quarter:]):,.0f}-{max(mbs[quarter:]):,.0f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=600_000)
    ap.add_argument("--store", action="store_true", help="also import the file and time `score-store`")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "qa_toolkit.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        conversations = write_input(path, args.messages)
        print(f"{args.messages:,} messages in {conversations:,} conversations, each message with a fresh code")
        report("qa-toolkit score", *run_sampled([*cli, "score", str(path), "--out", str(Path(tmp) / "scores.jsonl")]))
        if args.store:
            db = str(Path(tmp) / "store.db")
            run_sampled([*cli, "import", str(path), "--db", db])
            report("qa-toolkit score-store", *run_sampled([*cli, "score-store", "--db", db]))


if __name__ == "__main__":
    main()
