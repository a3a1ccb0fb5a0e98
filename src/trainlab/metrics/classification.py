"""Classification metrics on logits and integer labels, from torchmetrics."""

from __future__ import annotations

import torchmetrics
from torchmetrics import classification as tmc

from trainlab.registry import METRICS

_DOCS = "https://lightning.ai/docs/torchmetrics/stable/classification/"


@METRICS.register(
    "accuracy", aliases=("acc",), reference=_DOCS + "accuracy.html",
    flags={"task": "classification", "higher_is_better": True, "scalar": True},
)
def accuracy(num_classes: int) -> torchmetrics.Metric:
    """Fraction of samples whose arg-max logit is the true class (micro-averaged).

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassAccuracy(num_classes=num_classes, average="micro")


@METRICS.register(
    "f1_macro", reference=_DOCS + "f1_score.html",
    flags={"task": "classification", "higher_is_better": True, "scalar": True},
)
def f1_macro(num_classes: int) -> torchmetrics.Metric:
    """F1 score per class, averaged with equal weight per class (macro), so rare classes count.

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassF1Score(num_classes=num_classes, average="macro")


@METRICS.register(
    "confusion_matrix", reference=_DOCS + "confusion_matrix.html",
    flags={"task": "classification", "higher_is_better": None, "scalar": False},
)
def confusion_matrix(num_classes: int) -> torchmetrics.Metric:
    """Counts of (true class, predicted class) pairs; rows are true classes.

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassConfusionMatrix(num_classes=num_classes)
