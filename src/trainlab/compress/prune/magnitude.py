"""Unstructured magnitude pruning: the smallest weights of each layer, or of the whole network, become zero."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import nn

from trainlab.compress.prune.masks import prunable_weights
from trainlab.registry import PRUNERS

Sparsity = Annotated[float, Field(ge=0.0, lt=1.0)]
HAN_2015 = (
    "Han, Pool, Tran & Dally 2015, Learning both Weights and Connections for Efficient Neural Networks, "
    "arXiv:1506.02626"
)


def smallest_masks(scores: Mapping[str, torch.Tensor], sparsity: float) -> dict[str, torch.Tensor]:
    """Masks that drop the ``round(sparsity * n)`` lowest-scoring of the ``n`` entries of ``scores`` together.

    Ties are broken by position (a stable sort), so the result is deterministic.
    """
    flat = torch.cat([score.detach().reshape(-1).float().cpu() for score in scores.values()])
    pruned = round(sparsity * flat.numel())
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    keep[torch.sort(flat, stable=True).indices[:pruned]] = False
    masks, start = {}, 0
    for name, score in scores.items():
        masks[name] = keep[start : start + score.numel()].reshape(score.shape).to(score.device)
        start += score.numel()
    return masks


def magnitude_masks(
    weights: Mapping[str, torch.Tensor], sparsity: float, scope: Literal["global", "layer"]
) -> dict[str, torch.Tensor]:
    """Keep the largest |w|: across all ``weights`` (global) or within each one (layer)."""
    magnitudes = {name: weight.detach().abs() for name, weight in weights.items()}
    if scope == "global":
        return smallest_masks(magnitudes, sparsity)
    masks: dict[str, torch.Tensor] = {}
    for name, magnitude in magnitudes.items():
        masks.update(smallest_masks({name: magnitude}, sparsity))
    return masks


@PRUNERS.register("global_magnitude", reference=HAN_2015, flags={"structured": False})
class GlobalMagnitude:
    """Unstructured: zero the smallest |w| of all Linear and Conv weights ranked together.

    One threshold for the whole network, so layers with many small weights (usually the big
    hidden matrices) lose more than the small first and last layers.

    Args:
        sparsity: Fraction of the prunable weights set to zero, in [0, 1).
    """

    def __init__(self, sparsity: Sparsity):
        self.sparsity = sparsity

    def masks(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """``{weight name: bool mask}``, True where the weight is kept."""
        return magnitude_masks(prunable_weights(model), self.sparsity, "global")


@PRUNERS.register("layer_magnitude", reference=HAN_2015, flags={"structured": False})
class LayerMagnitude:
    """Unstructured: zero the smallest |w| of each Linear and Conv weight, the same fraction in every layer.

    Args:
        sparsity: Fraction of each layer's weights set to zero, in [0, 1).
    """

    def __init__(self, sparsity: Sparsity):
        self.sparsity = sparsity

    def masks(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """``{weight name: bool mask}``, True where the weight is kept."""
        return magnitude_masks(prunable_weights(model), self.sparsity, "layer")
