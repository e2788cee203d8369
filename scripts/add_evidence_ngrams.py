"""Give models trained before session 24 the set of word n-grams their training met (the featurizer's
``word_seen_``), which evidence now requires: a word column is shared by every n-gram hashed to it, so
without the set a reply's n-gram that training never met was shown for a weight learnt from others.

    python scripts/add_evidence_ngrams.py [--models-dir models]

Rebuilds the training replies exactly as ``qa-toolkit train`` does (../shared/data and the committed labels),
fits a featurizer with the shipped one's parameters, refuses unless its fingerprint equals the shipped one
(the same training replies, the same columns), and re-saves each model with the set; the weights, the
calibration and the labels are untouched (``qa-toolkit train`` computes the set itself). Not needed again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import joblib

from qa_toolkit.classifiers.artefacts import MODELS_DIR, model_dir, read_card, write_card
from qa_toolkit.classifiers.models import LABEL_SETS
from qa_toolkit.classifiers.training import (
    evidence_note,
    load_labelled,
    merge_same_replies,
    training_labels_and_left_out,
)
from qa_toolkit.datasets import shared_data_dir
from qa_toolkit.features import ReplyFeaturizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = ap.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("../shared/data not found")
    records, _ = training_labels_and_left_out(data)
    train, _ = merge_same_replies(load_labelled(records, data), list(LABEL_SETS))
    paths = {name: model_dir(name, args.models_dir) / "model.joblib" for name in LABEL_SETS}
    pipelines = {name: joblib.load(path) for name, path in paths.items()}
    shipped = [p.named_steps["features"] for p in pipelines.values()]
    if len({f.fingerprint() for f in shipped}) != 1:
        raise SystemExit("the models do not share one featurizer: retrain them with `qa-toolkit train`")
    refitted = ReplyFeaturizer(**shipped[0].get_params()).fit(train.contexts)
    if refitted.fingerprint() != shipped[0].fingerprint():
        raise SystemExit("the training replies are not those the models were trained on: retrain them instead")
    print(f"{len(train.contexts):,} training replies; {len(refitted.word_seen_):,} n-grams worth showing")
    written = {}
    for name, pipe in pipelines.items():  # all four written aside first, then swapped in: never a mixed set
        pipe.named_steps["features"].word_seen_ = refitted.word_seen_
        written[name] = paths[name].with_name("model.joblib.partial")
        joblib.dump(pipe, written[name], compress=("xz", 6))  # as artefacts.save_model
    for name, pipe in pipelines.items():
        written[name].replace(paths[name])
        card = read_card(name, args.models_dir)
        card["model"]["evidence"] = evidence_note(pipe.named_steps["features"])
        write_card(model_dir(name, args.models_dir), card)
        print(f"  {name}: {paths[name]} ({paths[name].stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
