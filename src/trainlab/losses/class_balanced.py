"""Class-balanced loss (Cui et al. 2019): weights from the effective number of samples per class."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.losses.class_weights import effective_number_weights
from trainlab.losses.focal import sigmoid_focal_loss, softmax_focal_loss
from trainlab.registry import LOSSES


@LOSSES.register(
    "class_balanced",
    reference="Cui, Jia, Lin, Song & Belongie 2019, Class-Balanced Loss Based on Effective Number of Samples, "
    "arXiv:1901.05555",
    flags={"task": "classification", "target": "class_index"},
)
class ClassBalancedLoss(nn.Module):
    """Re-weight CE, focal or sigmoid loss per class by the inverse effective number (1 - beta^n) / (1 - beta).

    Weights are normalised to sum to the number of classes, and a batch costs the mean of its
    weighted losses, ``sum_i w_{y_i} l_i / N``, as in the paper. ``cross_entropy`` with
    ``class_weights: effective_number`` and ``normalize_by: batch`` gives the same value as the
    cross-entropy base; by default it divides by ``sum_i w_{y_i}`` instead (torch's convention).

    Args:
        class_counts: Training samples per class; trainlab fills it in from the data.
        base: The loss that is re-weighted.
        beta: 0 gives no re-weighting, beta -> 1 inverse-frequency weighting.
        gamma: Focusing parameter of the focal and sigmoid bases (sigmoid with gamma 0 is plain BCE).
    """

    weight: torch.Tensor

    def __init__(
        self,
        class_counts: list[int],
        base: Literal["cross_entropy", "focal", "sigmoid"] = "focal",
        beta: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.999,
        gamma: Annotated[float, Field(ge=0.0)] = 2.0,
    ):
        super().__init__()
        self.register_buffer("weight", effective_number_weights(class_counts, beta))
        self.base = base
        self.gamma = gamma

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.base == "cross_entropy":
            return softmax_focal_loss(logits, targets, 0.0, self.weight)
        if self.base == "focal":
            return softmax_focal_loss(logits, targets, self.gamma, self.weight)
        dense = F.one_hot(targets, logits.shape[1]).to(logits.dtype) if targets.dim() == 1 else targets
        # The paper weights a sample's sigmoid terms by its true class's weight.
        sample_weight = (dense * self.weight.to(logits.dtype)).sum(dim=1, keepdim=True)
        return sigmoid_focal_loss(logits, dense, self.gamma, None, sample_weight)
