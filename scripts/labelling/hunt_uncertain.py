"""Write labelling batches of the training-split replies the current models are least sure about
(uncertainty sampling): for each of the four labels, the replies with the smallest margin between the two
most probable classes, plus the replies most likely to be unfriendly. The model only chooses what people
read; the labellers decide every label by reading the reply against the guide. Texts go OUTSIDE the
repository; training splits only (never a test split).

    python scripts/labelling/hunt_uncertain.py --out /work/labelwork --exclude /work/labelwork/manifest.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from make_batches import excluded_items, view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.classifiers.artefacts import load_all
from qa_toolkit.classifiers.training import context_of, seed_labels_path
from qa_toolkit.datasets import iter_training_reply_items, shared_data_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--exclude", type=Path, nargs="*", default=[], help="manifest.json or label files")
    ap.add_argument("--per-label", type=int, default=80, help="least certain replies per label")
    ap.add_argument("--unfriendly", type=int, default=80, help="replies most likely unfriendly")
    ap.add_argument("--pool", type=int, default=30000, help="random pool of unlabelled replies to rank")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--prefix", default="uncertain")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    done = excluded_items([*args.exclude, seed_labels_path(data)])  # never re-read a seed label
    seen: set[str] = set()
    pool = []
    for item in iter_training_reply_items(data):
        key = item.reply.text.strip().lower()
        if item.item in done or not key or key in seen:
            continue
        seen.add(key)
        pool.append(item)
    rng = random.Random(args.seed)
    pool = rng.sample(pool, min(args.pool, len(pool)))
    models = load_all()
    contexts = [context_of(it) for it in pool]
    chosen: dict[str, tuple[object, str]] = {}
    for name, clf in models.items():
        probs = []
        for start in range(0, len(contexts), 2000):
            probs += [p.probabilities for p in clf.predict(contexts[start : start + 2000], evidence=0)]
        margin = [sorted(p.values(), reverse=True)[:2] for p in probs]
        order = sorted(range(len(pool)), key=lambda i: margin[i][0] - margin[i][1])
        picked = 0
        for i in order:
            if picked >= args.per_label:
                break
            if pool[i].item not in chosen:
                chosen[pool[i].item] = (pool[i], f"uncertain-{name}")
                picked += 1
        if name == "tone":
            by_unfriendly = sorted(range(len(pool)), key=lambda i: -probs[i].get("unfriendly", 0.0))
            picked = 0
            for i in by_unfriendly:
                if picked >= args.unfriendly:
                    break
                if pool[i].item not in chosen:
                    chosen[pool[i].item] = (pool[i], "model-unfriendly")
                    picked += 1
    items = list(chosen.values())
    rng.shuffle(items)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for b in range(0, len(items), args.batch):
        name = f"{args.prefix}-{b // args.batch + 1:02d}"
        part = items[b : b + args.batch]
        write_batch(args.out, name, [view(it) for it, _ in part])
        manifest.update({it.item: {"batch": name, "sampling": how} for it, how in part})  # type: ignore[attr-defined]
    manifest_path.write_text(json.dumps(manifest, indent=1))
    print(f"{len(items)} replies in {(len(items) + args.batch - 1) // args.batch} batches")


if __name__ == "__main__":
    main()
