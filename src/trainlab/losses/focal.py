"""Focal loss (Lin et al. 2017): softmax multi-class and sigmoid binary forms."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

NonNegative = Annotated[float, Field(ge=0.0)]
_REFERENCE = "Lin, Goyal, Girshick, He & Dollar 2017, Focal Loss for Dense Object Detection, arXiv:1708.02002"


def softmax_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of ``-sum_c t_c (1 - p_c)^gamma log p_c``; ``targets`` are class indices or probabilities.

    With gamma = 0 this is cross-entropy. ``weight`` scales each class's term (the alpha of the paper).
    """
    log_probs = F.log_softmax(logits, dim=1)
    if targets.dim() == 1:
        targets = F.one_hot(targets, logits.shape[1]).to(log_probs.dtype)
    modulating = (1.0 - log_probs.exp()).clamp_min(0.0).pow(gamma)
    per_class = -targets * modulating * log_probs
    if weight is not None:
        per_class = per_class * weight.to(per_class.dtype)
    return per_class.sum(dim=1).mean()


def sigmoid_focal_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    gamma: float = 2.0,
    alpha: float | None = 0.25,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """The paper's binary focal loss per output, averaged: ``-alpha_t (1 - p_t)^gamma log p_t``."""
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    probs = torch.sigmoid(logits)
    p_t = probs * targets + (1 - probs) * (1 - targets)
    loss = ce * (1 - p_t).pow(gamma)
    if alpha is not None:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    if weight is not None:
        loss = loss * weight.to(loss.dtype)
    return loss.mean()


@LOSSES.register("focal", reference=_REFERENCE, flags={"task": "classification", "target": "class_index"})
class FocalLoss(nn.Module):
    """Softmax focal loss: cross-entropy scaled by (1 - p_true)^gamma so easy examples count less.

    See :func:`softmax_focal_loss`; ``class_balanced`` adds per-class weights.

    Args:
        gamma: Focusing parameter; 0 gives cross-entropy, the paper uses 2.
    """

    def __init__(self, gamma: NonNegative = 2.0):
        super().__init__()
        self.gamma = gamma

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return softmax_focal_loss(logits, targets, self.gamma)


@LOSSES.register("sigmoid_focal", reference=_REFERENCE, flags={"task": "classification", "target": "dense"})
class SigmoidFocalLoss(nn.Module):
    """Binary (sigmoid) focal loss per output, the paper's form; labels become one-vs-rest targets.

    See :func:`sigmoid_focal_loss`.

    Args:
        gamma: Focusing parameter (2 in the paper).
        alpha: Weight of positives, 1 - alpha for negatives (0.25 in the paper); None for no weighting.
    """

    def __init__(
        self, gamma: NonNegative = 2.0, alpha: Annotated[float, Field(ge=0.0, le=1.0)] | None = 0.25
    ):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return sigmoid_focal_loss(logits, targets, self.gamma, self.alpha)
