"""Second and third readings of labels: write the batches, find the disagreements, keep the majority.

Training labels (the replies `review_suspects.py` chose, where a cross-validated model finds the given
label least likely):

    python scripts/labelling/review_suspects.py --out /work/labelwork --prefix review1     # second readings
    python scripts/labelling/adjudicate.py third --set train --work /work/labelwork --prefix review1
    python scripts/labelling/adjudicate.py merge --set train --work /work/labelwork --prefix review1

The evaluation set (every reply not yet in labels/eval-reviewed.jsonl, e.g. those a later round added;
chosen by nobody; a new prefix per round):

    python scripts/labelling/adjudicate.py second --set eval --work /work/labelwork --prefix evalread
    python scripts/labelling/adjudicate.py third --set eval --work /work/labelwork --prefix evalread
    python scripts/labelling/adjudicate.py merge --set eval --work /work/labelwork --prefix evalread

Readings: the first label (seed or labels/train-extra.jsonl; labels/eval-test.jsonl), a second reading (the
one labels/second-labels.jsonl already holds, else `<prefix>-NN.<labeller>.jsonl` in `<work>/out/`) and,
where those two differ on any task, a third (`<prefix>-third-NN.<labeller>.jsonl`). A training reply that
already had a second label and was chosen again gets the new reading as its third. Per task the label two
readings share wins; when all three differ (possible for three-class tasks) the first label stays. Every
reader labelled the reply alone, from the same view and prompt as any batch, never seeing another reader's
labels or a model's. Output (ids and labels, never text): labels/train-reviewed.jsonl, read after the other
training files so that its labels replace the first ones (`training_label_records`), and
labels/eval-reviewed.jsonl, the evaluation set's adjudicated labels (`qa-toolkit evaluate` reports both).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from make_batches import view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.classifiers.training import (
    LABEL_FILE_EVAL,
    LABEL_FILE_EVAL_REVIEWED,
    LABEL_FILES_TRAIN,
    read_labels,
    seed_labels_path,
)
from qa_toolkit.cli import _atomic_output
from qa_toolkit.datasets import TEST_SPLITS, TRAIN_SPLITS, iter_reply_items, iter_test_reply_items, shared_data_dir

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = {"train": ROOT / LABEL_FILES_TRAIN[2], "eval": ROOT / LABEL_FILE_EVAL_REVIEWED}  # the files training reads
TASKS = tuple(LABEL_SETS)


def write_whole(path: Path, text: str) -> None:
    """``text`` to ``path`` through the CLI's ``<path>.partial`` file, renamed only when complete: a label file
    is never half-written."""
    with _atomic_output(path) as fh:
        fh.write(text.encode("utf-8"))


def decide(readings: list[dict]) -> dict[str, str]:
    """Per task, the label at least two readings share; the first reading's when all differ."""
    out = {}
    for t in TASKS:
        label, n = Counter(r[t] for r in readings).most_common(1)[0]
        out[t] = label if n >= 2 else readings[0][t]
    return out


def combine(manifest: dict[str, dict], first: dict[str, dict], second: dict[str, dict], reread: dict[str, dict],
            third: dict[str, dict], *, review: str) -> list[dict]:  # fmt: skip
    """One row per manifest item: the readings in order (first label, second reading, third if any), the
    majority labels, the tasks whose three readings all differed (`unresolved`, the first label kept),
    the round and why the reply was read (`reason`). ``second``: earlier second readings, which make the
    new reading the third."""
    rows = []
    for item in sorted(manifest):
        if item in second:
            readings = [first[item], second[item], reread[item]]
        elif item in third:
            readings = [first[item], reread[item], third[item]]
        else:  # the second reading agreed on every task
            readings = [first[item], reread[item]]
        row: dict = {"item": item, **decide(readings)}
        row["readings"] = [{**{t: r[t] for t in TASKS}, "labeller": r.get("labeller", "")} for r in readings]
        unresolved = [t for t in TASKS if len({r[t] for r in readings}) == 3]
        if unresolved:
            row["unresolved"] = unresolved
        row["review"] = review
        row["reason"] = manifest[item]["reason"]
        rows.append(row)
    return rows


def labeller_readings(work: Path, pattern: str) -> dict[str, dict]:
    """item -> label record from the labellers' out files of the matching batches, checked against them."""
    out: dict[str, dict] = {}
    for path in sorted((work / "out").glob(pattern)):
        batch = path.name.split(".")[0]
        want = [json.loads(x)["item"] for x in (work / f"{batch}.jsonl").read_text().splitlines()]
        got = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        if [g["item"] for g in got] != want:
            raise SystemExit(f"{path}: the items differ from those of batch {batch}")
        for g in got:
            for t in TASKS:
                if g.get(t) not in LABEL_SETS[t]:
                    raise SystemExit(f"{path}: {g['item']}: {t} {g.get(t)!r} is not one of {LABEL_SETS[t]}")
            if g["item"] in out:
                raise SystemExit(f"{path}: {g['item']} was already read in {out[g['item']]['batch']}")
            out[g["item"]] = {**{t: g[t] for t in TASKS}, "labeller": path.name.split(".")[1], "batch": batch}
    return out


def eval_to_read(
    first: dict[str, dict], adjudicated: list[str], second: dict[str, dict]
) -> tuple[list[str], list[str]]:
    """The evaluation replies added since the set was last adjudicated (those not in ``adjudicated``, in the
    set's order), and those of them to read a second time (no second label yet), sorted."""
    done = set(adjudicated)
    new = [i for i in first if i not in done]
    return new, sorted(i for i in new if i not in second)


