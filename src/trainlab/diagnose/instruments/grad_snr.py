"""Gradient signal-to-noise: between micro-batches under gradient accumulation, else per sample in the last linear layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments._base import SampledStep
from trainlab.diagnose.instruments.registry import INSTRUMENTS


def signal_to_noise(total_squared: torch.Tensor, sum_of_squares: torch.Tensor, parts: int) -> torch.Tensor:
    """‖ḡ‖² / tr Cov(ḡ) from ``parts`` gradients g_k (any common scale), given ‖Σ g_k‖² and Σ ‖g_k‖².

    With G = Σ g_k and S = Σ ‖g_k‖², the mean is ḡ = G / K and the unbiased estimate of the
    covariance trace of ḡ is (S − ‖G‖²/K) / (K (K − 1)); their ratio is ‖G‖² (K − 1) / (K S − ‖G‖²).
    It is the same quantity whether the parts are micro-batches or samples, and a common factor
    on every g_k (the 1/K of accumulation, a loss scale) cancels.
    """
    return total_squared * (parts - 1) / (parts * sum_of_squares - total_squared)


@INSTRUMENTS.register(
    "grad_snr",
    reference="McCandlish, Kaplan, Amodei et al. 2018, An Empirical Model of Large-Batch Training "
    "(gradient noise scale); Schneider, Dangel & Hennig 2021, Cockpit (NeurIPS)",
)
class GradientSNR:
    """Signal-to-noise ratio of the step's gradient: ‖ḡ‖² / tr Cov(ḡ), in the ``model`` row's ``grad_snr``.

    Where the step accumulates gradients over micro-batches, the spread is between their
    gradients over every parameter (``grad_snr_source: micro_batches``); each micro-batch's
    gradient is the change it makes to ``.grad``, so this costs one copy of the gradients on a
    sampled step. With one micro-batch it is per sample in the last ``nn.Linear`` layer, whose
    per-sample gradient δᵢ xᵢᵀ has norm ‖δᵢ‖ ‖xᵢ‖, so no per-sample gradient is formed
    (``grad_snr_source: per_sample:<layer>``; needs ``(N, features)`` inputs to that layer).
    Below 1 the step is mostly noise: a larger batch or a lower learning rate helps.
    """

    def __init__(self) -> None:
        # What the hooks of the sampled step collect: Σ‖g_k‖² over micro-batches, or the last
        # linear layer's name, inputs and output gradients.
        self._squares: dict[str, Any] = {}
        self._per_sample: dict[str, Any] = {}

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]:
        if sampled.micro_batches > 1:
            return self._between_micro_batches(sampled)
        return self._per_sample_in_last_linear(sampled)

    def _between_micro_batches(self, sampled: SampledStep) -> list[RemovableHandle]:
        previous: dict[int, torch.Tensor] = {}
        sums: dict[str, Any] = {"squares": 0.0}

        def record(param: torch.Tensor) -> None:
            grad = param.grad
            if grad is None:
                return
            before = previous.get(id(param))
            part = grad if before is None else grad - before
            sums["squares"] = sums["squares"] + part.float().square().sum()
            previous[id(param)] = grad.detach().clone()

        self._squares = sums
        return [p.register_post_accumulate_grad_hook(record) for _, p in sampled.named_trained_parameters()]

    def _per_sample_in_last_linear(self, sampled: SampledStep) -> list[RemovableHandle]:
        linears = [(n, m) for n, m in sampled.model.named_modules() if isinstance(m, nn.Linear)]
        self._per_sample = {}
        if not linears:
            return []
        name, layer = linears[-1]
        captured = self._per_sample

        def record(module: nn.Module, args: Any, output: torch.Tensor) -> None:
            inputs = args[0] if args else None
            if "inputs" in captured or not isinstance(inputs, torch.Tensor) or inputs.dim() != 2:
                return
            captured["inputs"] = inputs.detach()
            if output.requires_grad:
                output.register_hook(lambda grad: captured.__setitem__("output_grads", grad.detach()))

        captured["layer"] = name
        captured["has_bias"] = layer.bias is not None
        return [layer.register_forward_hook(record)]

    def after_backward(self, sampled: SampledStep) -> None:
        if sampled.micro_batches > 1:
            total = torch.stack(
                [
                    p.grad.float().square().sum()
                    for _, p in sampled.named_trained_parameters()
                    if p.grad is not None
                ]
            ).sum()
            snr = signal_to_noise(total, self._squares["squares"], sampled.micro_batches)
            sampled.add("model", "model", grad_snr=snr, grad_snr_source="micro_batches")
            return
        if "output_grads" not in self._per_sample:
            return
        inputs = self._per_sample["inputs"].float()
        deltas = self._per_sample["output_grads"].float()
        input_sq = inputs.square().sum(dim=1)
        if self._per_sample["has_bias"]:
            input_sq = input_sq + 1  # the bias is a weight on a constant input of 1
        per_sample_squares = (deltas.square().sum(dim=1) * input_sq).sum()
        total_weight = deltas.T @ inputs
        total_squared = total_weight.square().sum()
        if self._per_sample["has_bias"]:
            total_squared = total_squared + deltas.sum(dim=0).square().sum()
        snr = signal_to_noise(total_squared, per_sample_squares, inputs.shape[0])
        sampled.add("model", "model", grad_snr=snr, grad_snr_source=f"per_sample:{self._per_sample['layer']}")
        self._per_sample = {}

    def after_step(self, sampled: SampledStep) -> None:
        pass
