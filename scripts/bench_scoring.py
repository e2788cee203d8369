"""Benchmark (not a test): all four reply labels with evidence vs VADER's one sentiment score, on the same
real replies in the same run (the issue's target: a ratio of at least 1.0). Both run in this one process,
one after the other, on one core: no parallelism on either side.

    python scripts/bench_scoring.py --replies 20000 [--write-cards]
Needs ../shared/data (the replies). ``--write-cards`` records the run as ``speed`` in the four model cards
(``qa-toolkit evaluate`` keeps it; ``qa-toolkit train`` writes new cards, so rerun it after training).
"""

from __future__ import annotations

import argparse
import datetime
import resource
import time
from collections import Counter

from qa_toolkit.classifiers.training import context_of
from qa_toolkit.datasets import iter_reply_items, shared_data_dir
from qa_toolkit.scoring import ReplyScorer

WARM_UP = 200  # replies scored before the timing, and not timed


def main() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replies", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--write-cards", action="store_true", help="record this run as `speed` in the model cards")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    items = []
    for item in iter_reply_items("airlines-train", data):
        items.append(context_of(item))
        if len(items) >= args.replies + WARM_UP:
            break
    items, warm_up = items[: args.replies], items[args.replies :]
    scorer = ReplyScorer.load()
    scorer.score_replies(warm_up)  # warm up (lexicon matchers, tokenizer) on replies that are not timed
    vader = SentimentIntensityAnalyzer()
    t0 = time.perf_counter()
    for rc in items:
        vader.polarity_scores(rc.text)
    t_vader = time.perf_counter() - t0
    t_ours = 0.0  # the scoring only: counting the evidence below is not timed
    with_evidence: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    rss = []
    for i in range(0, len(items), args.batch):
        t0 = time.perf_counter()
        batch = scorer.score_replies(items[i : i + args.batch])
        t_ours += time.perf_counter() - t0
        for scores in batch:
            for name, s in scores.items():
                if (name, s["label"]) != ("apology", "none"):  # shows none
                    labels[name] += 1
                    with_evidence[name] += bool(s["evidence"])
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    n_evidence, n_labels = sum(with_evidence.values()), sum(labels.values())
    print(f"{len(items):,} real replies (twcs-airlines train), one process, batches of {args.batch:,}")
    print(f"VADER compound score:            {len(items) / t_vader:10,.0f} replies/s")
    print(f"four labels + evidence (ours):   {len(items) / t_ours:10,.0f} replies/s")
    print(f"ratio (ours / VADER):            {t_vader / t_ours:10.2f}")
    print(f"labels with evidence: {n_evidence / max(1, n_labels):.2%} (apology 'none', which shows none, left out): "
          + ", ".join(f"{name} {with_evidence[name] / max(1, n):.2%}" for name, n in labels.items()))  # fmt: skip
    q = len(rss) // 4
    print(f"peak RSS after the first quarter of batches {rss[q]:,.0f} MB, at the end {rss[-1]:,.0f} MB")
    if args.write_cards:
        write_speed(
            {
                "benchmark": "scripts/bench_scoring.py",
                "measures": "the four labels together, evidence included, against VADER's compound score",
                "date": datetime.date.today().isoformat(),
                "replies": len(items),
                "source": "twcs-airlines train (real replies, each with the conversation before it)",
                "batch": args.batch,
                "replies_per_second": round(len(items) / t_ours),
                "vader_replies_per_second": round(len(items) / t_vader),
                "ratio": round(t_vader / t_ours, 3),
                "target_ratio": 1.0,
                "peak_rss_mb_after_first_quarter": round(rss[q]),
                "peak_rss_mb_at_end": round(rss[-1]),
                "labels_with_evidence": round(n_evidence / max(1, n_labels), 4),
                "note": "one run, one process, one core for each side; on a shared machine runs vary by up to a "
                "half (models/README.md has several side by side)",
            }
        )


def write_speed(speed: dict) -> None:
    """The run's figures as ``speed`` in each of the four model cards (their other entries kept)."""
    from qa_toolkit.classifiers.artefacts import MODELS_DIR, model_dir, read_card, write_card
    from qa_toolkit.classifiers.models import LABEL_SETS

    for name in LABEL_SETS:
        card = read_card(name, MODELS_DIR)
        card["speed"] = speed
        write_card(model_dir(name, MODELS_DIR), card)
        print(f"wrote speed into {model_dir(name, MODELS_DIR) / 'card.json'}")


if __name__ == "__main__":
    main()
