"""Saving and loading trained classifiers: models/<name>-v<N>/model.joblib with a card.json."""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.pipeline import Pipeline

from qa_toolkit.classifiers.models import LABEL_SETS, ReplyClassifier
from qa_toolkit.errors import QAError
from qa_toolkit.settings import ROOT

MODELS_DIR = ROOT / "models"
VERSION = 1


def model_dir(name: str, models_dir: Path = MODELS_DIR, version: int = VERSION) -> Path:
    return models_dir / f"{name}-v{version}"


def library_versions() -> dict[str, str]:
    import numpy
    import scipy
    import spacy

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "spacy": spacy.__version__}  # fmt: skip


def save_model(name: str, pipeline: Pipeline, card: dict[str, Any], models_dir: Path = MODELS_DIR) -> Path:
    """Write the pipeline (compressed) and its card; returns the folder."""
    folder = model_dir(name, models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, folder / "model.joblib", compress=("xz", 6))
    card = {
        "name": f"{name}-v{VERSION}",
        "label": name,
        "labels": list(LABEL_SETS[name]),
        "created": datetime.now(UTC).date().isoformat(),
        "library_versions": library_versions(),
        **card,
    }
    write_card(folder, card)
    return folder


def write_card(folder: Path, card: dict[str, Any]) -> None:
    (folder / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def read_card(name: str, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    return json.loads((model_dir(name, models_dir) / "card.json").read_text())


def load_classifier(name: str, models_dir: Path = MODELS_DIR) -> ReplyClassifier:
    """A trained classifier; QAError naming the file when it is missing or cannot be read; a warning when the
    card's scikit-learn differs."""
    folder = model_dir(name, models_dir)
    path = folder / "model.joblib"
    if not path.exists():
        raise QAError(f"no trained {name} model at {path}; run `qa-toolkit train`")
    card_path = folder / "card.json"
    try:
        card = json.loads(card_path.read_text()) if card_path.exists() else {}
    except (OSError, ValueError) as exc:
        raise QAError(f"{card_path}: cannot read the model card ({exc}); retrain with `qa-toolkit train`") from None
    versions = (card.get("library_versions") or {}) if isinstance(card, dict) else None
    if not isinstance(versions, dict):
        raise QAError(f"{card_path}: not a model card (a JSON object); retrain with `qa-toolkit train`")
    trained_with = versions.get("scikit-learn")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"{name} model was trained with scikit-learn {trained_with}, this is {sklearn.__version__}; "
            "retrain with `qa-toolkit train` if predictions look wrong",
            stacklevel=2,
        )
    try:
        pipeline = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file raises anything joblib and pickle can
        raise QAError(
            f"{path}: cannot load the {name} model ({type(exc).__name__}: {exc}); "
            "restore it from the repository or retrain with `qa-toolkit train`"
        ) from None
    clf = ReplyClassifier(name, pipeline)
    clf.featurizer.check_vectors()  # a missing or different word-vector table shows now, not at scoring
    clf.version = artefact_version(name, card, path)
    return clf


def artefact_version(name: str, card: dict[str, Any], path: Path) -> str:
    """What the store records as the model behind a label: the card's name, its date and the first 8 hex
    digits of the model file's SHA-256 (``tone-v1@2026-11-21+1a2b3c4d``), so retrained models that keep their
    name still tell apart (results scored with other models can be found and scored again)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"{card.get('name', name)}@{card.get('created', '?')}+{digest.hexdigest()[:8]}"


def load_all(models_dir: Path = MODELS_DIR) -> dict[str, ReplyClassifier]:
    return {name: load_classifier(name, models_dir) for name in LABEL_SETS}
