"""Evaluation metrics by name, backed by torchmetrics, plus information-theory and distance functions."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from trainlab.metrics import classification, imbalance, regression  # noqa: F401  (registrations)
from trainlab.metrics.defaults import default_metrics
from trainlab.metrics.functional import (
    FUNCTIONS,
    cosine,
    cross_entropy,
    entropy,
    euclidean,
    js_divergence,
    kl_divergence,
    mahalanobis,
    manhattan,
)
from trainlab.metrics.threshold import tune_threshold

if TYPE_CHECKING:
    from trainlab.metrics.curves import BinnedPrecisionRecallCurve, BinnedROC
    from trainlab.metrics.log_loss import LogLoss

# Subclasses of torchmetrics' classes, loaded on first use: torchmetrics takes about a second to import.
_LAZY = {
    "BinnedPrecisionRecallCurve": "trainlab.metrics.curves",
    "BinnedROC": "trainlab.metrics.curves",
    "LogLoss": "trainlab.metrics.log_loss",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'trainlab.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "FUNCTIONS",
    "BinnedPrecisionRecallCurve",
    "BinnedROC",
    "LogLoss",
    "cosine",
    "cross_entropy",
    "default_metrics",
    "entropy",
    "euclidean",
    "js_divergence",
    "kl_divergence",
    "mahalanobis",
    "manhattan",
    "tune_threshold",
]
