"""Metrics for imbalanced classes and unequal costs: MCC, G-mean, F-beta, Cohen's kappa, balanced accuracy, cost.

Accuracy rewards predicting the majority class; each metric here does not. torchmetrics provides
those it has (imported when a metric is built); G-mean and the cost-sensitive error are ours, in
:mod:`trainlab.metrics.cost`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from trainlab.registry import METRICS

if TYPE_CHECKING:
    import torchmetrics

_DOCS = "https://lightning.ai/docs/torchmetrics/stable/classification/"
_SCALAR = {"task": "classification", "higher_is_better": True, "scalar": True}


@METRICS.register(
    "mcc",
    aliases=("matthews_corrcoef",),
    reference="Matthews 1975, Comparison of the predicted and observed secondary structure of T4 phage lysozyme; "
    "Gorodkin 2004 (multiclass R_K); " + _DOCS + "matthews_corr_coef.html",
    flags=_SCALAR,
)
def mcc(num_classes: int) -> torchmetrics.Metric:
    """Matthews correlation coefficient (Gorodkin's multiclass R_K): 1 perfect, 0 chance, -1 inverse.

    Args:
        num_classes: Number of classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassMatthewsCorrCoef(num_classes=num_classes)


@METRICS.register(
    "cohen_kappa",
    aliases=("kappa",),
    reference="Cohen 1960, A Coefficient of Agreement for Nominal Scales; " + _DOCS + "cohen_kappa.html",
    flags=_SCALAR,
)
def cohen_kappa(
    num_classes: int, weights: Literal["none", "linear", "quadratic"] = "none"
) -> torchmetrics.Metric:
    """Cohen's kappa: agreement of predictions and labels beyond what their class frequencies give by chance.

    Args:
        num_classes: Number of classes.
        weights: ``none`` for nominal classes; ``linear`` or ``quadratic`` weigh disagreements by the
            distance between ordered classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassCohenKappa(num_classes=num_classes, weights=None if weights == "none" else weights)


@METRICS.register(
    "balanced_accuracy",
    reference="Brodersen, Ong, Stephan & Buhmann 2010, The Balanced Accuracy and Its Posterior Distribution; "
    + _DOCS
    + "accuracy.html",
    flags=_SCALAR,
)
def balanced_accuracy(num_classes: int) -> torchmetrics.Metric:
    """Balanced accuracy: the mean of the per-class recalls, so each class counts equally.

    Args:
        num_classes: Number of classes.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassAccuracy(num_classes=num_classes, average="macro")


@METRICS.register(
    "fbeta",
    aliases=("f_beta",),
    reference="van Rijsbergen 1979, Information Retrieval, ch. 7; " + _DOCS + "fbeta_score.html",
    flags=_SCALAR,
)
def fbeta(
    num_classes: int,
    beta: Annotated[float, Field(gt=0.0)] = 2.0,
    average: Literal["macro", "weighted", "micro"] = "macro",
) -> torchmetrics.Metric:
    """F-beta: the weighted harmonic mean of precision and recall, recall counting beta times as much.

    Args:
        num_classes: Number of classes.
        beta: Weight of recall against precision (2 favours recall, 0.5 precision, 1 is F1).
        average: How per-class scores combine: macro (each class equally), weighted (by support) or micro.
    """
    from torchmetrics import classification as tmc

    return tmc.MulticlassFBetaScore(beta=beta, num_classes=num_classes, average=average)


@METRICS.register(
    "g_mean",
    aliases=("geometric_mean",),
    reference="Kubat & Matwin 1997, Addressing the Curse of Imbalanced Training Sets: One-Sided Selection; "
    "imbalanced-learn's geometric_mean_score",
    flags=_SCALAR,
)
def g_mean(num_classes: int) -> torchmetrics.Metric:
    """G-mean: the geometric mean of the per-class recalls; 0 when any class is never recognized.

    Args:
        num_classes: Number of classes.
    """
    from trainlab.metrics.cost import GeometricMeanRecall

    return GeometricMeanRecall(num_classes=num_classes)


@METRICS.register(
    "cost_error",
    aliases=("cost_sensitive_error",),
    reference="Elkan 2001, The Foundations of Cost-Sensitive Learning (IJCAI)",
    flags={"task": "classification", "higher_is_better": False, "scalar": True},
)
def cost_error(num_classes: int, costs: list[list[float]] | None = None) -> torchmetrics.Metric:
    """Cost-sensitive error: the mean cost C[true, predicted] of the arg-max predictions.

    Args:
        num_classes: Number of classes.
        costs: The cost matrix, one row per true class and one column per predicted class
            (non-negative); None is the 0-1 cost, under which this is the error rate.
    """
    from trainlab.metrics.cost import CostSensitiveError

    return CostSensitiveError(num_classes=num_classes, costs=costs)
