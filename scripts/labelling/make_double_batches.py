"""Write batches of already-labelled TRAINING replies for an independent second labelling, stratified by
the first label of one task (e.g. as many `unfriendly` as `neutral` tone labels), so that agreement can be
measured on a rare class: the random double-labelled sets hold only 2-4 unfriendly replies. The second
labeller sees the same view as the first and never the first labels. Texts go OUTSIDE the repository.

    python scripts/labelling/make_double_batches.py --out /work/labelwork --task tone \
        --per-class unfriendly=80 neutral=80 friendly=40 --prefix double-tone
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from make_batches import view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.classifiers.training import seed_labels_path
from qa_toolkit.datasets import TRAIN_SPLITS, in_test_split, iter_reply_items, shared_data_dir

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--task", default="tone", choices=["tone", "personalisation", "apology", "resolution"])
    ap.add_argument("--per-class", nargs="+", required=True, help="class=count pairs")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--prefix", default="double-tone")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    first: dict[str, dict] = {}
    for path in (seed_labels_path(data), ROOT / "labels" / "train-extra.jsonl"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            first[rec["item"]] = rec
    twice = {json.loads(x)["item"] for x in (ROOT / "labels" / "second-labels.jsonl").read_text().splitlines()}
    rng = random.Random(args.seed)
    chosen: list[str] = []
    for pair in args.per_class:
        cls, count = pair.split("=")
        cands = sorted(i for i, r in first.items() if r[args.task] == cls and i not in twice
                       and not in_test_split(i, data))  # a test thread's reply is not trained on: no use  # fmt: skip
        chosen += rng.sample(cands, min(int(count), len(cands)))
    rng.shuffle(chosen)
    wanted = set(chosen)
    items = {it.item: it for s in TRAIN_SPLITS for it in iter_reply_items(s, data) if it.item in wanted}
    chosen = [i for i in chosen if i in items]
    for b in range(0, len(chosen), args.batch):
        name = f"{args.prefix}-{b // args.batch + 1:02d}"
        write_batch(args.out, name, [view(items[i]) for i in chosen[b : b + args.batch]])
    print(f"{len(chosen)} replies in {(len(chosen) + args.batch - 1) // args.batch} batches")


if __name__ == "__main__":
    main()
