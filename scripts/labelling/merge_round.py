"""Append one labelling round's first labels to labels/train-extra.jsonl, or with ``--set eval`` to the
evaluation set, labels/eval-test.jsonl (ids and labels, never text).

    python scripts/labelling/merge_round.py --work /work/labelwork --prefix uncertain20
    python scripts/labelling/merge_round.py --set eval --work /work/labelwork --prefix hunt5-eval

Reads every batch `<work>/<prefix>-NN.jsonl` of the round (written by make_batches.py, hunt_uncertain.py,
hunt_unfriendly.py or hunt_reactions.py, listed in `<work>/manifest.json` with how each reply was
sampled) and its labeller's file `<work>/out/<prefix>-NN.<labeller>.jsonl` (scripts/labelling/PROMPT.md).
Refuses, writing nothing, when a batch has no labels or two labellers, a file's items differ from its
batch's, a label is outside the guide's, a reply already has a first label (seed, train-extra or the
evaluation set), or a reply comes from the wrong splits (training labels only from the training splits,
evaluation labels only from the test splits).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from adjudicate import labeller_readings, write_whole  # type: ignore[import-not-found]

from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.classifiers.training import LABEL_FILE_EVAL, LABEL_FILES_TRAIN, read_labels, seed_labels_path
from qa_toolkit.datasets import TEST_SPLITS, TRAIN_SPLITS, in_test_split, shared_data_dir

ROOT = Path(__file__).resolve().parents[2]


def round_records(work: Path, prefix: str, manifest: dict[str, dict]) -> list[dict]:
    """The round's label records, batch by batch in the batches' order; SystemExit naming what is wrong."""
    batches = sorted(work.glob(f"{prefix}-[0-9][0-9].jsonl"))
    if not batches:
        raise SystemExit(f"{work}: no batches named {prefix}-NN.jsonl")
    for batch in batches:  # every batch labelled, once
        name = batch.name.removesuffix(".jsonl")
        outs = sorted((work / "out").glob(f"{name}.*.jsonl"))
        if len(outs) != 1:
            raise SystemExit(f"{name}: {len(outs)} labellers' files in {work / 'out'} (one needed)")
    # each file checked against its batch (items and order, labels of the guide), as adjudicate.py does
    readings = labeller_readings(work, f"{prefix}-[0-9][0-9].*.jsonl")
    records = []
    for item, r in readings.items():
        if item not in manifest:
            raise SystemExit(f"{r['batch']}: {item} is not in {work / 'manifest.json'}")
        records.append({"item": item, **{t: r[t] for t in LABEL_SETS}, "labeller": r["labeller"],
                        "batch": r["batch"], "sampling": manifest[item]["sampling"]})  # fmt: skip
    return records


def refusals(records: list[dict], have: set[str], which: str, data_dir: Path) -> str | None:
    """Why the round cannot be appended to the ``which`` ("train" or "eval") labels, or None. ``have``: items
    that already have a first label in either set. A training round may not hold a twcs-sample reply of a
    test-split thread (``datasets.in_test_split``, read from ``data_dir``)."""
    twice = [i for i, n in Counter(r["item"] for r in records).items() if n > 1]
    already = [r["item"] for r in records if r["item"] in have]
    if twice or already:
        return (f"{len(twice)} replies appear twice in the round, {len(already)} already have a first label "
                f"(e.g. {(twice + already)[0]})")  # fmt: skip
    allowed = TEST_SPLITS if which == "eval" else TRAIN_SPLITS
    wrong = [r["item"] for r in records if r["item"].split(":", 1)[0] not in allowed]
    if wrong:
        where = "test splits only" if which == "eval" else "training splits only"
        return f"{len(wrong)} replies are not from the {where} that {which} labels come from (e.g. {wrong[0]})"
    test = [r["item"] for r in records if which == "train" and in_test_split(r["item"], data_dir)]
    if test:
        return f"{len(test)} replies are in threads of a test split, so they are test data (e.g. {test[0]})"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument(
        "--set",
        dest="which",
        choices=["train", "eval"],
        default="train",
        help="append to labels/train-extra.jsonl (train) or to the evaluation set (eval)",
    )
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    manifest = json.loads((args.work / "manifest.json").read_text())
    records = round_records(args.work, args.prefix, manifest)
    target = ROOT / (LABEL_FILE_EVAL if args.which == "eval" else LABEL_FILES_TRAIN[1])
    have = {r["item"] for p in (ROOT / LABEL_FILES_TRAIN[1], ROOT / LABEL_FILE_EVAL) for r in read_labels(p)}
    have |= {r["item"] for r in read_labels(seed_labels_path(data))}
    refused = refusals(records, have, args.which, data)
    if refused:
        raise SystemExit(f"{refused}: nothing written")
    text = target.read_text() if target.exists() else ""
    lines = text + ("\n" if text and not text.endswith("\n") else "") + "".join(json.dumps(r) + "\n" for r in records)
    write_whole(target, lines)
    print(f"{len(records)} labels of {args.prefix} appended to {target.relative_to(ROOT)}")
    for task in LABEL_SETS:
        print(f"  {task}: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[task] for r in records).items())))


if __name__ == "__main__":
    main()
