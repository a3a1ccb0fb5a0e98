"""ROC and precision-recall curves at fixed thresholds, returned as one tensor the run summary can store."""

from __future__ import annotations

import torch
from torchmetrics import classification as tmc


class _StackedCurves:
    """Makes a binned curve metric return one tensor (2, classes, thresholds), which the run summary stores."""

    def compute(self) -> torch.Tensor:
        first, second, _ = super().compute()  # type: ignore[misc]
        return torch.stack([first, second])


class BinnedROC(_StackedCurves, tmc.MulticlassROC):
    """One-vs-rest ROC curves at fixed thresholds (decreasing): ``[fpr, tpr]`` of shape (2, C, T)."""


class BinnedPrecisionRecallCurve(_StackedCurves, tmc.MulticlassPrecisionRecallCurve):
    """One-vs-rest precision-recall curves at fixed thresholds: ``[precision, recall]`` of shape (2, C, T + 1)."""
