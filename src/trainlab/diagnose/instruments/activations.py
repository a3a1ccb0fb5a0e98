"""Per-activation statistics: mean, std, exact zeros, units dead over a window, saturated sigmoid/tanh."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments._base import SampledStep, first_output_tensor
from trainlab.diagnose.instruments.registry import INSTRUMENTS

# Normalizing maps (softmax and kin) end a network rather than shape its hidden units.
_NOT_HIDDEN_ACTIVATIONS = (nn.MultiheadAttention, nn.Softmax, nn.Softmin, nn.LogSoftmax, nn.Softmax2d)


def is_activation(module: nn.Module) -> bool:
    """torch's activation modules (``torch.nn.modules.activation``) and trainlab's own (maxout)."""
    from trainlab.nn.maxout import Maxout

    if isinstance(module, _NOT_HIDDEN_ACTIVATIONS):
        return False
    return type(module).__module__ == "torch.nn.modules.activation" or isinstance(module, Maxout)


@INSTRUMENTS.register(
    "activations",
    reference="Goodfellow, Bengio & Courville 2016, Deep Learning, §6.3 (rectified units that never "
    "activate get no gradient) and §8.2 (saturation); Glorot & Bengio 2010 (AISTATS)",
)
class ActivationStats:
    """Statistics of every activation module's output on the step's first micro-batch.

    Rows of kind ``activation`` (layer = the module's name) hold the module's class (``module``),
    its ``depth`` (order in the forward pass), ``mean``, ``std``, ``zero_frac`` (exact zeros),
    ``dead_frac`` and ``saturated_frac``. A unit is a feature (dim 1 of a ``(N, F)`` output) or
    a channel (dim 1 of ``(N, C, ...)``); it is dead when it output exactly zero for every sample
    of the last ``window`` sampled steps (null until that many were seen). ``saturated_frac`` is,
    for sigmoid, the fraction of outputs within ``saturation_margin`` of 0 or 1, and for tanh
    within it of ±1 (there the derivative is below 2 × margin); null for other activations.

    Args:
        window: Sampled steps over which a unit must stay silent to count as dead.
        saturation_margin: Distance to the asymptotes that counts as saturated.
    """

    def __init__(
        self,
        window: Annotated[int, Field(ge=1)] = 10,
        saturation_margin: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.01,
    ):
        self.window = window
        self.saturation_margin = saturation_margin
        self._recent_active: dict[str, deque[torch.Tensor]] = {}

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]:
        handles = []
        order = [0]  # depth is the order in which outputs appear, which a module list need not follow
        for name, module in sampled.model.named_modules():
            if is_activation(module):
                handles.append(module.register_forward_hook(self._hook(name, sampled, order)))
        return handles

    def _hook(self, name: str, sampled: SampledStep, order: list[int]) -> Any:
        seen = False

        def record(module: nn.Module, args: Any, output: Any) -> None:
            nonlocal seen
            values = first_output_tensor(output)
            if seen or values is None or values.dim() < 2:
                return
            seen = True  # only the first micro-batch: one sample of the step
            with torch.no_grad():
                values = values.detach().float()
                std, mean = torch.std_mean(values)
                zeros = values == 0
                stats = {
                    "module": type(module).__name__,
                    "depth": order[0],
                    "mean": mean,
                    "std": std,
                    "zero_frac": zeros.float().mean(),
                    "dead_frac": self._dead_fraction(name, zeros),
                    "saturated_frac": self._saturated_fraction(module, values),
                }
            order[0] += 1
            sampled.add("activation", name, **stats)

        return record

    def _dead_fraction(self, name: str, zeros: torch.Tensor) -> torch.Tensor | None:
        other_dims = [d for d in range(zeros.dim()) if d != 1]
        active = ~zeros.all(dim=other_dims)
        recent = self._recent_active.setdefault(name, deque(maxlen=self.window))
        if recent and recent[-1].shape != active.shape:
            recent.clear()  # a module called with another width (shared across layers): start over
        recent.append(active)
        if len(recent) < self.window:
            return None
        ever_active = torch.stack([mask.to(active.device) for mask in recent]).any(dim=0)
        return (~ever_active).float().mean()

    def _saturated_fraction(self, module: nn.Module, values: torch.Tensor) -> torch.Tensor | None:
        margin = self.saturation_margin
        if isinstance(module, nn.Sigmoid):
            return ((values < margin) | (values > 1 - margin)).float().mean()
        if isinstance(module, nn.Tanh):
            return (values.abs() > 1 - margin).float().mean()
        return None

    def after_backward(self, sampled: SampledStep) -> None:
        pass

    def after_step(self, sampled: SampledStep) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """Each module's recent activity, so that a resumed run counts dead units as the run it continues."""
        return {
            name: [mask.cpu().tolist() for mask in recent] for name, recent in self._recent_active.items()
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._recent_active = {
            name: deque((torch.tensor(mask, dtype=torch.bool) for mask in masks), maxlen=self.window)
            for name, masks in state.items()
        }