def _first(which: str, data: Path) -> dict[str, dict]:
    if which == "eval":
        records = read_labels(ROOT / LABEL_FILE_EVAL)
    else:  # the first labels, before any review
        records = read_labels(seed_labels_path(data)) + read_labels(ROOT / LABEL_FILES_TRAIN[1])
    return {r["item"]: r for r in records}


def _views(work: Path, prefix: str) -> dict[str, dict]:
    views = {}
    for path in sorted(work.glob(f"{prefix}-[0-9][0-9].jsonl")):
        for x in path.read_text().splitlines():
            v = json.loads(x)
            views[v["item"]] = v
    return views


def _batches(work: Path, prefix: str, views: list[dict], size: int) -> int:
    for b in range(0, len(views), size):
        write_batch(work, f"{prefix}-{b // size + 1:02d}", views[b : b + size])
    return (len(views) + size - 1) // size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["second", "third", "merge"])
    ap.add_argument("--set", dest="which", choices=["train", "eval"], required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    first = _first(args.which, data)
    second = {r["item"]: r for r in read_labels(ROOT / "labels" / "second-labels.jsonl")}
    manifest_path = args.work / f"{args.prefix}-manifest.json"

    if args.step == "second":
        if args.which != "eval":
            raise SystemExit("training replies to re-read are chosen by review_suspects.py")
        if manifest_path.exists():
            raise SystemExit(f"{manifest_path} exists: round {args.prefix} was started already (use a new prefix)")
        import random

        done = [r["item"] for r in read_labels(OUTPUT["eval"])] if OUTPUT["eval"].exists() else []
        new, todo = eval_to_read(first, done, second)
        random.Random(args.seed).shuffle(todo)
        wanted = set(todo)
        items = {it.item: it for it in iter_test_reply_items(data) if it.item in wanted}
        n = _batches(args.work, args.prefix, [view(items[i]) for i in todo], args.batch)
        manifest = {i: {"reason": "second-reading" if i in wanted else "second-labels.jsonl"} for i in new}
        manifest_path.write_text(json.dumps(manifest, indent=1))
        print(f"{len(todo)} of {len(new)} evaluation replies not yet adjudicated to read a second time (the other "
              f"{len(new) - len(todo)} have one in second-labels.jsonl; {len(done)} were adjudicated earlier): "
              f"{n} batches")  # fmt: skip
        return

    raw = json.loads(manifest_path.read_text())
    manifest = {i: {"reason": m.get("reason") or m["sampling"]} for i, m in raw.items()}  # older manifests: sampling
    out = OUTPUT[args.which]
    reviewed = read_labels(out) if out.exists() else []
    earlier = {r["item"]: r["review"] for r in reviewed}
    again = sorted(i for i in manifest if earlier.get(i, args.prefix) != args.prefix)
    if again:
        raise SystemExit(f"{len(again)} replies of {args.prefix} were reviewed in an earlier round, e.g. {again[0]} "
                         f"({earlier[again[0]]}): leave them out of the round")  # fmt: skip
    reread = labeller_readings(args.work, f"{args.prefix}-[0-9][0-9].*.jsonl")
    if args.which == "eval":  # the second reading: second-labels.jsonl's, else this round's
        reread = {i: second.get(i) or reread.get(i) for i in manifest if second.get(i) or reread.get(i)}
    missing = sorted(set(manifest) - set(reread))
    if missing:
        raise SystemExit(f"{len(missing)} replies of {args.prefix} have no second reading yet, e.g. {missing[0]}")
    # a training reply that already had a second label: the new reading is its third
    earlier_second = {i: second[i] for i in manifest if i in second} if args.which == "train" else {}
    differ = [i for i in manifest if i not in earlier_second and any(reread[i][t] != first[i][t] for t in TASKS)]

    if args.step == "third":
        views = _views(args.work, args.prefix)
        lacking = [i for i in differ if i not in views]  # eval replies second-read earlier: build their view
        if lacking:
            wanted = set(lacking)
            splits = tuple(sorted(TEST_SPLITS)) if args.which == "eval" else TRAIN_SPLITS
            views |= {it.item: view(it) for s in splits for it in iter_reply_items(s, data) if it.item in wanted}
        n = _batches(args.work, f"{args.prefix}-third", [views[i] for i in differ], args.batch)
        print(f"{len(differ)} of {len(manifest)} replies' two readings differ on some task: {n} third-reader batches")
        return

    third = labeller_readings(args.work, f"{args.prefix}-third-[0-9][0-9].*.jsonl")
    lacking, stray = [i for i in differ if i not in third], sorted(set(third) - set(differ))
    if lacking or stray:
        raise SystemExit(f"third readings: {len(lacking)} replies still need one (e.g. {lacking[:1]}), "
                         f"{len(stray)} were not asked for (e.g. {stray[:1]})")  # fmt: skip
    rows = combine(manifest, first, earlier_second, reread, third, review=args.prefix)
    changed = Counter(t for r in rows for t in TASKS if r[t] != first[r["item"]][t])
    old = [r for r in reviewed if r["item"] not in manifest]
    merged = sorted(old + rows, key=lambda r: (r["review"], r["item"]))
    write_whole(out, "".join(json.dumps(r) + "\n" for r in merged))
    print(f"{len(rows)} replies ({len(differ)} read a third time) -> {out.relative_to(ROOT)}; labels that changed "
          f"from the first: {dict(changed)}")  # fmt: skip


if __name__ == "__main__":
    main()
