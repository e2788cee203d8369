"""Thread flags on the research data: each rule's flag rate, and agreement with the hand judgements.

    python scripts/evaluate_flags.py [--data-dir ../shared/data] [--labels labels/threads.jsonl]
                                     [--holdout labels/threads-holdout.jsonl | --dev-only]
                                     [--no-models | --models-dir DIR] [--scorecard FILE] [--json OUT.json]

Flags twcs-sample (twcs_first5000rows.csv) and the twcs-airlines training split (relative thresholds and
templates computed over each split, as ``qa-toolkit flag`` does), then prints:
- each rule's flag rate (any score, and score >= 0.5) on both;
- for each set of hand judgements ({"thread": "twcs-sample:<id>" | "airlines-train:<id>", "outcome",
  "review", "exchanges", "reasons", "sampling", ...}), separately, on all its threads and on its random
  sample: for "has a flag scoring >= 0.5" against review = yes precision, recall and F1, and the ROC AUC of
  the highest flag score; the same for the baseline "3+ exchanges or first response over 4 hours"; each
  rule's precision against review = yes and its agreement with the reasons the judges gave (``REASONS``:
  templated_apology vs templated_apology, unfriendly_reply vs cold_reply ...); unresolved_end against
  outcome; hand exchange counts against computed ones.
The sets: labels/threads.jsonl is the DEVELOPMENT set (the rules' v2 thresholds were developed on it);
labels/threads-holdout.jsonl is the HELD-OUT set: its figures are the honest ones. Use ``--dev-only``
while developing, so the held-out set is read once, for the final figures. The thresholds are the
scorecard's as shipped: nothing here tunes them. Skips cleanly (exit 0) when ../shared/data is absent.
Prints ids and figures only, never texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_toolkit.datasets import iter_conversations, shared_data_dir  # noqa: E402
from qa_toolkit.flagging import ConversationResult, CorpusBuilder, FlagSettings, flag_conversations, load_settings  # noqa: E402
from qa_toolkit.normalise import mark_auto_replies  # noqa: E402
from qa_toolkit.pipeline import iter_enriched  # noqa: E402

SPLITS = ("twcs-sample", "airlines-train")
REVIEW = 0.5
BASELINE_FIRST_RESPONSE = 4 * 3600.0
REASONS: dict[str, tuple[str, ...]] = {
    # rule (without version) -> the reasons tags (labelling guide, thread-level review) it should agree with
    "templated_apology": ("templated_apology",),
    "unfriendly_reply": ("cold_reply",),
    "process_blame": ("process_blame",),
    "generic_reply": ("generic_reply",),
    "template_reuse": ("generic_reply",),
    "long_back_and_forth": ("too_many_rounds",),
    "slow_first_response": ("slow_response",),
    "long_customer_wait": ("slow_response",),
    "auto_reply_only": ("no_human_answer",),
    "repeated_info_request": ("repeated_info_request",),
    "escalation_request": ("escalation_request",),
    "unresolved_end": ("customer_left_angry", "unresolved_handoff"),
    "customer_asked_again": ("customer_asked_twice",),
}
TRAINING_REPLY_LABELS = (
    ROOT.parent / "shared" / "labels" / "seed-train-1000.jsonl",
    ROOT / "labels" / "train-extra.jsonl",
    ROOT / "labels" / "second-labels.jsonl",
)


def flag_split(  # type: ignore[no-untyped-def]
    split: str, data_dir: Path, settings: FlagSettings, scorer, only: set[str] | None = None
) -> dict[str, ConversationResult]:
    """Flag a split (thresholds and templates from all of it); ``only``: flag just these conversation ids."""
    builder = CorpusBuilder(settings.rule_params)
    for conv in iter_conversations(split, data_dir):
        mark_auto_replies(conv.messages)
        builder.add(conv)
    corpus = builder.build()
    out: dict[str, ConversationResult] = {}
    convs = iter_conversations(split, data_dir)
    if only is not None:
        convs = (c for c in convs if c.id in only)
    for batch in iter_enriched(convs):
        for result in flag_conversations(batch, corpus=corpus, settings=settings, scorer=scorer):
            out[result.conversation_id] = result
    return out


def rates(results: Iterable[ConversationResult], rules: Sequence[str]) -> dict[str, dict[str, float]]:
    results = list(results)
    n = len(results) or 1
    any_score: Counter[str] = Counter()
    high: Counter[str] = Counter()
    for r in results:
        for f in r.flags:
            any_score[f.rule] += 1
            high[f.rule] += f.score >= REVIEW
    table = {rule: {"any": any_score[rule] / n, "ge_0.5": high[rule] / n} for rule in rules}
    table["(any rule)"] = {
        "any": sum(1 for r in results if r.flags) / n,
        "ge_0.5": sum(1 for r in results if r.top_score >= REVIEW) / n,
    }
    return table


def prf(pred: Sequence[bool], gold: Sequence[bool]) -> dict[str, float | int]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(gold),
        "positives": sum(gold),
        "flagged": sum(pred),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def roc_auc(scores: Sequence[float], gold: Sequence[bool]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos = [s for s, g in zip(scores, gold, strict=True) if g]
    neg = [s for s, g in zip(scores, gold, strict=True) if not g]
    if not pos or not neg:
        return None
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def read_labels(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def evaluate(labels: list[dict], results: dict[str, dict[str, ConversationResult]], rules: Sequence[str]) -> dict:
    rows = []
    missing = []
    for item in labels:
        split, _, cid = str(item.get("thread", "")).partition(":")
        result = results.get(split, {}).get(cid)
        if result is None:
            missing.append(item.get("thread"))
            continue
        rows.append((item, result))
    if not rows:
        return {"judged": 0, "missing": missing}
    review = [str(i.get("review")).lower() == "yes" for i, _ in rows]
    top = [r.top_score for _, r in rows]
    # several flags on one thread: 1 - prod(1 - score), the chance at least one is right if they were independent
    combined = [1.0 - _prod(1.0 - f.score for f in r.flags) for _, r in rows]
    flagged = [s >= REVIEW for s in top]
    fr = [r.metrics.first_response_seconds for _, r in rows]
    baseline = [
        r.metrics.exchanges >= 3 or (f is not None and f > BASELINE_FIRST_RESPONSE)
        for (_, r), f in zip(rows, fr, strict=True)
    ]
    out: dict = {"judged": len(rows), "missing": missing}
    out["by_split"] = dict(Counter(str(i["thread"]).split(":", 1)[0] for i, _ in rows))
    out["review_yes"] = sum(review)
    out["flags_ge_0.5_vs_review"] = {
        **prf(flagged, review),
        "roc_auc_top_score": roc_auc(top, review),
        "roc_auc_combined": roc_auc(combined, review),
    }
    out["baseline_vs_review"] = prf(baseline, review)
    per_rule = {}
    for rule in rules:
        fired = [any(f.rule == rule and f.score >= REVIEW for f in r.flags) for _, r in rows]
        n = sum(fired)
        per_rule[rule] = {
            "fires_ge_0.5": n,
            "precision_vs_review": (sum(f and g for f, g in zip(fired, review, strict=True)) / n) if n else None,
        }
        tags = REASONS.get(rule.rsplit(".", 1)[0])
        if tags:
            tagged = [any(t in (i.get("reasons") or []) for t in tags) for i, _ in rows]
            scores = [max((f.score for f in r.flags if f.rule == rule), default=0.0) for _, r in rows]
            per_rule[rule]["vs_reasons"] = {
                "tags": list(tags),
                **prf(fired, tagged),
                "roc_auc": roc_auc(scores, tagged),
            }
    out["per_rule"] = per_rule
    outcome = [str(i.get("outcome")) for i, _ in rows]
    unresolved_score = [
        max((f.score for f in r.flags if f.rule.startswith("unresolved_end.")), default=0.0) for _, r in rows
    ]
    gold_unresolved = [o == "unresolved" for o in outcome]
    out["unresolved_end_vs_outcome"] = {
        "outcomes": dict(Counter(outcome)),
        "all_threads": {
            **prf([s >= REVIEW for s in unresolved_score], gold_unresolved),
            "roc_auc": roc_auc(unresolved_score, gold_unresolved),
        },
        "resolved_vs_unresolved_only": (
            lambda idx: {
                **prf([unresolved_score[i] >= REVIEW for i in idx], [gold_unresolved[i] for i in idx]),
                "roc_auc": roc_auc([unresolved_score[i] for i in idx], [gold_unresolved[i] for i in idx]),
            }
        )([i for i, o in enumerate(outcome) if o in ("resolved", "unresolved")]),
        "fires_any_score_by_outcome": {
            o: sum(1 for s, oo in zip(unresolved_score, outcome, strict=True) if oo == o and s > 0)
            for o in set(outcome)
        },
    }
    hand = [(i.get("exchanges"), r.metrics.exchanges, i["thread"]) for i, r in rows if i.get("exchanges") is not None]
    if hand:
        diffs = [abs(int(h) - c) for h, c, _ in hand]
        out["exchanges_hand_vs_computed"] = {
            "n": len(hand),
            "exact": sum(d == 0 for d in diffs) / len(hand),
            "within_1": sum(d <= 1 for d in diffs) / len(hand),
            "mean_abs_diff": sum(diffs) / len(hand),
            "disagreements": [{"thread": t, "hand": h, "computed": c} for h, c, t in hand if int(h) != c][:30],
        }
        long_hand = [int(h) > 3 for h, _, _ in hand]
        long_flag = [
            any(f.rule.startswith("long_back_and_forth.") for f in r.flags)
            for i, r in rows
            if i.get("exchanges") is not None
        ]
        out["long_flag_vs_hand_count_over_3"] = prf(long_flag, long_hand)
    return out


def _prod(values: Iterable[float]) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def print_evaluation(title: str, ev: dict) -> None:
    print(f"\n## hand judgements, {title}: {ev['judged']} threads matched ({len(ev['missing'])} not found)")
    if not ev["judged"]:
        return
    print(f"by split: {ev['by_split']}; review = yes: {ev['review_yes']}")
    for name in ("flags_ge_0.5_vs_review", "baseline_vs_review"):
        print(f"{name}: " + ", ".join(f"{k} {fmt(v)}" for k, v in ev[name].items()))
    print("per rule: fires >= 0.5, precision against review = yes | against the judges' reasons tags: P / R / F1, AUC")
    for rule, r in ev["per_rule"].items():
        line = f"  {rule:28} {r['fires_ge_0.5']:>4} {fmt(r['precision_vs_review']):>6}"
        tags = r.get("vs_reasons")
        if tags:
            line += (
                f" | {'+'.join(tags['tags'])} ({tags['positives']}): {fmt(tags['precision'])} / {fmt(tags['recall'])}"
                f" / {fmt(tags['f1'])}, {fmt(tags['roc_auc'])}"
            )
        print(line)
    u = ev["unresolved_end_vs_outcome"]
    print(f"unresolved_end vs outcome: outcomes {u['outcomes']}")
    print("  all threads: " + ", ".join(f"{k} {fmt(v)}" for k, v in u["all_threads"].items()))
    print(
        "  resolved vs unresolved only: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in u["resolved_vs_unresolved_only"].items())
    )
    print(f"  fires (any score) by outcome: {u['fires_any_score_by_outcome']}")
    if "exchanges_hand_vs_computed" in ev:
        x = ev["exchanges_hand_vs_computed"]
        print(
            f"exchanges, hand vs computed: n {x['n']}, exact {x['exact']:.1%}, within 1 {x['within_1']:.1%}, "
            f"mean |diff| {x['mean_abs_diff']:.2f}"
        )
        for d in x["disagreements"][:10]:
            print(f"  {d['thread']}: hand {d['hand']}, computed {d['computed']}")
        long_vs = ev["long_flag_vs_hand_count_over_3"]
        print("long flag vs hand count > 3: " + ", ".join(f"{k} {fmt(v)}" for k, v in long_vs.items()))


def training_conversations(paths: Iterable[Path]) -> set[str]:
    """Threads (``<split>:<conversation>``) holding a reply that is a classifier training label."""
    return {str(item["item"]).split("#", 1)[0] for path in paths for item in read_labels(path) if "item" in item}


def subsets_of(name: str, labels: list[dict], training: set[str] = frozenset()) -> dict[str, list[dict]]:
    """All judged threads of a set, its random sample (the natural distribution) when it has more, and the
    threads without classifier training replies when some have them (their labels are in-sample)."""
    out = {f"{name} set, all judged threads": labels}
    random_part = [item for item in labels if item.get("sampling") == "random"]
    if random_part and len(random_part) < len(labels):
        out[f"{name} set, random sample only (the natural distribution)"] = random_part
    clean = [item for item in labels if item.get("thread") not in training]
    if len(clean) < len(labels):
        out[f"{name} set, threads without classifier training replies"] = clean
    return out


def fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--labels", type=Path, default=ROOT / "labels" / "threads.jsonl", help="development set")
    ap.add_argument(
        "--holdout",
        type=Path,
        nargs="+",
        default=[ROOT / "labels" / "threads-holdout.jsonl", ROOT / "labels" / "threads-holdout2.jsonl"],
        help="held-out sets (final figures), each reported apart",
    )
    ap.add_argument(
        "--judged-only",
        action="store_true",
        help="flag only the judged threads (thresholds still from the whole split): fast, no flag rates",
    )
    ap.add_argument("--dev-only", action="store_true", help="never read the held-out set (while developing)")
    ap.add_argument("--no-models", action="store_true", help="rules on text evidence only")
    ap.add_argument("--models-dir", type=Path, default=None, help="reply models [default: models/]")
    ap.add_argument("--scorecard", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)

    data_dir = args.data_dir or shared_data_dir()
    if data_dir is None or not Path(data_dir).is_dir():
        print("../shared/data not found: nothing to evaluate (set --data-dir or QA_SHARED_DATA)")
        return 0
    settings = load_settings(args.scorecard)
    scorer = None
    if not args.no_models:
        try:
            from qa_toolkit.scoring import ReplyScorer

            scorer = ReplyScorer.load(args.models_dir) if args.models_dir else ReplyScorer.load()
        except Exception as exc:  # noqa: BLE001 - stale or missing models: report and go on without
            print(f"reply models not loaded ({type(exc).__name__}: {exc}); flagging on text evidence only")
    rules = sorted(settings.rule_params)
    figures: dict = {"models": scorer is not None, "scorecard": getattr(settings.card, "key", None), "rates": {}}
    sets = {"development": read_labels(args.labels)}
    if not args.dev_only:
        for path in args.holdout:
            sets[f"held-out ({path.name})"] = read_labels(path)
    judged = {str(item.get("thread")) for labels in sets.values() for item in labels}
    results: dict[str, dict[str, ConversationResult]] = {}
    for split in SPLITS:
        start = time.time()
        only = {t.split(":", 1)[1] for t in judged if t.startswith(f"{split}:")} if args.judged_only else None
        results[split] = flag_split(split, Path(data_dir), settings, scorer, only)
        n = len(results[split])
        if args.judged_only:
            print(f"\n## {split}: {n:,} judged conversations flagged ({time.time() - start:.0f} s); no flag rates")
            continue
        figures["rates"][split] = {
            "conversations": n,
            "seconds": round(time.time() - start, 1),
            "rules": rates(results[split].values(), rules),
        }
        print(f"\n## {split}: {n:,} conversations ({time.time() - start:.0f} s)")
        print(f"{'rule':32} {'any score':>10} {'>= 0.5':>8}")
        for rule, r in figures["rates"][split]["rules"].items():
            print(f"{rule:32} {r['any']:>10.1%} {r['ge_0.5']:>8.1%}")

    training = training_conversations(TRAINING_REPLY_LABELS)
    figures["evaluation"] = {}
    for name, labels in sets.items():
        if not labels:
            print(f"\nno hand judgements for the {name} set: flag rates only")
            continue
        for title, subset in subsets_of(name, labels, training).items():
            ev = evaluate(subset, results, rules)
            figures["evaluation"][title] = ev
            print_evaluation(title, ev)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
