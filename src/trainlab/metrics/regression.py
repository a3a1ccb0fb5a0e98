"""Regression metrics, from torchmetrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainlab.registry import METRICS

if TYPE_CHECKING:
    import torchmetrics

_DOCS = "https://lightning.ai/docs/torchmetrics/stable/regression/"


@METRICS.register(
    "mse",
    reference=_DOCS + "mean_squared_error.html",
    flags={"task": "regression", "higher_is_better": False, "scalar": True},
)
def mse() -> torchmetrics.Metric:
    """Mean squared error over all target values."""
    import torchmetrics  # about a second to import: only when a metric is built

    return torchmetrics.MeanSquaredError()


@METRICS.register(
    "mae",
    reference=_DOCS + "mean_absolute_error.html",
    flags={"task": "regression", "higher_is_better": False, "scalar": True},
)
def mae() -> torchmetrics.Metric:
    """Mean absolute error over all target values."""
    import torchmetrics  # about a second to import: only when a metric is built

    return torchmetrics.MeanAbsoluteError()


@METRICS.register(
    "r2",
    reference=_DOCS + "r2_score.html",
    flags={"task": "regression", "higher_is_better": True, "scalar": True},
)
def r2() -> torchmetrics.Metric:
    """Coefficient of determination: 1 − residual variance / target variance (averaged over outputs)."""
    import torchmetrics  # about a second to import: only when a metric is built

    return torchmetrics.R2Score(multioutput="uniform_average")
