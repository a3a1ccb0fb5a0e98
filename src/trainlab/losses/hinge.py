"""Margin losses: binary hinge and squared hinge per output, and the multiclass hinge."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

Positive = Annotated[float, Field(gt=0.0)]


@LOSSES.register(
    "hinge",
    reference="Cortes & Vapnik 1995, Support-Vector Networks (Machine Learning 20)",
    flags={"task": "classification", "target": "dense"},
)
class BinaryHinge(nn.Module):
    """Binary hinge max(0, margin - y f(x)), y in {-1, 1}; multi-class labels become one-vs-rest targets.

    The mean over every output of ``max(0, margin - y * f)^power`` with y = 2t - 1; power 1 here.

    Args:
        margin: The margin below which a correct score still costs.
    """

    power = 1

    def __init__(self, margin: Positive = 1.0):
        super().__init__()
        self.margin = margin

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        signs = 2.0 * targets - 1.0
        return (self.margin - signs * scores).clamp_min(0.0).pow(self.power).mean()


@LOSSES.register(
    "squared_hinge",
    reference="Rennie & Srebro 2005, Loss Functions for Preference Levels; Lee, Xie, Gallagher et al. 2015 (L2-SVM)",
    flags={"task": "classification", "target": "dense"},
)
class SquaredHinge(BinaryHinge):
    """Squared binary hinge max(0, margin - y f(x))^2, smooth at the margin; one-vs-rest for many classes.

    Args:
        margin: The margin below which a correct score still costs.
    """

    power = 2


@LOSSES.register(
    "multiclass_hinge",
    reference="Weston & Watkins 1999, Support Vector Machines for Multi-Class Pattern Recognition; "
    "https://pytorch.org/docs/stable/generated/torch.nn.MultiMarginLoss.html",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
def multiclass_hinge(margin: Positive = 1.0, power: Literal[1, 2] = 1) -> nn.Module:
    """Multiclass hinge: sum over wrong classes of max(0, margin - f_y + f_j)^p, divided by the class count.

    Args:
        margin: Required gap between the true class's score and every other.
        power: 1 for the hinge, 2 for its square.

    Returns:
        ``torch.nn.MultiMarginLoss``.
    """
    return nn.MultiMarginLoss(p=power, margin=margin)
