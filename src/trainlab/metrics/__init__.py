"""Evaluation metrics by name, backed by torchmetrics, plus information-theory and distance functions."""

from trainlab.metrics import classification, regression  # noqa: F401  (registrations)
from trainlab.metrics.classification import BinnedPrecisionRecallCurve, BinnedROC, LogLoss
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
]
