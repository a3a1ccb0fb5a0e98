"""Swapping averaged weights into a model for evaluation and back."""

from __future__ import annotations

import torch
from torch import nn


def averageable(model: nn.Module) -> dict[str, torch.Tensor]:
    """The floating-point tensors of ``model.state_dict()`` (parameters and float buffers), by name."""
    return {name: t for name, t in model.state_dict().items() if t.dtype.is_floating_point}


class WeightSwap:
    """Holds averaged weights; ``swap_in`` puts them in the model (keeping the live ones), ``swap_out`` restores."""

    def __init__(self) -> None:
        self.average: dict[str, torch.Tensor] = {}
        self._live: dict[str, torch.Tensor] | None = None

    @torch.no_grad()
    def swap_in(self, model: nn.Module) -> None:
        if not self.average or self._live is not None:
            return
        current = averageable(model)
        self._live = {name: t.clone() for name, t in current.items()}
        for name, t in current.items():
            t.copy_(self.average[name])

    @torch.no_grad()
    def swap_out(self, model: nn.Module) -> None:
        if self._live is None:
            return
        for name, t in averageable(model).items():
            t.copy_(self._live[name])
        self._live = None
