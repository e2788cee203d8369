"""Learning from reviewers: finished reviews' label verdicts become training examples, the four reply
classifiers are retrained with them and compared with the active ones, and an admin switches (or goes back).

- :func:`review_training_records`: one example per reviewed reply (its text and the conversation before it,
  read from the store; the reviewer's labels). Only labels a reviewer confirmed or corrected in a finished
  review count; when reviewers disagree on a label, the latest finished review wins.
- :func:`retrain_with_reviews`: the committed training labels (texts from ../shared/data, as ``train_all``
  reads them) plus the review examples; old and new models evaluated on the same replies; the new models
  written to a candidate folder, never over the active ones.
- :func:`activate_models` / :func:`rollback_models`: the admin's switch; the models replaced are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from qa_toolkit.classifiers.artefacts import MODELS_DIR, VERSION, load_classifier, model_dir, save_model
from qa_toolkit.classifiers.models import LABEL_SETS, ReplyClassifier
from qa_toolkit.classifiers.training import (
    MIN_PER_CLASS,
    TRAINING_SOURCES,
    LabelledSet,
    auxiliary_examples,
    card_notes,
    evaluate_classifier,
    evaluate_predictions,
    evaluation_label_records,
    evidence_note,
    fit_classifiers,
    left_out_note,
    load_labelled,
    merge_same_replies,
    reply_key,
    same_reply_key,
    training_label_files,
    training_labels_and_left_out,
    word_vectors_note,
)
from qa_toolkit.datasets import iter_test_reply_items, sample_threads_in_test, shared_data_dir
from qa_toolkit.db import results
from qa_toolkit.errors import QAError
from qa_toolkit.features import ReplyContext
from qa_toolkit.scoring import reply_contexts
from qa_toolkit.settings import ROOT

EVALUATION_SET = "evaluation_set"
CROSS_VALIDATED = "cross_validated_reviews"
REPORT_FILE = "retrain.json"
ACTIVATED_FILE = "activated.json"
BACKUP_FILE = "backup.json"

Log = Callable[[str], None]


def active_models_dir() -> Path:
    """Where the models the app and the CLI score with live: $QA_MODELS_DIR, else models/."""
    env = os.environ.get("QA_MODELS_DIR")
    return Path(env) if env else MODELS_DIR


def research_data_dir() -> Path | None:
    """../shared/data, where the committed labels' texts and the evaluation set live: $QA_SHARED_DATA when
    set (None when that folder is not there), else ../shared/data next to the checkout when present."""
    env = os.environ.get("QA_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    return shared_data_dir()


def retrain_dir() -> Path:
    """Where candidates (``candidates/<time>/``) and replaced models (``previous/<time>/``) are kept:
    $QA_RETRAIN_DIR, else var/retrain/ (not committed)."""
    env = os.environ.get("QA_RETRAIN_DIR")
    return Path(env) if env else ROOT / "var" / "retrain"


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


# --------------------------------------------------------------------------- review examples


@dataclass(frozen=True)
class ReviewExample:
    """One reviewed agent reply as a training example.

    ``labels`` holds only the labels a reviewer confirmed or corrected (label name -> the reviewer's label,
    from the latest finished review that judged it); ``model_labels`` what the model had said then."""

    item: str  # store:<source>:<conversation external id>#<message external id>
    conversation_id: int
    message_id: str
    context: ReplyContext
    labels: dict[str, str]
    model_labels: dict[str, str | None] = field(default_factory=dict)
    reviewers: dict[str, str] = field(default_factory=dict)
    reviewed_at: datetime | None = None

    @property
    def corrected(self) -> list[str]:
        """The labels the reviewer changed."""
        return [name for name, label in self.labels.items() if self.model_labels.get(name) != label]


def _latest_verdicts(engine: Engine) -> dict[tuple[int, str, str], dict[str, Any]]:
    """(conversation, message, label) -> the verdict of the latest finished review that judged it."""
    latest: dict[tuple[int, str, str], dict[str, Any]] = {}
    rows = results.label_verdict_rows(engine, done_only=True)
    rows.sort(key=lambda r: (r["finished_at"] or datetime.min.replace(tzinfo=UTC), r["review_id"]))
    for row in rows:
        name = row["label_name"]
        if name in LABEL_SETS and row["reviewer_label"] in LABEL_SETS[name]:
            latest[(row["conversation_id"], row["message_external_id"], name)] = row
    return latest


def review_counts(engine: Engine) -> tuple[int, int]:
    """(reviewed replies, of which the reviewer corrected at least one label) that retraining would learn
    from (one query, no texts read; replies that left the store are still counted)."""
    latest = _latest_verdicts(engine)
    replies = {(cid, mid) for cid, mid, _ in latest}
    corrected = {(cid, mid) for (cid, mid, _), r in latest.items() if r["model_label"] != r["reviewer_label"]}
    return len(replies), len(corrected)


def review_training_records(engine: Engine, *, log: Log | None = None) -> list[ReviewExample]:
    """Training examples from the finished reviews in the store, one per reviewed reply, oldest first.

    The reply text and the conversation before it are read from the store as the scorer sees them
    (``scoring.reply_contexts``: internal notes, auto-replies and messages with nothing to label left out).
    A label counts when a reviewer confirmed or corrected it in a finished review (drafts never count);
    when several reviewers judged the same label of the same reply, the latest finished review wins.
    Replies no longer in the store (or no longer scored as an agent reply) are skipped."""
    log = log or (lambda _m: None)
    latest = _latest_verdicts(engine)
    if not latest:
        return []
    by_reply: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for (cid, mid, _), row in latest.items():
        by_reply.setdefault((cid, mid), []).append(row)
    contexts: dict[tuple[int, str], ReplyContext] = {}
    convs = results.load_conversations(engine, ids=sorted({cid for cid, _ in by_reply}))
    for cid, _, conv in convs:
        for mid, ctx in reply_contexts(conv):
            if (cid, mid) in by_reply:
                contexts[(cid, mid)] = ctx
    out: list[ReviewExample] = []
    missing = 0
    for (cid, mid), verdicts in by_reply.items():
        ctx = contexts.get((cid, mid))
        if ctx is None:
            missing += 1
            continue
        first = verdicts[0]
        out.append(
            ReviewExample(
                item=f"store:{first['source']}:{first['external_id']}#{mid}",
                conversation_id=cid,
                message_id=mid,
                context=ctx,
                labels={v["label_name"]: v["reviewer_label"] for v in verdicts},
                model_labels={v["label_name"]: v["model_label"] for v in verdicts},
                reviewers={v["label_name"]: v["reviewer"] for v in verdicts},
                reviewed_at=max((v["finished_at"] for v in verdicts if v["finished_at"] is not None), default=None),
            )
        )
    if missing:
        log(
            f"{missing} reviewed replies are no longer in the store or no longer scored as agent replies "
            "(internal notes, auto-replies and messages with nothing to label are not): left out"
        )
    out.sort(key=lambda e: (e.reviewed_at or datetime.min.replace(tzinfo=UTC), e.item))
    return out


# --------------------------------------------------------------------------- retraining


@dataclass
class RetrainResult:
    """Before/after figures of one retraining, and where the new models are (``out_dir``)."""

    out_dir: Path
    created: str
    evaluation: str  # EVALUATION_SET or CROSS_VALIDATED
    evaluation_note: str
    review_examples: int
    base_examples: int
    figures: dict[str, dict[str, Any]]  # label -> before, after (metrics or None), kept, training rows ...
    notes: list[str] = field(default_factory=list)

    @property
    def independent(self) -> bool:
        """True when the figures come from the hand-labelled evaluation set (independent of the training)."""
        return self.evaluation == EVALUATION_SET

    def table(self) -> list[dict[str, Any]]:
        """One row per label: replies evaluated on, macro-F1, accuracy and ECE before and after, and what
        was trained (rows for the new model, of which review examples)."""
        rows = []
        for name, fig in self.figures.items():
            before, after = fig.get("before"), fig.get("after")

            def get(m: dict[str, Any] | None, key: str) -> float | None:
                return None if m is None else m.get(key)

            row: dict[str, Any] = {
                "label": name,
                "evaluated on": (after or before or {}).get("n"),
                "trained on": fig.get("training_rows"),
                "review examples": fig.get("review_rows"),
            }
            for key in ("macro_f1", "accuracy", "ece"):
                b, a = get(before, key), get(after, key)
                row[f"{key} before"] = None if b is None else round(b, 3)
                row[f"{key} after"] = None if a is None else round(a, 3)
                row[f"{key} change"] = None if a is None or b is None else round(a - b, 3)
            row["note"] = fig.get("kept") or ""
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["out_dir"] = str(self.out_dir)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetrainResult:
        return cls(**{**data, "out_dir": Path(data["out_dir"])})

    def write(self) -> Path:
        path = self.out_dir / REPORT_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return path


def read_result(candidate_dir: Path) -> RetrainResult:
    """The figures of a candidate folder written by :func:`retrain_with_reviews`."""
    path = Path(candidate_dir) / REPORT_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise QAError(f"{path}: not a retraining result ({exc})") from None
    result = RetrainResult.from_dict(data)
    result.out_dir = Path(candidate_dir)
    return result


def _leave_out_test_data(examples: list[ReviewExample], evaluation: LabelledSet | None, data_dir: Path | None,
                         notes: list[str], log: Log) -> list[ReviewExample]:  # fmt: skip
    """The review examples that are not test data. A store can hold the research data (imported to try the
    tool): a reviewed reply whose text is an evaluation reply, or, with ``data_dir``, any reply of the test
    splits, or that is in a test conversation of the research data (a twcs-sample thread of the airlines test
    split, say), never trains. Texts are compared as ``training.reply_key`` reads them (mentions aside:
    TWCS writes @115882 where twcs-airlines writes __cust__)."""
    checks: list[tuple[str, set[str], set[str]]] = []  # (what they are, reply texts, conversation ids)
    if evaluation is not None:
        checks.append(("in the evaluation set", {reply_key(c.text) for c in evaluation.contexts}, set()))
    if data_dir is not None and examples:
        log("reading the test splits' replies")
        replies = list(iter_test_reply_items(Path(data_dir), present_only=True))
        conversations = {i.conversation.id for i in replies} | set(sample_threads_in_test(Path(data_dir)))
        checks.append(("replies of the test splits (twcs-airlines/test, ibm-cdp/test, or their threads in "
                       "twcs-sample)", {reply_key(i.reply.text) for i in replies}, conversations))  # fmt: skip
    for what, texts, conversations in checks:
        kept = [
            e for e in examples
            if reply_key(e.context.text) not in texts and _research_conversation(e.item) not in conversations
        ]  # fmt: skip
        if len(kept) < len(examples):
            notes.append(f"{len(examples) - len(kept)} reviewed replies are {what}: left out of the training")
        examples = kept
        if not examples:
            raise QAError(f"every reviewed reply is {what.split(' (')[0]}: there is nothing to learn from")
    return examples


def _research_conversation(item: str) -> str | None:
    """The conversation id of a review example (``store:<source>:<conversation>#<message>``) imported from a
    research data format (whose conversation ids are the research data's own), else None."""
    _, source, rest = item.split(":", 2)
    return rest.partition("#")[0] if source in ("twcs", "twcs-airlines", "ibm-cdp") else None


def retrain_with_reviews(
    engine: Engine,
    *,
    data_dir: Path | None,
    models_dir: Path,
    out_dir: Path,
    names: Sequence[str] | None = None,
    pipeline_params: Mapping[str, Any] | None = None,
    training_set: LabelledSet | None = None,
    evaluation_set: LabelledSet | None = None,
    log: Log | None = None,
) -> RetrainResult:
    """Retrain the reply classifiers with the reviewers' labels added, and compare them with the active ones.

    Training data: the committed training labels joined with their texts in ``data_dir`` (../shared/data,
    as ``train_all`` reads them) plus every example of :func:`review_training_records`. Evaluation: old
    (``models_dir``) and new models on the same replies: the committed hand-labelled evaluation set when
    ``data_dir`` is given (review examples whose reply is in that set are left out of the training);
    without ``data_dir`` no independent evaluation is possible: the new models learn from the review
    examples alone and the figures are cross-validated on them (``result.independent`` is False, and
    ``evaluation_note`` says so).

    The new models (all four: a label that was not retrained keeps a copy of the active model) and
    ``retrain.json`` (the figures) are written to ``out_dir``; the active models are never touched: call
    :func:`activate_models` to switch. ``names`` retrains only these labels; ``pipeline_params`` go to
    ``make_pipeline_for`` (small models for tests); ``training_set`` / ``evaluation_set`` replace what
    would be read from ``data_dir``. ``log`` gets progress lines. QAError when there is nothing to learn
    from (no finished review with label verdicts) or ``data_dir`` is not a folder.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # see fit_classifiers: BLAS threads only slow these solvers down
        return _retrain(
            engine,
            data_dir=data_dir,
            models_dir=models_dir,
            out_dir=out_dir,
            names=names,
            pipeline_params=pipeline_params,
            training_set=training_set,
            evaluation_set=evaluation_set,
            log=log,
        )


def _retrain(
    engine: Engine,
    *,
    data_dir: Path | None,
    models_dir: Path,
    out_dir: Path,
    names: Sequence[str] | None,
    pipeline_params: Mapping[str, Any] | None,
    training_set: LabelledSet | None,
    evaluation_set: LabelledSet | None,
    log: Log | None,
) -> RetrainResult:
    log = log or (lambda _m: None)
    names = list(names or LABEL_SETS)
    unknown = [n for n in names if n not in LABEL_SETS]
    if unknown:
        raise QAError(f"unknown classifier {unknown[0]!r}; valid: {', '.join(LABEL_SETS)}")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise QAError(f"{data_dir}: the research data folder (../shared/data) is not there")
    models_dir, out_dir = Path(models_dir), Path(out_dir)
    if out_dir.resolve() == models_dir.resolve():
        raise QAError("out_dir must not be the active models folder: activate the new models with activate_models")
    notes: list[str] = []

    log("reading the finished reviews")
    examples = review_training_records(engine, log=log)
    if not examples:
        raise QAError("no finished review confirms or corrects a reply label yet: there is nothing to learn from")
    log(f"{len(examples):,} reviewed replies ({sum(len(e.corrected) > 0 for e in examples):,} with a correction)")

    base = training_set
    evaluation = evaluation_set
    base_notes: dict[str, Any] = {}  # what the cards say about the committed labels, as `qa-toolkit train` does
    if data_dir is not None:
        if base is None:
            log("reading the committed training labels and their texts")
            records, left_out = training_labels_and_left_out(Path(data_dir))
            base = load_labelled(records, Path(data_dir))
            if left_out:
                base_notes["left_out"] = left_out_note(left_out)
        if evaluation is None:
            log("reading the evaluation set")
            evaluation = load_labelled(evaluation_label_records(), Path(data_dir))
    if base is not None:  # one row per reply, as `qa-toolkit train` trains
        base, same_replies = merge_same_replies(base, list(LABEL_SETS))
        if same_replies:
            base_notes["same_reply_merged"] = same_replies
    if base is None:
        notes.append(
            "../shared/data is not there: the committed training labels cannot be joined to their texts, so "
            f"the new models learn from the {len(examples):,} review examples alone"
        )
    examples = _leave_out_test_data(examples, evaluation, data_dir, notes, log)

    contexts = list(base.contexts if base else []) + [e.context for e in examples]
    labels = {name: list(base.y(name) if base else []) + [e.labels.get(name) for e in examples] for name in LABEL_SETS}
    params = dict(pipeline_params or {})
    log(f"training on {len(contexts):,} replies ({len(base.contexts) if base else 0:,} committed, "
        f"{len(examples):,} from reviews)")  # fmt: skip
    # the same extra examples as `qa-toolkit train` (the politeness corpus for tone), when the data is there
    auxiliary = {n: auxiliary_examples(n, Path(data_dir), required=False) for n in names} if data_dir else {}
    # calibration folds grouped by conversation, as `qa-toolkit train`: a reviewed reply's group is its
    # conversation's, or the group of the committed training reply it is (a store can hold the training splits)
    base_groups = base.groups() if base else []
    committed = {same_reply_key(c): g for c, g in zip(base.contexts, base_groups, strict=True)} if base else {}
    groups = base_groups + [committed.get(same_reply_key(e.context), f"store:{e.conversation_id}") for e in examples]
    fitted = fit_classifiers(contexts, labels, names=names, pipeline_params=params, auxiliary=auxiliary,
                             groups=groups, log=log)  # fmt: skip
    notes.extend(fitted.notes)

    old: dict[str, ReplyClassifier] = {}
    for name in LABEL_SETS:
        try:
            old[name] = load_classifier(name, models_dir)
        except QAError:
            notes.append(f"{name}: no active model in {models_dir}")

    figures: dict[str, dict[str, Any]] = {}
    for name in names:
        review_rows = sum(1 for e in examples if name in e.labels)
        figures[name] = {
            "before": None,
            "after": None,
            "kept": fitted.skipped.get(name),
            "training_rows": fitted.rows.get(name),
            "review_rows": review_rows,
            "review_corrections": sum(1 for e in examples if name in e.corrected),
        }
    if evaluation is not None:
        evaluation_kind = EVALUATION_SET
        note = (
            f"Old and new models on the hand-labelled evaluation set ({len(evaluation.contexts):,} replies from "
            "the test splits, never used for training): an independent evaluation."
        )
        for name in names:
            log(f"evaluating {name}")
            y = evaluation.y(name)
            if name in old:
                figures[name]["before"] = evaluate_classifier(old[name], evaluation.contexts, y)
            if name in fitted.pipelines:
                figures[name]["after"] = evaluate_classifier(
                    ReplyClassifier(name, fitted.pipelines[name]), evaluation.contexts, y
                )
    else:
        evaluation_kind = CROSS_VALIDATED
        note = (
            "No independent evaluation is possible: ../shared/data (and with it the hand-labelled evaluation "
            "set) is not there. The figures are cross-validated on the review examples: the old model on all "
            "of them, the new one on each fold with a model trained on the other folds. Reviewers saw the "
            "model's labels and reviewed flagged conversations, so these figures are not comparable with the "
            "model cards' and may flatter the old model."
        )
        for name in names:
            rows = [e for e in examples if name in e.labels]
            log(f"cross-validating {name} on {len(rows)} review examples")
            before, after, why = _cross_validated(name, rows, old.get(name), params)
            figures[name]["before"], figures[name]["after"] = before, after
            if why:
                figures[name]["cv_note"] = why
                notes.append(f"{name}: {why}")

    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    reviewers = sorted({who for e in examples for who in e.reviewers.values()})
    for name in LABEL_SETS:
        target = model_dir(name, out_dir)
        if name in fitted.pipelines:
            card = _card(name, fitted, examples, figures[name], evaluation_kind, note, created, reviewers, base)
            card["training_data"].update(base_notes)
            save_model(name, fitted.pipelines[name], card, out_dir)
            log(f"  {name}: new model written")
        elif name in old:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(model_dir(name, models_dir), target)
            why = figures[name]["kept"] if name in figures else "not retrained (not asked for)"
            if name in figures:
                figures[name]["kept"] = f"the active model is kept: {why}"
            log(f"  {name}: the active model is kept ({why})")
    result = RetrainResult(
        out_dir=out_dir,
        created=created,
        evaluation=evaluation_kind,
        evaluation_note=note,
        review_examples=len(examples),
        base_examples=len(base.contexts) if base else 0,
        figures=figures,
        notes=notes,
    )
    result.write()
    log(f"new models and figures written to {out_dir}")
    return result


def _cross_validated(
    name: str, rows: Sequence[ReviewExample], old: ReplyClassifier | None, params: dict[str, Any]
) -> tuple[dict | None, dict | None, str | None]:
    """(old model's figures, new model's cross-validated figures, why there are none) on these examples.

    Each fold's model is trained as the final one is: a class the final model leaves out (fewer than
    MIN_PER_CLASS examples in all) is left out of every fold too, and its replies count as missed."""
    from sklearn.model_selection import StratifiedKFold

    y = [e.labels[name] for e in rows]
    contexts = [e.context for e in rows]
    before = evaluate_classifier(old, contexts, y) if old is not None and rows else None
    counts = Counter(y)
    learnt = {c: n for c, n in counts.items() if n >= MIN_PER_CLASS}
    folds = min(5, min(learnt.values(), default=0))
    if len(learnt) < 2 or folds < 2:
        return before, None, "too few review examples of each class to cross-validate the new model"
    classes = sorted(set(LABEL_SETS[name]) | set(counts))
    pred: list[str] = [""] * len(rows)
    proba = np.zeros((len(rows), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class left out has fewer members than folds: expected
        splits = list(splitter.split(np.zeros(len(y)), y))
    for train_idx, test_idx in splits:
        train_y = [y[i] if y[i] in learnt else None for i in train_idx]
        fit = fit_classifiers([contexts[i] for i in train_idx], {name: train_y}, names=[name],
                              pipeline_params=params, min_per_class=2)  # fmt: skip
        test = [contexts[i] for i in test_idx]
        if name in fit.pipelines:
            for i, p in zip(
                test_idx, ReplyClassifier(name, fit.pipelines[name]).predict(test, evidence=0), strict=True
            ):
                pred[i] = p.label
                proba[i] = [p.probabilities.get(c, 0.0) for c in classes]
        else:  # one class in this fold's training part: it predicts that class
            only = Counter(v for v in train_y if v is not None).most_common(1)[0][0]
            for i in test_idx:
                pred[i] = only
                proba[i] = [1.0 if c == only else 0.0 for c in classes]
    return before, evaluate_predictions(y, pred, proba, classes), None


def _card(
    name: str,
    fitted: Any,
    examples: Sequence[ReviewExample],
    fig: dict[str, Any],
    evaluation_kind: str,
    note: str,
    created: str,
    reviewers: list[str],
    base: LabelledSet | None,
) -> dict[str, Any]:
    pipe = fitted.pipelines[name]
    clf = pipe.named_steps["clf"]
    featurizer = pipe.named_steps["features"]
    rows = [e for e in examples if name in e.labels]
    card: dict[str, Any] = {
        **card_notes(name),
        "training_data": {
            "replies": fitted.rows[name],
            "label_files": (training_label_files() if base is not None else []),
            "sources": TRAINING_SOURCES if base is not None else "none: ../shared/data was not there",
            "review_examples": {
                "replies": len(rows),
                "corrected": sum(1 for e in rows if name in e.corrected),
                "reviewers": reviewers,
                "distribution": dict(sorted(Counter(e.labels[name] for e in rows).items())),
                "rule": "finished reviews only; the latest finished review wins when reviewers disagree",
            },
            "distribution": fitted.distribution[name],
            **({"auxiliary": fitted.auxiliary[name]} if name in fitted.auxiliary else {}),
        },
        "model": {
            "pipeline": "ReplyFeaturizer -> CalibratedLinear (as qa-toolkit train), retrained with reviews",
            "params": {k: repr(v) for k, v in clf.get_params(deep=False).items()},
            "decision_weights": dict(
                zip(clf.classes_.tolist(), np.round(clf.decision_weights_, 3).tolist(), strict=True)
            ),
            "featurizer": {k: repr(v) for k, v in featurizer.get_params().items()},
            "featurizer_fingerprint": featurizer.fingerprint(),
            "word_vectors": word_vectors_note(featurizer, clf),
            "evidence": evidence_note(featurizer),
        },
        "retrained_with_reviews": {"date": created, "evaluation": evaluation_kind, "note": note},
    }
    if evaluation_kind == EVALUATION_SET and fig.get("after") is not None:
        card["metrics"] = fig["after"]
        card["metrics_before_retraining"] = fig.get("before")
    elif fig.get("after") is not None:
        card["metrics_cross_validated_on_reviews"] = fig["after"]
    return card


# --------------------------------------------------------------------------- switching models


def _complete(folder: Path) -> bool:
    return all((model_dir(name, folder) / "model.joblib").exists() for name in LABEL_SETS)


def _copy_set(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in LABEL_SETS:
        folder = model_dir(name, src)
        if folder.exists():
            shutil.copytree(folder, model_dir(name, dst), dirs_exist_ok=True)


def _install(src: Path, models_dir: Path) -> None:
    """Replace each ``<name>-v1`` folder of ``models_dir`` by the one in ``src``: copied beside it first,
    then swapped by renames (a reader never sees a half-written model)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    for name in LABEL_SETS:
        target = model_dir(name, models_dir)
        fresh = models_dir / f".{target.name}.new"
        stale = models_dir / f".{target.name}.old"
        for leftover in (fresh, stale):
            if leftover.exists():
                shutil.rmtree(leftover)
        shutil.copytree(model_dir(name, src), fresh)
        if target.exists():
            target.rename(stale)
        fresh.rename(target)
        if stale.exists():
            shutil.rmtree(stale)


def _backup(models_dir: Path, backups_dir: Path, *, reason: str, now: datetime | None) -> Path:
    folder = backups_dir / _stamp(now)
    _copy_set(models_dir, folder)
    (folder / BACKUP_FILE).write_text(
        json.dumps({"created": (now or datetime.now(UTC)).isoformat(timespec="seconds"), "reason": reason}) + "\n"
    )
    return folder


def _check_loads(folder: Path, what: str) -> None:
    """QAError unless the model set in ``folder`` loads (before anything is switched)."""
    from qa_toolkit.scoring import ReplyScorer

    try:
        ReplyScorer.load(folder)
    except Exception as exc:  # noqa: BLE001 - any load failure means: do not switch
        raise QAError(f"{folder}: {what} do not load ({exc}); nothing changed") from None


def activate_models(
    candidate_dir: Path, *, models_dir: Path, backups_dir: Path, by: str | None = None, now: datetime | None = None
) -> Path:
    """Make the models in ``candidate_dir`` (written by :func:`retrain_with_reviews`) the active ones in
    ``models_dir``. The models they replace are copied to ``backups_dir/<time>/`` first (returned), so
    :func:`rollback_models` can bring them back. QAError when the candidate is incomplete or does not load."""
    candidate_dir, models_dir, backups_dir = Path(candidate_dir), Path(models_dir), Path(backups_dir)
    if not _complete(candidate_dir):
        raise QAError(f"{candidate_dir}: not a complete set of models ({', '.join(LABEL_SETS)}); nothing changed")
    _check_loads(candidate_dir, "the new models")
    backup = _backup(models_dir, backups_dir, reason=f"replaced by {candidate_dir.name}", now=now)
    _install(candidate_dir, models_dir)
    (candidate_dir / ACTIVATED_FILE).write_text(
        json.dumps(
            {
                "activated": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
                "by": by,
                "models_dir": str(models_dir),
                "previous": str(backup),
            }
        )
        + "\n"
    )
    return backup


def list_backups(backups_dir: Path) -> list[Path]:
    """The kept model sets, newest first."""
    backups_dir = Path(backups_dir)
    if not backups_dir.is_dir():
        return []
    return sorted((p for p in backups_dir.iterdir() if p.is_dir() and _complete(p)), reverse=True)


def rollback_models(
    *, models_dir: Path, backups_dir: Path, backup: Path | None = None, now: datetime | None = None
) -> Path:
    """Bring back a kept model set (the newest, or ``backup``) as the active models. The models it replaces
    are kept too (a new backup), so a rollback can itself be undone. Returns the set brought back."""
    models_dir, backups_dir = Path(models_dir), Path(backups_dir)
    chosen = Path(backup) if backup is not None else next(iter(list_backups(backups_dir)), None)
    if chosen is None or not _complete(chosen):
        raise QAError(f"no kept models to go back to in {backups_dir}")
    _check_loads(chosen, "the kept models")
    _backup(models_dir, backups_dir, reason=f"replaced by a rollback to {chosen.name}", now=now)
    _install(chosen, models_dir)
    return chosen


def list_candidates(work_dir: Path) -> list[Path]:
    """Candidate folders (with figures) under ``work_dir/candidates``, newest first."""
    folder = Path(work_dir) / "candidates"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if (p / REPORT_FILE).exists()), reverse=True)


def new_candidate_dir(work_dir: Path, *, now: datetime | None = None) -> Path:
    return Path(work_dir) / "candidates" / _stamp(now)


def activation(candidate_dir: Path) -> dict[str, Any] | None:
    """When and by whom a candidate was activated (None: never)."""
    path = Path(candidate_dir) / ACTIVATED_FILE
    return json.loads(path.read_text()) if path.exists() else None


def model_signature(models_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """The active models' files (inode, modification time): a cache key that changes on every switch."""
    out = []
    for name in LABEL_SETS:
        path = model_dir(name, Path(models_dir)) / "model.joblib"
        st = path.stat() if path.exists() else None
        out.append((name, st.st_ino if st else 0, st.st_mtime_ns if st else 0))
    return tuple(out)


__all__ = [
    "CROSS_VALIDATED",
    "EVALUATION_SET",
    "VERSION",
    "RetrainResult",
    "ReviewExample",
    "activate_models",
    "active_models_dir",
    "list_backups",
    "list_candidates",
    "read_result",
    "research_data_dir",
    "retrain_dir",
    "retrain_with_reviews",
    "review_counts",
    "review_training_records",
    "rollback_models",
]
