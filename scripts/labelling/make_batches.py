"""Write labelling batches (texts, for reading only: OUTSIDE the repository) of agent replies from
../shared/data, chosen where the models are weakest, excluding replies that already have labels.

    python scripts/labelling/make_batches.py --out /work/labelwork

Pools: training (airlines-train, ibm-dev, twcs-sample): targeted searches for possibly unfriendly
replies, apologies, link replies, plus a random share; evaluation (airlines-test, ibm-test): a random
sample plus a targeted share, each item marked with how it was sampled.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path

from qa_toolkit.datasets import ReplyItem, iter_test_reply_items, iter_training_reply_items, shared_data_dir

UNFRIENDLY = re.compile(
    r"(as (we|i|was) (already |previously )?(said|stated|mentioned|told|explained|advised)|"
    r"you (should|must|need to|have to) have|you (did not|didn't|failed to|were told|were advised|chose)|"
    r"not (our|my) (problem|fault|responsibility|concern)|nothing (more )?(we|i) can do|"
    r"(per|as per|according to) (our|the) (policy|terms|rules)|it is (your|the customer's) responsibility|"
    r"please (read|review|refer to) (our|the)|we (cannot|can't|won't|will not) (help|assist|do)|"
    r"there is no (need|reason)|calm down|that's not how|that is not how|we don't|we do not|"
    r"unfortunately|policy|cannot|can't|unable|no longer|\b[A-Z]{4,}\b.*\b[A-Z]{4,}\b|!!|\?\?|"
    r"^\W*\w+(\W+\w+){0,5}\W*$)",
    re.I,
)
APOLOGY = re.compile(r"sorry|apolog|regret|excuse|inconvenien", re.I)
LINK = re.compile(r"https?://|www\.|\.com/|bit\.ly", re.I)


def excluded_items(paths: list[Path]) -> set[str]:
    """Item ids already in a manifest.json or a label file (JSONL with an "item" field)."""
    done: set[str] = set()
    for p in paths:
        text = p.read_text()
        done |= (
            set(json.loads(text)) if p.suffix == ".json" else {json.loads(x)["item"] for x in text.splitlines() if x}
        )
    return done


def view(item: ReplyItem) -> dict:
    return {
        "item": item.item,
        "context": [{"role": m.role.value, "text": m.text} for m in item.context],
        "reply": item.reply.text,
    }


def write_batch(out: Path, name: str, items: list[dict]) -> None:
    (out / f"{name}.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    lines = [f"# {name}: {len(items)} replies\n"]
    for n, it in enumerate(items, 1):
        lines.append(f"\n## {n}. item `{it['item']}`\n")
        for m in it["context"][-8:]:
            lines.append(f"- **{m['role']}**: {m['text']}\n")
        lines.append(f"\n> **REPLY TO LABEL**: {it['reply']}\n")
    (out / f"{name}.md").write_text("".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--labels", type=Path, nargs="*", default=[], help="label files whose items to exclude")
    ap.add_argument("--train", type=int, default=1000)
    ap.add_argument("--eval", type=int, default=420)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    done = {json.loads(line)["item"] for p in args.labels for line in p.read_text().splitlines() if line.strip()}
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    def pool(items: Iterable[ReplyItem]) -> list[ReplyItem]:
        return [i for i in items if i.item not in done and i.reply.text.strip()]

    def choose(items: list[ReplyItem], quotas: list[tuple[str, re.Pattern | None, int]]) -> list[tuple[str, ReplyItem]]:
        picked: list[tuple[str, ReplyItem]] = []
        taken: set[str] = set()
        for name, pattern, k in quotas:
            cands = [i for i in items if i.item not in taken and (pattern is None or pattern.search(i.reply.text))]
            for it in rng.sample(cands, min(k, len(cands))):
                picked.append((name, it))
                taken.add(it.item)
        rng.shuffle(picked)
        return picked

    train = choose(
        pool(iter_training_reply_items(data)),  # no test thread
        [("unfriendly-search", UNFRIENDLY, int(args.train * 0.35)), ("apology-search", APOLOGY, int(args.train * 0.3)),
         ("link-search", LINK, int(args.train * 0.15)), ("random", None, args.train - int(args.train * 0.8))],
    )  # fmt: skip
    evaluation = choose(
        pool(iter_test_reply_items(data)),
        [("random", None, int(args.eval * 0.7)), ("unfriendly-search", UNFRIENDLY, int(args.eval * 0.15)),
         ("apology-search", APOLOGY, args.eval - int(args.eval * 0.7) - int(args.eval * 0.15))],
    )  # fmt: skip
    manifest = {}
    for prefix, chosen in (("train", train), ("eval", evaluation)):
        for b in range(0, len(chosen), args.batch):
            name = f"{prefix}-{b // args.batch + 1:02d}"
            part = chosen[b : b + args.batch]
            write_batch(args.out, name, [view(it) for _, it in part])
            manifest.update({it.item: {"batch": name, "sampling": s} for s, it in part})
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(train)} training and {len(evaluation)} evaluation items to {args.out}")


if __name__ == "__main__":
    main()
