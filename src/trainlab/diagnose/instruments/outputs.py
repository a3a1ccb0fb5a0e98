"""Statistics of the model's output: logit scale, max softmax probability, entropy, predicted classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments._base import SampledStep, first_output_tensor
from trainlab.diagnose.instruments.registry import INSTRUMENTS


@INSTRUMENTS.register(
    "outputs",
    reference="Guo, Pleiss, Sun & Weinberger 2017, On Calibration of Modern Neural Networks (ICML); "
    "Karpathy 2019, A Recipe for Training Neural Networks (initial loss near ln C)",
)
class OutputStats:
    """Logit scale, confidence, predictive entropy and predicted-class histogram of the model's output.

    On the step's first micro-batch, for a classifier's logits ``(N, C)`` (or ``(N, C, ...)``,
    one prediction per position), the ``output`` row holds ``logit_scale`` (std of the logits),
    ``max_prob`` (mean of the largest softmax probability), ``entropy`` (mean predictive entropy
    in nats; ln C is a uniform guess) and ``class_hist`` (counts of each predicted class). An
    output with one column (regression) gets no row.
    """

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]:
        seen = False

        def record(module: nn.Module, args: Any, output: Any) -> None:
            nonlocal seen
            logits = first_output_tensor(output)
            if seen or logits is None or logits.dim() < 2 or logits.shape[1] < 2:
                return
            seen = True
            with torch.no_grad():
                sampled.add("output", "output", **output_statistics(logits.detach()))

        return (sampled.model.register_forward_hook(record),)

    def after_backward(self, sampled: SampledStep) -> None:
        pass

    def after_step(self, sampled: SampledStep) -> None:
        pass


def output_statistics(logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """The ``output`` row's statistics of logits shaped ``(N, C, ...)`` (classes on dim 1)."""
    classes = logits.shape[1]
    flat = logits.float().movedim(1, -1).reshape(-1, classes)
    log_probs = torch.log_softmax(flat, dim=1)
    probs = log_probs.exp()
    return {
        "logit_scale": flat.std(),
        "max_prob": probs.max(dim=1).values.mean(),
        "entropy": -(probs * log_probs).sum(dim=1).mean(),
        "class_hist": torch.bincount(flat.argmax(dim=1), minlength=classes),
    }
