"""Pruning masks: which weights can be pruned, and a callback that keeps pruned weights at zero while training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

# The layers whose weight matrices (or kernels) are pruned; biases and normalization scales are
# few and often essential (Han et al. 2015 prune weights only), so they are left dense.
PRUNABLE_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_weights(model: nn.Module) -> dict[str, nn.Parameter]:
    """``{parameter name: weight}`` of every Linear and Conv layer, the output layer included."""
    return {
        f"{module_name}.weight" if module_name else "weight": module.weight
        for module_name, module in model.named_modules()
        if isinstance(module, PRUNABLE_LAYERS) and isinstance(module.weight, nn.Parameter)
    }


def layer_sparsity(model: nn.Module) -> dict[str, float]:
    """The fraction of exactly-zero entries of each prunable weight."""
    return {
        name: 1.0 - int(torch.count_nonzero(weight.detach())) / weight.numel()
        for name, weight in prunable_weights(model).items()
    }


def weight_sparsity(model: nn.Module) -> float:
    """The fraction of exactly-zero entries over all prunable weights together."""
    weights = list(prunable_weights(model).values())
    total = sum(w.numel() for w in weights)
    zeros = total - sum(int(torch.count_nonzero(w.detach())) for w in weights)
    return zeros / total if total else 0.0


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Mapping[str, torch.Tensor]) -> None:
    """Zero the pruned entries of ``model``'s weights in place (``masks`` hold True where a weight stays)."""
    parameters = dict(model.named_parameters())
    for name, mask in masks.items():
        parameters[name].mul_(mask.to(parameters[name].device))


class MaskedTraining:
    """A callback that keeps pruned weights at exactly zero through training.

    Gradients of pruned entries are zeroed before the update (so momentum and Adam's moments
    never gather there) and the weights are multiplied by their masks after it (weight decay,
    or a moment gathered before pruning, cannot revive them). This is what
    ``torch.nn.utils.prune``'s forward hook achieves, without changing the model's parameter
    names, so the saved weights load into the plain architecture. The masks are this callback's
    checkpointed state, so a resumed run keeps them bit for bit.

    Args:
        masks: ``{parameter name: bool tensor}``, True where the weight is kept.
    """

    def __init__(self, masks: Mapping[str, torch.Tensor] | None = None):
        self.masks: dict[str, torch.Tensor] = {name: mask.bool() for name, mask in (masks or {}).items()}

    def on_fit_start(self, trainer: Any) -> None:
        self.masks = {name: mask.to(_device(trainer.model)) for name, mask in self.masks.items()}
        apply_masks(trainer.model, self.masks)

    @torch.no_grad()
    def on_after_backward(self, trainer: Any) -> None:
        parameters = dict(trainer.model.named_parameters())
        for name, mask in self.masks.items():
            grad = parameters[name].grad
            if grad is not None:
                grad.mul_(mask)

    def on_step_end(self, trainer: Any) -> None:
        apply_masks(trainer.model, self.masks)

    def state_dict(self) -> dict[str, Any]:
        return {"masks": {name: mask.cpu().clone() for name, mask in self.masks.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.masks = {name: mask.bool().clone() for name, mask in state["masks"].items()}


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device
