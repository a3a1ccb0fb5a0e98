"""CosineLinear: a classifier head whose outputs are cosines between normalized features and class weights.

The margin-softmax losses (SphereFace, CosFace/AM-Softmax, ArcFace) put their margin on the angle
between a sample's feature vector and its class's weight vector, which needs both normalized:
the head then outputs cos(theta_j) in [-1, 1] for every class j, and the loss scales and
margins them (Wang et al. 2018, CosFace, Sec. 3.1). With plain cross-entropy it is NormFace's
normalized softmax, whose outputs should be scaled by the loss (``cross_entropy``'s ``temperature``
below 1, e.g. 1/16) because cosines alone make a nearly flat softmax.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Head = Literal["linear", "cosine"]


class CosineLinear(nn.Module):
    """``cos(theta_j) = <x / |x|, w_j / |w_j|>`` for each class j: a bias-free head with outputs in [-1, 1].

    Attributes:
        weight: ``(out_features, in_features)`` class weight vectors (only their directions matter).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        # nn.Linear's default initialization; the norm is divided out, so only the directions' spread counts.
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(F.normalize(features, dim=1), F.normalize(self.weight, dim=1))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


def head_layer(in_features: int, num_outputs: int, head: Head) -> nn.Module:
    """A model's output layer: ``nn.Linear`` or :class:`CosineLinear`."""
    return CosineLinear(in_features, num_outputs) if head == "cosine" else nn.Linear(in_features, num_outputs)
