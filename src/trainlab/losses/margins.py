"""Per-output margin losses on ±1 targets: exponential (AdaBoost), soft margin, and torch's multi-label margins.

On a classification task each loss sees the one-hot (or multi-hot) target t and scores f per
output; y = 2t − 1 is +1 for the true class(es) and −1 for the others (one-vs-rest).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.registry import LOSSES

_TORCH = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"
_DENSE_CLASSIFICATION = {"task": "classification", "target": "dense"}


@LOSSES.register(
    "exponential",
    reference="Freund & Schapire 1997, A Decision-Theoretic Generalization of On-Line Learning (AdaBoost); "
    "Hastie, Tibshirani & Friedman 2009, The Elements of Statistical Learning, §10.4",
    flags=_DENSE_CLASSIFICATION,
)
class ExponentialLoss(nn.Module):
    """Exponential loss mean exp(−y f), y = 2t − 1: the margin loss AdaBoost minimizes, one-vs-rest."""

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.exp(-(2 * targets - 1) * scores).mean()


@LOSSES.register(
    "soft_margin",
    reference=_TORCH.format("SoftMarginLoss"),
    flags=_DENSE_CLASSIFICATION,
)
class SoftMargin(nn.Module):
    """Soft margin (logistic) loss mean log(1 + exp(−y f)), y = 2t − 1, one-vs-rest (torch's SoftMarginLoss)."""

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.soft_margin_loss(scores, 2 * targets - 1)


@LOSSES.register(
    "multilabel_soft_margin",
    reference=_TORCH.format("MultiLabelSoftMarginLoss"),
    flags=_DENSE_CLASSIFICATION,
)
class MultiLabelSoftMargin(nn.Module):
    """Multi-label soft margin: the mean over classes of sigmoid cross-entropy on the multi-hot target."""

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.multilabel_soft_margin_loss(scores, targets)


@LOSSES.register(
    "multilabel_margin",
    reference="Weston & Watkins 1999 (multi-class hinge, extended to label sets); "
    + _TORCH.format("MultiLabelMarginLoss"),
    flags=_DENSE_CLASSIFICATION,
)
class MultiLabelMargin(nn.Module):
    """Multi-label hinge: Σ over (true j, other i) of max(0, 1 − (f_j − f_i)) / C, for each sample's label set.

    The multi-hot target (a one-hot label is a set of one) becomes torch's index list: the true
    classes first, then −1. A mixed (mixup) label's set is its classes of weight above one half.
    """

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.multilabel_margin_loss(scores, label_index_lists(targets))


def label_index_lists(multi_hot: torch.Tensor) -> torch.Tensor:
    """Each row's true classes (t > 0.5) in order, then −1 to the row's end: MultiLabelMarginLoss's target."""
    positive = multi_hot > 0.5
    classes = torch.arange(multi_hot.shape[1], device=multi_hot.device).expand_as(multi_hot)
    # A stable sort puts the true classes first, in class order.
    order = torch.argsort((~positive).to(torch.int8), dim=1, stable=True)
    indices = torch.gather(classes, 1, order)
    counts = positive.sum(1, keepdim=True)
    return torch.where(classes < counts, indices, torch.full_like(indices, -1))
