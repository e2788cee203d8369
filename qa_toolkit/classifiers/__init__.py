"""The four reply classifiers (labelling guide: tone, personalisation, apology, resolution).

Each is a scikit-learn Pipeline built by ``make_<name>_pipeline()``: a ``ReplyFeaturizer`` and a
calibrated, class-balanced logistic regression. ``ReplyClassifier`` adds evidence to predictions.
"""

from __future__ import annotations

from qa_toolkit.classifiers.models import (
    LABEL_SETS,
    ReplyClassifier,
    make_apology_pipeline,
    make_personalisation_pipeline,
    make_pipeline_for,
    make_resolution_pipeline,
    make_tone_pipeline,
)

__all__ = [
    "LABEL_SETS",
    "ReplyClassifier",
    "make_apology_pipeline",
    "make_personalisation_pipeline",
    "make_pipeline_for",
    "make_resolution_pipeline",
    "make_tone_pipeline",
]
