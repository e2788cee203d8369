"""Inter-annotator agreement on the doubly labelled replies: Cohen's kappa and raw agreement per label.

python scripts/labelling/agreement.py            # reads labels/*.jsonl, needs no texts
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

LABELS = ("tone", "personalisation", "apology", "resolution")
ROOT = Path(__file__).resolve().parents[2] / "labels"


def main() -> None:
    first = {}
    for name in ("train-extra.jsonl", "eval-test.jsonl"):
        for line in (ROOT / name).read_text().splitlines():
            rec = json.loads(line)
            first[rec["item"]] = rec
    groups: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for line in (ROOT / "second-labels.jsonl").read_text().splitlines():
        rec = json.loads(line)
        study = "blind" if rec["batch"].startswith("blind") else "repeat"
        groups[study].append((first[rec["item"]], rec))
        groups["all"].append((first[rec["item"]], rec))
    for study, pairs in groups.items():
        print(f"{study}: {len(pairs)} replies labelled twice")
        for label in LABELS:
            a = [p[0][label] for p in pairs]
            b = [p[1][label] for p in pairs]
            agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
            print(f"  {label:16s} kappa {cohen_kappa_score(a, b):.3f}  agreement {agree:.3f}")


if __name__ == "__main__":
    main()
