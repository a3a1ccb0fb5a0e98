"""Quantization-aware training: fake int8 on every Linear's weights and inputs, as static int8 will run them."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn
from torch.nn.utils import parametrize
from torch.utils.hooks import RemovableHandle

from trainlab.compress.quantize.int8_linear import INT8_MAX, INT8_MIN, SYMMETRIC_HALF_RANGE
from trainlab.registry import CALLBACKS


def symmetric_scale(largest: torch.Tensor) -> torch.Tensor:
    """The int8 scale that maps ``largest`` |x| to the edge of the range (never zero)."""
    return largest.clamp_min(torch.finfo(torch.float32).tiny) / SYMMETRIC_HALF_RANGE


class FakeInt8PerRow(nn.Module):
    """``W`` rounded to int8 per output row and back (straight-through gradient), as torchao stores it."""

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        scale = symmetric_scale(weight.detach().abs().amax(dim=1))
        zero = torch.zeros(len(scale), dtype=torch.int32, device=weight.device)
        rounded = torch.fake_quantize_per_channel_affine(weight.detach(), scale, zero, 0, INT8_MIN, INT8_MAX)
        # The plain straight-through estimator: the op's own gradient is zero where a value rounds
        # past 127, which is where each row's largest weight lands (127.5 rounds to 128), so that
        # weight would never train.
        return weight + (rounded - weight.detach())


@CALLBACKS.register(
    "qat",
    aliases=("quantization_aware_training",),
    reference="Jacob et al. 2018, Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only "
    "Inference, arXiv:1712.05877",
)
class QuantizationAwareTraining:
    """Quantization-aware training: Linear weights and inputs pass through fake int8 (straight-through).

    The rounding matches ``trainlab quantize --method qat-convert`` (static int8 with torchao):
    weights symmetric per output row, each Linear's input symmetric per tensor with a scale from
    a running range of its largest |input|. Gradients pass the rounding unchanged (the
    straight-through estimator) and are zero where an input was clipped. The evaluations during
    training see the fake-int8 model; at the end the fake quantization is removed, so the run
    saves plain float weights, which ``trainlab quantize RUN --method qat-convert`` turns into int8.
    Checkpoints taken during QAT name each weight ``parametrizations.weight.original``, so such a
    run cannot be resumed yet.

    Args:
        start_step: The step from which rounding is applied (ranges are tracked from the start);
            0 trains with it from the first step.
        momentum: Weight of each batch's largest |input| in the running range (an exponential
            moving average, as in Jacob et al.).
    """

    def __init__(
        self,
        start_step: Annotated[int, Field(ge=0)] = 0,
        momentum: Annotated[float, Field(gt=0.0, le=1.0)] = 0.01,
    ):
        self.start_step, self.momentum = start_step, momentum
        self.input_ranges: dict[str, torch.Tensor] = {}
        self._handles: list[RemovableHandle] = []
        self._parametrized: list[nn.Linear] = []
        self._step = 0

    def on_fit_start(self, trainer: Any) -> None:
        for name, module in trainer.model.named_modules():
            if type(module) is not nn.Linear:
                continue
            # The weight Parameter stays the same object, so the optimizer built before keeps updating it.
            parametrize.register_parametrization(module, "weight", FakeInt8PerRow())
            self._parametrized.append(module)
            self._handles.append(module.register_forward_pre_hook(self._fake_int8_input(name)))
        self._step = trainer.step

    def on_step_end(self, trainer: Any) -> None:
        self._step = trainer.step

    def on_fit_end(self, trainer: Any) -> None:
        self._remove()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._remove()

    def state_dict(self) -> dict[str, Any]:
        return {"input_ranges": {name: value.clone() for name, value in self.input_ranges.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.input_ranges = dict(state["input_ranges"])

    def _fake_int8_input(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
            x = args[0]
            if module.training:
                largest = x.detach().abs().amax().float()
                running = self.input_ranges.get(name)
                self.input_ranges[name] = (
                    largest if running is None else running.to(largest.device).lerp(largest, self.momentum)
                )
            if self._step < self.start_step or name not in self.input_ranges:
                return args
            scale = float(symmetric_scale(self.input_ranges[name]))
            return (torch.fake_quantize_per_tensor_affine(x, scale, 0, INT8_MIN, INT8_MAX), *args[1:])

        return hook

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        for module in self._parametrized:
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
        self._handles, self._parametrized = [], []
