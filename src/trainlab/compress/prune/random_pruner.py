"""Random unstructured pruning, the control that magnitude pruning must beat."""

from __future__ import annotations

import torch
from torch import nn

from trainlab.compress.prune.magnitude import Sparsity, smallest_masks
from trainlab.compress.prune.masks import prunable_weights
from trainlab.registry import PRUNERS


@PRUNERS.register(
    "random",
    reference="Frankle & Carbin 2019, The Lottery Ticket Hypothesis, arXiv:1803.03635 (random pruning "
    "as the control); Blalock et al. 2020, What is the State of Neural Network Pruning?, arXiv:2003.03033",
    flags={"structured": False},
)
class RandomPruner:
    """Unstructured: zero a uniformly random subset of all Linear and Conv weights.

    Every weight is equally likely to go, so each layer loses about the same fraction: the
    control that shows how much a magnitude criterion is worth.

    Args:
        sparsity: Fraction of the prunable weights set to zero, in [0, 1).
        seed: Seed of the random choice (the same seed, the same mask).
    """

    def __init__(self, sparsity: Sparsity, seed: int = 0):
        self.sparsity, self.seed = sparsity, seed

    def masks(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """``{weight name: bool mask}``, True where the weight is kept."""
        generator = torch.Generator().manual_seed(self.seed)
        scores = {
            name: torch.rand(weight.shape, generator=generator).to(weight.device)
            for name, weight in prunable_weights(model).items()
        }
        return smallest_masks(scores, self.sparsity)
