"""Write batches of whole threads (texts, for reading only: OUTSIDE the repository) for the thread-level
judgements of the labelling guide (outcome, review) and a hand count of exchanges.

    python scripts/labelling/make_thread_batches.py --out /work/labelwork/threads

Threads come from the TWCS sample and the twcs-airlines training split only (never a test split): a random
sample from each, plus a share of long threads (3+ customer turns) so the long-thread flags get checked.
Thread ids: ``<split>:<conversation id>``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from qa_toolkit.datasets import iter_conversations, sample_threads_in_test, shared_data_dir
from qa_toolkit.metrics import compute_metrics
from qa_toolkit.schema import ConversationIn


def render(tid: str, conv: ConversationIn) -> str:
    lines = [f"## thread `{tid}`\n"]
    start = next((m.sent_at for m in conv.messages if m.sent_at), None)
    prev = None
    for i, m in enumerate(conv.messages, 1):
        when = "time unknown"
        if m.sent_at and start:
            when = f"+{(m.sent_at - start).total_seconds() / 60:.0f} min"
            if prev:
                when += f" (waited {(m.sent_at - prev).total_seconds() / 60:.0f} min)"
            prev = m.sent_at
        tags = [t for t, on in (("AUTO-REPLY", m.is_automated), ("INTERNAL NOTE", m.is_internal)) if on]
        tag = f" [{', '.join(tags)}]" if tags else ""
        lines.append(f"{i}. **{m.role.value}**{tag} ({when}): {m.text}\n")
    return "".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--random", type=int, default=80, help="random threads per split")
    ap.add_argument("--long", type=int, default=20, help="extra long threads per split")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--prefix", default="threads")
    ap.add_argument("--exclude", type=Path, nargs="*", default=[], help="thread label files already judged")
    ap.add_argument(
        "--exclude-replies",
        type=Path,
        nargs="*",
        default=[],
        help="reply label files (``item`` = <split>:<conversation>#<message>): leave out their conversations, so "
        "that a held-out set never scores a thread with in-sample reply labels",
    )
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    rng = random.Random(args.seed)
    done = {json.loads(line)["thread"] for p in args.exclude for line in p.read_text().splitlines() if line.strip()}
    done |= {
        json.loads(line)["item"].split("#", 1)[0]
        for p in args.exclude_replies
        for line in p.read_text().splitlines()
        if line.strip()
    }
    chosen: list[tuple[str, ConversationIn, str]] = []
    for split in ("twcs-sample", "airlines-train"):
        convs = [
            c
            for c in iter_conversations(split, data)
            if any(m.role.value == "agent" for m in c.messages)
            and f"{split}:{c.id}" not in done
            and not (split == "twcs-sample" and c.id in sample_threads_in_test(data))  # test data (datasets.py)
        ]
        picked = rng.sample(convs, args.random)
        ids = {c.id for c in picked}
        longs = [c for c in convs if c.id not in ids and compute_metrics(c.messages).customer_turns >= 3]
        chosen += [(f"{split}:{c.id}", c, "random") for c in picked]
        chosen += [(f"{split}:{c.id}", c, "long-oversample") for c in rng.sample(longs, min(args.long, len(longs)))]
    rng.shuffle(chosen)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for b in range(0, len(chosen), args.batch):
        name = f"{args.prefix}-{b // args.batch + 1:02d}"
        part = chosen[b : b + args.batch]
        text = [f"# {name}: {len(part)} threads\n\n"] + [render(t, c) + "\n" for t, c, _ in part]
        (args.out / f"{name}.md").write_text("".join(text))
        manifest.update({t: {"batch": name, "sampling": s} for t, _, s in part})
    path = args.out / "manifest.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **manifest}, indent=1))
    print(f"{len(chosen)} threads in {(len(chosen) + args.batch - 1) // args.batch} batches")


if __name__ == "__main__":
    main()
