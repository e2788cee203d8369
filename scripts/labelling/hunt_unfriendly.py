"""Write labelling batches of the replies most likely to be cold, blaming or dismissive (unfriendly replies
are about 1% of real replies): replies are ranked by cold wording, missing warmth and VADER negativity,
and the top ones go to the labellers, who decide. Texts go OUTSIDE the repository.

    python scripts/labelling/hunt_unfriendly.py --out /work/labelwork --exclude /work/labelwork/manifest.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from make_batches import excluded_items, view, write_batch  # type: ignore[import-not-found]

from qa_toolkit.datasets import iter_test_reply_items, iter_training_reply_items, shared_data_dir

WARM = re.compile(
    r"\b(thank|thanks|happy|glad|sorry|apolog|appreciate|love|hope|great|welcome|hi|hello|hey|please|understand|"
    r"frustrat)\w*|!|😊|🙂|❤|💙",
    re.I,
)
COLD = re.compile(
    r"(as (we|i) (already |previously )?(said|stated|mentioned|told|explained|advised)|"
    r"you (should|must|need to|have to|will have to)|you (did not|didn't|failed|were told|were advised|chose|agreed)|"
    r"not (our|my) (problem|fault|responsibility)|nothing (more |else )?(we|i) can do|"
    r"(per|as per|according to) (our|the) (policy|terms|rules)|your responsibility|"
    r"we (cannot|can't|won't|will not|are unable|do not|don't)|no (refund|compensation|exception)s?\b|"
    r"not (possible|permitted|allowed|eligible)|\bunable\b|\bonly\b|\bmust\b|\bsimply\b|\bclearly\b|"
    r"\bobviously\b|\bactually\b)",
    re.I,
)


def coldness(text: str, analyzer) -> float:  # type: ignore[no-untyped-def]
    s = analyzer.polarity_scores(text)
    return (
        len(COLD.findall(text)) - 1.2 * len(WARM.findall(text)) + 3 * s["neg"] - max(s["compound"], 0)
        + (0.8 if len(text) < 60 else 0)
    )  # fmt: skip


def main() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--exclude", type=Path, nargs="*", default=[], help="manifest.json or label files")
    ap.add_argument("--train", type=int, default=150)
    ap.add_argument("--eval", type=int, default=60)
    ap.add_argument("--batch", type=int, default=75)
    ap.add_argument("--model", action="store_true",
                    help="rank training replies (never evaluation ones) by the tone model too")  # fmt: skip
    ap.add_argument("--prefix", default="hunt", help="batch name prefix (hunt-train-NN, hunt-eval-NN)")
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    done = excluded_items(args.exclude)
    analyzer = SentimentIntensityAnalyzer()
    manifest = json.loads((args.out / "manifest.json").read_text()) if (args.out / "manifest.json").exists() else {}
    tone = None
    if args.model:  # model output only chooses what people read; it never becomes a label
        from qa_toolkit.classifiers.artefacts import load_classifier
        from qa_toolkit.classifiers.training import context_of

        tone = load_classifier("tone")
    evaluation = iter_test_reply_items(data)
    for prefix, items, k in ((f"{args.prefix}-train", iter_training_reply_items(data), args.train),
                             (f"{args.prefix}-eval", evaluation, args.eval)):  # fmt: skip
        seen_text: set[str] = set()
        ranked = []
        for item in items:
            key = item.reply.text.strip().lower()
            if item.item in done or not key or key in seen_text:
                continue
            seen_text.add(key)
            ranked.append((coldness(item.reply.text, analyzer), item))
        if k == 0:
            continue
        # the model ranks training replies only: which evaluation replies are read is never a model's choice
        ranked_by_model = tone is not None and prefix.endswith("-train")
        if ranked_by_model:  # keep the coldest quarter by wording, then rank it by the model as well
            ranked.sort(key=lambda x: -x[0])
            ranked = ranked[: max(k * 20, len(ranked) // 4)]
            for start in range(0, len(ranked), 2000):
                part = ranked[start : start + 2000]
                preds = tone.predict([context_of(it) for _, it in part], evidence=0)
                ranked[start : start + 2000] = [
                    (cold + 6 * p.probabilities.get("unfriendly", 0.0), it)
                    for (cold, it), p in zip(part, preds, strict=True)
                ]
        ranked.sort(key=lambda x: -x[0])
        chosen = [it for _, it in ranked[:k]]
        for b in range(0, len(chosen), args.batch):
            name = f"{prefix}-{b // args.batch + 1:02d}"
            write_batch(args.out, name, [view(it) for it in chosen[b : b + args.batch]])
            sampling = "unfriendly-hunt-model" if ranked_by_model else "unfriendly-hunt"  # as labels/README names them
            manifest.update({it.item: {"batch": name, "sampling": sampling} for it in chosen[b : b + args.batch]})
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print("done")


if __name__ == "__main__":
    main()
