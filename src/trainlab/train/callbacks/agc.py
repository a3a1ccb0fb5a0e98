"""Adaptive gradient clipping (Brock et al. 2021): clip each unit's gradient relative to its weight norm."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from trainlab.registry import CALLBACKS


def _unit_norms(t: torch.Tensor) -> torch.Tensor:
    """Norm of each output unit's slice (row of a matrix, filter of a conv); a vector's or scalar's whole norm."""
    if t.ndim <= 1:
        return t.norm()
    return t.reshape(t.shape[0], -1).norm(dim=1).view(-1, *([1] * (t.ndim - 1)))


@torch.no_grad()
def adaptive_clip_grad_(parameters: list[nn.Parameter], clip_factor: float = 0.01, eps: float = 1e-3) -> None:
    """Scale each unit's gradient G to at most clip_factor * max(||W||, eps) / ||G|| of itself, in place."""
    for p in parameters:
        if p.grad is None:
            continue
        max_norm = _unit_norms(p).clamp_min(eps) * clip_factor
        grad_norm = _unit_norms(p.grad).clamp_min(1e-6)
        p.grad.mul_(torch.where(grad_norm > max_norm, max_norm / grad_norm, torch.ones_like(grad_norm)))


@CALLBACKS.register(
    "agc",
    aliases=("adaptive_grad_clip",),
    reference="Brock, De, Smith & Simonyan 2021, High-Performance Large-Scale Image Recognition Without "
    "Normalization, arXiv:2102.06171",
)
class AdaptiveGradientClipping:
    """Adaptive gradient clipping: per unit, clip ||G|| to clip_factor * ||W|| (clipping by norm and value are train options).

    Applies :func:`adaptive_clip_grad_` after the backward pass, before the update (and the
    trainer's own clipping).

    Args:
        clip_factor: Largest allowed gradient-to-weight norm ratio lambda.
        eps: Floor of the weight norm, so zero-initialised weights can move.
        skip_head: Leave the final ``head`` layer unclipped, as in the paper.
    """

    def __init__(
        self,
        clip_factor: Annotated[float, Field(gt=0.0)] = 0.01,
        eps: Annotated[float, Field(gt=0.0)] = 1e-3,
        skip_head: bool = True,
    ):
        self.clip_factor, self.eps, self.skip_head = clip_factor, eps, skip_head
        self._params: list[nn.Parameter] | None = None

    def on_fit_start(self, trainer: Any) -> None:
        # Brock et al. do not clip the final linear layer.
        self._params = [
            p
            for name, p in trainer.model.named_parameters()
            if p.requires_grad and not (self.skip_head and name.startswith("head."))
        ]

    def on_after_backward(self, trainer: Any) -> None:
        adaptive_clip_grad_(self._params or [], self.clip_factor, self.eps)
