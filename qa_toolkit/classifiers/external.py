"""External checks of the classifiers on public human labels:

- politeness (Stanford Politeness Corpus, Danescu-Niculescu-Mizil et al. 2013): the tone model's
  friendliness (P(friendly) - P(unfriendly)) against the human politeness score: Spearman correlation,
  and accuracy on the published task (top vs bottom quartile of each site, balanced). Tone also learns
  from the Stack Exchange half (``politeness_extremes``, see ``training.auxiliary_examples``), so only
  Wikipedia is a check there: the paper's cross-site setting (trained on Stack Exchange, 75.4%); the card
  marks each site ``in_training``;
- apology presence on twcs-activities (Kecht et al. 2021): apology != none against the human
  "Apologize" activity labels (F1; a no-regression check). Each brand's file has its own activities, and
  only AmazonHelp's has "Apologize": its 100 agent tweets are the check (the other brands' tweets have no
  apology label, so they are not read as "no apology").
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import f1_score, precision_score, recall_score

from qa_toolkit.classifiers.models import ReplyClassifier
from qa_toolkit.features import ReplyContext


def _is_number(value: str | None) -> bool:
    try:
        float(value or "")
    except ValueError:
        return False
    return True


POLITENESS_FILES = {"wikipedia": "wikipedia.annotated.csv", "stack-exchange": "stack-exchange.annotated.csv"}


def politeness_requests(data_dir: Path, site: str) -> tuple[list[str], np.ndarray]:
    """One politeness site's requests and their normalised human politeness scores. Most requests were scored
    by 5 people, as the header says, but some by 4, 9 or 10, so their rows are shorter or longer than the
    header: the request is always the third field and the normalised score the last."""
    with open(data_dir / "stanford-politeness" / POLITENESS_FILES[site], encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header[2:3] != ["Request"] or header[-1:] != ["Normalized Score"]:
            raise ValueError(f"{fh.name}: not the Stanford Politeness Corpus's columns (Community, Id, Request, ...)")
        rows = [r for r in reader if len(r) > 3 and _is_number(r[-1])]  # a row without a score is not a request
    # the corpus masks links as "&lt;url&gt;": made a link again, clean_for_model reads it as its URL placeholder
    return [r[2].replace("&lt;url&gt;", "http://url") for r in rows], np.array([float(r[-1]) for r in rows])


def politeness_extremes(data_dir: Path, site: str, *, impolite_as: str = "neutral") -> tuple[list[str], list[str]]:
    """The published task's examples of one site as tone examples: top-quartile requests as friendly,
    bottom-quartile as ``impolite_as`` (neutral by default: an impolite request is curt, not hostile)."""
    texts, scores = politeness_requests(data_dir, site)
    lo, hi = np.quantile(scores, [0.25, 0.75])
    picked = [(t, "friendly" if s >= hi else impolite_as) for t, s in zip(texts, scores, strict=True)
              if s >= hi or s <= lo]  # fmt: skip
    return [t for t, _ in picked], [y for _, y in picked]


def quartile_accuracy(friendliness: np.ndarray, scores: np.ndarray) -> tuple[float, int]:
    """The published task: classify top-quartile (polite) vs bottom-quartile (impolite) requests by
    ``friendliness``, the threshold being its median over those requests (balanced classes). The accuracy
    and how many requests the quartiles hold."""
    lo, hi = np.quantile(scores, [0.25, 0.75])
    polite, impolite = scores >= hi, scores <= lo
    both = polite | impolite
    threshold = float(np.median(friendliness[both]))
    correct = (friendliness[polite] > threshold).sum() + (friendliness[impolite] <= threshold).sum()
    return float(correct / both.sum()), int(both.sum())


def politeness_check(tone: ReplyClassifier, data_dir: Path, *, in_training: Sequence[str] = ()) -> dict:
    """Per site: Spearman of friendliness with the human score, and accuracy on the published task.
    ``in_training``: the sites whose extremes the model learnt from (their figure is in-domain, not a check)."""
    out: dict[str, dict] = {}
    for site in POLITENESS_FILES:
        texts, scores = politeness_requests(data_dir, site)
        preds = tone.predict([ReplyContext(t, (), "en") for t in texts], evidence=0)
        friendliness = np.array([p.probabilities["friendly"] - p.probabilities["unfriendly"] for p in preds])
        rho = float(spearmanr(friendliness, scores).statistic)
        accuracy, n = quartile_accuracy(friendliness, scores)
        out[site] = {"requests": len(texts), "spearman": rho, "quartile_accuracy": accuracy,
                     "quartile_requests": n, "in_training": site in in_training}  # fmt: skip
    return out


def apology_check(apology: ReplyClassifier, data_dir: Path) -> dict:
    """Apology presence against the "Apologize" labels of the brands whose file has that activity (only
    AmazonHelp's does: a file without it says nothing about apologies)."""
    texts: list[str] = []
    truth: list[int] = []
    files: list[str] = []
    for path in sorted((data_dir / "twcs-activities").glob("twcs-*-100-outbound.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if "Apologize" not in (reader.fieldnames or []):
                continue
            files.append(path.name)
            for r in reader:
                texts.append(r["text"])
                truth.append(1 if (r["Apologize"] or "").strip() in ("1", "1.0") else 0)
    preds = apology.predict([ReplyContext(t, (), "en") for t in texts], evidence=0)
    found = [int(p.label != "none") for p in preds]
    return {
        "files": files,
        "tweets": len(texts),
        "apologies": int(sum(truth)),
        "f1": float(f1_score(truth, found)),
        "precision": float(precision_score(truth, found, zero_division=0)),
        "recall": float(recall_score(truth, found, zero_division=0)),
    }
