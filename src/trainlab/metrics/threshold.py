"""Decision-threshold tuning for binary classifiers: pick the score cut-off that maximises a metric."""

from __future__ import annotations

import torch

from trainlab.metrics.functional import FUNCTIONS


def _f1(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor) -> torch.Tensor:
    return 2 * tp / (2 * tp + fp + fn).clamp_min(1)


@FUNCTIONS.register(
    reference="Lipton, Elkan & Naryanaswamy 2014, Optimal Thresholding of Classifiers to Maximize F1 Measure, "
    "arXiv:1402.1892; Youden 1950, Index for Rating Diagnostic Tests",
)
def tune_threshold(scores: torch.Tensor, labels: torch.Tensor, metric: str = "f1") -> tuple[float, float]:
    """Decision-threshold tuning: the score cut-off that maximises ``metric`` (F1, balanced accuracy, Youden's J).

    Predicts positive when score >= t.

    Every distinct score is a candidate, so the result is exact; tune on validation data, never test.

    Args:
        scores: Positive-class scores (probabilities or logits), shape (N,).
        labels: 0/1 labels, shape (N,).
        metric: ``f1``, ``balanced_accuracy`` or ``youden`` (TPR - FPR, Youden's J).

    Returns:
        (threshold, metric value at it).
    """
    scores, labels = scores.flatten().double(), labels.flatten().long()
    candidates = torch.unique(scores)
    predicted = scores[None, :] >= candidates[:, None]  # (thresholds, samples)
    positive = labels.bool()[None, :]
    tp = (predicted & positive).sum(1).double()
    fp = (predicted & ~positive).sum(1).double()
    fn = (~predicted & positive).sum(1).double()
    tn = (~predicted & ~positive).sum(1).double()
    tpr = tp / (tp + fn).clamp_min(1)
    tnr = tn / (tn + fp).clamp_min(1)
    if metric == "f1":
        values = _f1(tp, fp, fn)
    elif metric == "balanced_accuracy":
        values = (tpr + tnr) / 2
    elif metric == "youden":
        values = tpr + tnr - 1
    else:
        raise ValueError(f"metric must be f1, balanced_accuracy or youden, got {metric!r}")
    best = int(torch.argmax(values))
    return float(candidates[best]), float(values[best])
