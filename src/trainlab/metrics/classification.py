"""Classification metrics on logits and integer labels, from torchmetrics where it has them."""

from __future__ import annotations

from typing import Annotated, Any

import torch
import torch.nn.functional as F
import torchmetrics
from pydantic import Field
from torchmetrics import classification as tmc

from trainlab.registry import METRICS

_DOCS = "https://lightning.ai/docs/torchmetrics/stable/classification/"
_SCALAR = {"task": "classification", "higher_is_better": True, "scalar": True}
Bins = Annotated[int, Field(ge=2)]


@METRICS.register("accuracy", aliases=("acc",), reference=_DOCS + "accuracy.html", flags=_SCALAR)
def accuracy(num_classes: int) -> torchmetrics.Metric:
    """Fraction of samples whose arg-max logit is the true class (micro-averaged).

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassAccuracy(num_classes=num_classes, average="micro")


@METRICS.register("top_k_accuracy", aliases=("top_k",), reference=_DOCS + "accuracy.html", flags=_SCALAR)
def top_k_accuracy(num_classes: int, k: Annotated[int, Field(ge=1)] = 5) -> torchmetrics.Metric:
    """Fraction of samples whose true class is among the k highest logits (k capped at the class count).

    Args:
        num_classes: Number of classes.
        k: How many top predictions count.
    """
    return tmc.MulticlassAccuracy(num_classes=num_classes, top_k=min(k, num_classes), average="micro")


_AVERAGES = {
    "micro": "pooled over all samples (equals accuracy for single-label data)",
    "macro": "averaged with equal weight per class, so rare classes count",
    "weighted": "averaged over classes weighted by their support",
}
_KINDS = {
    "precision": (tmc.MulticlassPrecision, "precision_recall.html", "Precision TP / (TP + FP)"),
    "recall": (tmc.MulticlassRecall, "recall.html", "Recall TP / (TP + FN)"),
    "f1": (tmc.MulticlassF1Score, "f1_score.html", "F1, the harmonic mean of precision and recall,"),
}


def _register_averaged(kind: str, average: str) -> None:
    metric_class, page, what = _KINDS[kind]

    def factory(num_classes: int) -> torchmetrics.Metric:
        return metric_class(num_classes=num_classes, average=average)

    factory.__name__ = f"{kind}_{average}"
    METRICS.add(
        f"{kind}_{average}",
        factory,
        description=f"{what} per class, {_AVERAGES[average]}.",
        reference=_DOCS + page,
        flags=_SCALAR,
    )


for _kind in _KINDS:
    for _average in _AVERAGES:
        _register_averaged(_kind, _average)


@METRICS.register(
    "confusion_matrix",
    reference=_DOCS + "confusion_matrix.html",
    flags={"task": "classification", "higher_is_better": None, "scalar": False},
)
def confusion_matrix(num_classes: int) -> torchmetrics.Metric:
    """Counts of (true class, predicted class) pairs; rows are true classes.

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassConfusionMatrix(num_classes=num_classes)


@METRICS.register("roc_auc", aliases=("auroc",), reference=_DOCS + "auroc.html", flags=_SCALAR)
def roc_auc(num_classes: int) -> torchmetrics.Metric:
    """Area under the ROC curve, one-vs-rest per class on softmax scores, macro-averaged.

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassAUROC(num_classes=num_classes, average="macro")


@METRICS.register("average_precision", reference=_DOCS + "average_precision.html", flags=_SCALAR)
def average_precision(num_classes: int) -> torchmetrics.Metric:
    """Average precision (area under the precision-recall step curve), one-vs-rest, macro-averaged.

    Args:
        num_classes: Number of classes.
    """
    return tmc.MulticlassAveragePrecision(num_classes=num_classes, average="macro")


class _StackedCurves:
    """Makes a binned curve metric return one tensor (2, classes, thresholds), which the run summary stores."""

    def compute(self) -> torch.Tensor:
        first, second, _ = super().compute()  # type: ignore[misc]
        return torch.stack([first, second])


class BinnedROC(_StackedCurves, tmc.MulticlassROC):
    """One-vs-rest ROC curves at fixed thresholds (decreasing): ``[fpr, tpr]`` of shape (2, C, T)."""


class BinnedPrecisionRecallCurve(_StackedCurves, tmc.MulticlassPrecisionRecallCurve):
    """One-vs-rest precision-recall curves at fixed thresholds: ``[precision, recall]`` of shape (2, C, T + 1)."""


_CURVE = {"task": "classification", "higher_is_better": None, "scalar": False}


@METRICS.register("roc_curve", reference=_DOCS + "roc.html", flags=_CURVE)
def roc_curve(num_classes: int, thresholds: Bins = 21) -> torchmetrics.Metric:
    """ROC curves one-vs-rest at evenly spaced thresholds: [false positive rate, true positive rate] per class.

    Args:
        num_classes: Number of classes.
        thresholds: Number of thresholds in [0, 1] (binned, so memory stays constant).
    """
    return BinnedROC(num_classes=num_classes, thresholds=thresholds)


@METRICS.register("pr_curve", reference=_DOCS + "precision_recall_curve.html", flags=_CURVE)
def pr_curve(num_classes: int, thresholds: Bins = 21) -> torchmetrics.Metric:
    """Precision-recall curves one-vs-rest at evenly spaced thresholds: [precision, recall] per class.

    Args:
        num_classes: Number of classes.
        thresholds: Number of thresholds in [0, 1].
    """
    return BinnedPrecisionRecallCurve(num_classes=num_classes, thresholds=thresholds)


@METRICS.register(
    "ece",
    aliases=("expected_calibration_error",),
    reference="Guo, Pleiss, Sun & Weinberger 2017, On Calibration of Modern Neural Networks, arXiv:1706.04599; "
    + _DOCS
    + "calibration_error.html",
    flags={"task": "classification", "higher_is_better": False, "scalar": True},
)
def ece(num_classes: int, bins: Bins = 15) -> torchmetrics.Metric:
    """Expected calibration error: confidence-vs-accuracy gap over equal-width confidence bins, weighted by size.

    Args:
        num_classes: Number of classes.
        bins: Number of confidence bins (15 in Guo et al.).
    """
    return tmc.MulticlassCalibrationError(num_classes=num_classes, n_bins=bins, norm="l1")


class LogLoss(torchmetrics.Metric):
    """Mean negative log-likelihood of the true class under softmax(logits)."""

    higher_is_better = False
    full_state_update = False

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor, targets: torch.Tensor) -> None:
        self.total += F.cross_entropy(logits.double(), targets, reduction="sum")
        self.count += targets.numel()

    def compute(self) -> torch.Tensor:
        return self.total / self.count.clamp_min(1)


@METRICS.register(
    "log_loss",
    reference="https://scikit-learn.org/stable/modules/generated/sklearn.metrics.log_loss.html",
    flags={"task": "classification", "higher_is_better": False, "scalar": True},
)
def log_loss() -> torchmetrics.Metric:
    """Log loss (cross-entropy of softmax probabilities), scikit-learn's log_loss on logits."""
    return LogLoss()
