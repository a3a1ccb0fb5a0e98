"""Learned pooling (Lee, Gallagher & Tu 2016): mixed and gated max-average pooling.

Max pooling keeps the strongest response of a window and average pooling its mean; which is better
depends on the layer and the data. Lee et al. let the network learn the mix:

- mixed: ``a * max + (1 - a) * avg`` with one learned ``a`` per layer;
- gated: the mix depends on the window itself, ``g = sigmoid(w . window)`` with a learned mask
  ``w`` of the window's size, shared by every window and channel of the layer ("responsive").

Both use non-overlapping windows by default (stride = kernel size), like ``max`` and ``avg``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.nn.pooling import POOLINGS, KernelSize, _require_spatial

_LEE = "Lee, Gallagher & Tu 2016, Generalizing Pooling Functions in Convolutional Neural Networks: Mixed, Gated, and Tree, arXiv:1509.08985"


def _max_and_avg(
    inputs: torch.Tensor, spatial_dims: int, kernel_size: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    if spatial_dims == 1:
        return F.max_pool1d(inputs, kernel_size, stride), F.avg_pool1d(inputs, kernel_size, stride)
    return F.max_pool2d(inputs, kernel_size, stride), F.avg_pool2d(inputs, kernel_size, stride)


class MixedPool(nn.Module):
    """``a * max + (1 - a) * avg`` over each window, ``a = sigmoid(mix_logit)`` learned (starts at 1/2).

    The sigmoid keeps the mix a convex combination whatever the optimizer does to the parameter
    (the paper clips a to [0, 1]).
    """

    def __init__(self, spatial_dims: int, kernel_size: int = 2, stride: int | None = None):
        super().__init__()
        self.spatial_dims, self.kernel_size, self.stride = spatial_dims, kernel_size, stride or kernel_size
        self.mix_logit = nn.Parameter(torch.zeros(()))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        largest, mean = _max_and_avg(inputs, self.spatial_dims, self.kernel_size, self.stride)
        mix = torch.sigmoid(self.mix_logit)
        return mix * largest + (1 - mix) * mean


class GatedPool(nn.Module):
    """``g * max + (1 - g) * avg`` with ``g = sigmoid(w . window)`` per window, ``w`` a learned mask (starts at 0).

    The gate is the window's inner product with the mask, computed for every window at once as a
    depthwise convolution with the mask shared across channels.
    """

    def __init__(self, spatial_dims: int, kernel_size: int = 2, stride: int | None = None):
        super().__init__()
        self.spatial_dims, self.kernel_size, self.stride = spatial_dims, kernel_size, stride or kernel_size
        self.mask = nn.Parameter(torch.zeros((kernel_size,) * spatial_dims))

    def gate(self, inputs: torch.Tensor) -> torch.Tensor:
        """``sigmoid(w . window)`` for every window and channel."""
        channels = inputs.shape[1]
        weight = self.mask.expand(channels, 1, *self.mask.shape)
        convolve = F.conv1d if self.spatial_dims == 1 else F.conv2d
        return torch.sigmoid(convolve(inputs, weight, stride=self.stride, groups=channels))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        largest, mean = _max_and_avg(inputs, self.spatial_dims, self.kernel_size, self.stride)
        gate = self.gate(inputs)
        return gate * largest + (1 - gate) * mean


@POOLINGS.register("mixed", reference=_LEE + " (mixed max-average pooling)")
def mixed(spatial_dims: int, kernel_size: KernelSize = 2, stride: KernelSize | None = None) -> nn.Module:
    """Mixed max-average pooling: a learned per-layer mix of max and average pooling.

    Args:
        spatial_dims: 1 for signals, 2 for images; trainlab fills it in.
        kernel_size: Window size.
        stride: Step between windows (default: the window size).
    """
    _require_spatial("mixed", spatial_dims)
    return MixedPool(spatial_dims, kernel_size, stride)


@POOLINGS.register("gated", reference=_LEE + " (gated max-average pooling)")
def gated(spatial_dims: int, kernel_size: KernelSize = 2, stride: KernelSize | None = None) -> nn.Module:
    """Gated max-average pooling: each window's mix of max and average set by a learned gate on the window.

    Args:
        spatial_dims: 1 for signals, 2 for images; trainlab fills it in.
        kernel_size: Window size.
        stride: Step between windows (default: the window size).
    """
    _require_spatial("gated", spatial_dims)
    return GatedPool(spatial_dims, kernel_size, stride)
