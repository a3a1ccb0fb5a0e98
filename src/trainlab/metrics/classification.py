"""Classification metrics on logits and integer labels, from torchmetrics where it has them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from trainlab.registry import METRICS

if TYPE_CHECKING:
    import torchmetrics

# torchmetrics costs about a second to import, so each factory imports it when a metric is built.

_DOCS = "https://lightning.ai/docs/torchmetrics/stable/classification/"
_SCALAR = {"task": "classification", "higher_is_better": True, "scalar": True}
Bins = Annotated[int, Field(ge=2)]


@METRICS.register("accuracy", aliases=("acc",), reference=_DOCS + "accuracy.html", flags=_SCALAR)
def accuracy(num_classes: int) -> torchmetrics.Metric:
    """Fraction of samples whose arg-max logit is the true class (micro-averaged).

    Args:
        num_classes: Number of classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassAccuracy(num_classes=num_classes, average="micro")


@METRICS.register("top_k_accuracy", aliases=("top_k",), reference=_DOCS + "accuracy.html", flags=_SCALAR)
def top_k_accuracy(num_classes: int, k: Annotated[int, Field(ge=1)] = 5) -> torchmetrics.Metric:
    """Fraction of samples whose true class is among the k highest logits (k capped at the class count).

    Args:
        num_classes: Number of classes.
        k: How many top predictions count.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassAccuracy(num_classes=num_classes, top_k=min(k, num_classes), average="micro")


_AVERAGES = {
    "micro": "pooled over all samples (equals accuracy for single-label data)",
    "macro": "averaged with equal weight per class, so rare classes count",
    "weighted": "averaged over classes weighted by their support",
}
_KINDS = {
    "precision": ("MulticlassPrecision", "precision_recall.html", "Precision TP / (TP + FP)"),
    "recall": ("MulticlassRecall", "recall.html", "Recall TP / (TP + FN)"),
    "f1": ("MulticlassF1Score", "f1_score.html", "F1, the harmonic mean of precision and recall,"),
}


def _register_averaged(kind: str, average: str) -> None:
    class_name, page, what = _KINDS[kind]

    def factory(num_classes: int) -> torchmetrics.Metric:
        from torchmetrics import classification as tmc

        metric_class: type[torchmetrics.Metric] = getattr(tmc, class_name)
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
    from torchmetrics import classification as tmc

    return tmc.MulticlassConfusionMatrix(num_classes=num_classes)


@METRICS.register("roc_auc", aliases=("auroc",), reference=_DOCS + "auroc.html", flags=_SCALAR)
def roc_auc(num_classes: int) -> torchmetrics.Metric:
    """Area under the ROC curve, one-vs-rest per class on softmax scores, macro-averaged.

    Args:
        num_classes: Number of classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassAUROC(num_classes=num_classes, average="macro")


@METRICS.register("average_precision", reference=_DOCS + "average_precision.html", flags=_SCALAR)
def average_precision(num_classes: int) -> torchmetrics.Metric:
    """Average precision (area under the precision-recall step curve), one-vs-rest, macro-averaged.

    Args:
        num_classes: Number of classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassAveragePrecision(num_classes=num_classes, average="macro")


_CURVE = {"task": "classification", "higher_is_better": None, "scalar": False}


@METRICS.register("roc_curve", reference=_DOCS + "roc.html", flags=_CURVE)
def roc_curve(num_classes: int, thresholds: Bins = 21) -> torchmetrics.Metric:
    """ROC curves one-vs-rest at evenly spaced thresholds: [false positive rate, true positive rate] per class.

    Args:
        num_classes: Number of classes.
        thresholds: Number of thresholds in [0, 1] (binned, so memory stays constant).
    """
    from trainlab.metrics.curves import BinnedROC

    return BinnedROC(num_classes=num_classes, thresholds=thresholds)


@METRICS.register("pr_curve", reference=_DOCS + "precision_recall_curve.html", flags=_CURVE)
def pr_curve(num_classes: int, thresholds: Bins = 21) -> torchmetrics.Metric:
    """Precision-recall curves one-vs-rest at evenly spaced thresholds: [precision, recall] per class.

    Args:
        num_classes: Number of classes.
        thresholds: Number of thresholds in [0, 1].
    """
    from trainlab.metrics.curves import BinnedPrecisionRecallCurve

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
    from torchmetrics import classification as tmc

    return tmc.MulticlassCalibrationError(num_classes=num_classes, n_bins=bins, norm="l1")


@METRICS.register(
    "log_loss",
    reference="https://scikit-learn.org/stable/modules/generated/sklearn.metrics.log_loss.html",
    flags={"task": "classification", "higher_is_better": False, "scalar": True},
)
def log_loss() -> torchmetrics.Metric:
    """Log loss (cross-entropy of softmax probabilities), scikit-learn's log_loss on logits."""
    from trainlab.metrics.log_loss import LogLoss

    return LogLoss()


@METRICS.register(
    "recall_at_k",
    aliases=("recall@k",),
    reference="Oh Song, Xiang, Jegelka & Savarese 2016, Deep Metric Learning via Lifted Structured Feature "
    "Embedding (CVPR), Sec. 5 (Recall@K)",
    flags=_SCALAR,
)
def recall_at_k(
    k: Annotated[int, Field(ge=1)] = 1, distance: Literal["euclidean", "cosine"] = "euclidean"
) -> torchmetrics.Metric:
    """Share of samples with a same-class sample among their k nearest neighbours in the model's output space.

    For embeddings trained by the metric-learning losses (triplet, n_pair, proxy_nca, ...); each sample
    of the split queries all the others.

    Args:
        k: Neighbours retrieved per query.
        distance: ``euclidean`` or ``cosine`` distance between outputs.
    """
    from trainlab.metrics.recall_at_k import RecallAtK

    return RecallAtK(k=k, distance=distance)
