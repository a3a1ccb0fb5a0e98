"""Evaluation metrics by name, backed by torchmetrics."""

from trainlab.metrics import classification, regression  # noqa: F401  (registrations)
from trainlab.metrics.defaults import default_metrics

__all__ = ["default_metrics"]
