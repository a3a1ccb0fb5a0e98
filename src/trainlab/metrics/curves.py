"""ROC and precision-recall curves at fixed thresholds, returned as one tensor the run summary can store."""

from __future__ import annotations

import torch
from torchmetrics import classification as tmc

Curves = tuple[
    torch.Tensor | list[torch.Tensor], torch.Tensor | list[torch.Tensor], torch.Tensor | list[torch.Tensor]
]


def _stacked(curves: Curves) -> torch.Tensor:
    """The two curves of a binned curve metric as one tensor (2, classes, thresholds), which the run summary stores."""
    first, second, _thresholds = curves
    # With a fixed number of thresholds torchmetrics returns tensors; lists are for exact (unbinned) curves.
    assert isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)
    return torch.stack([first, second])


class BinnedROC(tmc.MulticlassROC):
    """One-vs-rest ROC curves at fixed thresholds (decreasing): ``[fpr, tpr]`` of shape (2, C, T)."""

    def compute(self) -> torch.Tensor:  # type: ignore[override]  # one tensor, not torchmetrics' tuple
        return _stacked(super().compute())


class BinnedPrecisionRecallCurve(tmc.MulticlassPrecisionRecallCurve):
    """One-vs-rest precision-recall curves at fixed thresholds: ``[precision, recall]`` of shape (2, C, T + 1)."""

    def compute(self) -> torch.Tensor:  # type: ignore[override]  # one tensor, not torchmetrics' tuple
        return _stacked(super().compute())
