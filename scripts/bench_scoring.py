"""Benchmark (not a test): all four reply labels with evidence vs VADER's one sentiment score, on the same
real replies in the same run (the issue's target: a ratio of at least 1.0). Both run in this one process,
one after the other, on one core: no parallelism on either side.

    python scripts/bench_scoring.py --replies 20000
Needs ../shared/data (the replies).
"""

from __future__ import annotations

import argparse
import resource
import time

from qa_toolkit.classifiers.training import context_of
from qa_toolkit.datasets import iter_reply_items, shared_data_dir
from qa_toolkit.scoring import ReplyScorer


def main() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replies", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    items = []
    for item in iter_reply_items("airlines-train", data):
        items.append(context_of(item))
        if len(items) >= args.replies:
            break
    scorer = ReplyScorer.load()
    scorer.score_replies(items[:200])  # warm up (lexicon matchers, tokenizer)
    vader = SentimentIntensityAnalyzer()
    t0 = time.perf_counter()
    for rc in items:
        vader.polarity_scores(rc.text)
    t_vader = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_evidence = n_labels = 0
    rss = []
    for i in range(0, len(items), args.batch):
        for scores in scorer.score_replies(items[i : i + args.batch]):
            shown = [s for name, s in scores.items() if (name, s["label"]) != ("apology", "none")]  # shows none
            n_evidence += sum(bool(s["evidence"]) for s in shown)
            n_labels += len(shown)
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    t_ours = time.perf_counter() - t0
    print(f"{len(items):,} real replies (twcs-airlines train), one process, batches of {args.batch:,}")
    print(f"VADER compound score:            {len(items) / t_vader:10,.0f} replies/s")
    print(f"four labels + evidence (ours):   {len(items) / t_ours:10,.0f} replies/s")
    print(f"ratio (ours / VADER):            {t_vader / t_ours:10.2f}")
    print(f"labels with evidence: {n_evidence / max(1, n_labels):.1%} (apology 'none', which shows none, left out)")
    q = len(rss) // 4
    print(f"peak RSS after the first quarter of batches {rss[q]:,.0f} MB, at the end {rss[-1]:,.0f} MB")


if __name__ == "__main__":
    main()
