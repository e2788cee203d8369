"""Inter-annotator agreement on the doubly labelled replies: Cohen's kappa, raw agreement, and the second
annotator's labels scored against the first as if they were a model (per-class F1, macro-F1): the human
ceiling that the classifiers' figures should be read against.

python scripts/labelling/agreement.py    # reads labels/*.jsonl and ../shared/labels (the seed labels), no texts
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import cohen_kappa_score, f1_score

from qa_toolkit.classifiers.training import seed_labels_path
from qa_toolkit.datasets import shared_data_dir

LABELS = ("tone", "personalisation", "apology", "resolution")
ROOT = Path(__file__).resolve().parents[2] / "labels"
STUDIES = {  # batch prefix -> study
    "blind": "blind (random replies, both annotators at once)",
    "double-tone": "stratified by tone (90 unfriendly / 70 neutral / 40 friendly first labels)",
}


def study_of(batch: str) -> str:
    return next((name for prefix, name in STUDIES.items() if batch.startswith(prefix)), "repeat (random replies)")


def main() -> None:
    data = shared_data_dir()
    seed = seed_labels_path(data) if data is not None else None
    first = {}
    for path in (seed, ROOT / "train-extra.jsonl", ROOT / "eval-test.jsonl"):
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                rec = json.loads(line)
                first[rec["item"]] = rec
    skipped = 0
    groups: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for line in (ROOT / "second-labels.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["item"] in first:
            groups[study_of(rec["batch"])].append((first[rec["item"]], rec))
        else:
            skipped += 1
    if skipped:
        print(f"{skipped} second labels skipped: their first labels are seed labels, and ../shared was not found")
    for study, pairs in groups.items():
        print(f"{study}: {len(pairs)} replies labelled twice")
        for label in LABELS:
            a = [p[0][label] for p in pairs]
            b = [p[1][label] for p in pairs]
            classes = sorted(set(a) | set(b))
            agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
            per_class = f1_score(a, b, labels=classes, average=None, zero_division=0)
            print(
                f"  {label:16s} kappa {cohen_kappa_score(a, b):.3f}  agreement {agree:.3f}  "
                f"macro-F1 {f1_score(a, b, average='macro', zero_division=0):.3f}  "
                + "  ".join(f"{c} {f:.2f}" for c, f in zip(classes, per_class, strict=True))
            )


if __name__ == "__main__":
    main()
