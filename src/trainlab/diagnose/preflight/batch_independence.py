"""Batch independence: one sample's output must not depend on another sample's input."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.diagnose.preflight._base import CheckResult, PreflightContext
from trainlab.registry import PREFLIGHT_CHECKS


@PREFLIGHT_CHECKS.register(
    "batch_independence",
    reference="Karpathy 2019, A Recipe for Training Neural Networks (use backprop to chart dependencies)",
)
class BatchIndependenceCheck:
    """The gradient of sample i's outputs with respect to sample j's input is zero for every j ≠ i.

    Checked in float64 in training mode, then in eval mode. Batch normalization couples the
    samples of a batch in training (it normalizes with the batch's statistics): that is reported as
    the expected exception, provided the model is independent in eval mode.

    Args:
        batch_size: Samples in the batch.
    """

    def __init__(self, batch_size: Annotated[int, Field(ge=2)] = 4):
        self.batch_size = batch_size

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("batch_independence")
        if skipped is not None:
            return [skipped]
        inputs, _ = context.train_sample(self.batch_size, stream=4)
        model = context.fresh_model().double()
        training = coupled_pairs(model.train(), inputs)
        evaluation = coupled_pairs(model.eval(), inputs)
        samples = len(inputs)
        if not training and not evaluation:
            return [
                CheckResult(
                    "batch_independence", "pass", f"{samples} samples: no output depends on another input"
                )
            ]
        norms = [name for name, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not evaluation and norms:
            return [
                CheckResult(
                    "batch_independence",
                    "pass",
                    f"coupled only in training mode, through batch norm ({', '.join(norms[:3])}"
                    f"{', ...' if len(norms) > 3 else ''}): the expected exception; independent in eval mode",
                )
            ]
        pairs = evaluation or training
        shown = ", ".join(f"{i}←{j}" for i, j in pairs[:4])
        return [
            CheckResult(
                "batch_independence",
                "fail",
                f"{len(pairs)} of {samples * (samples - 1)} (output, other input) pairs depend on each other "
                f"({shown}{', ...' if len(pairs) > 4 else ''})" + ("" if evaluation else " in training mode"),
                fix="flatten with x.view(x.shape[0], -1) or x.flatten(1), not x.view(-1, n); transpose/permute "
                "only non-batch dims; reduce (mean, softmax, attention) over features, not dim 0",
                meaning="the model mixes samples across the batch, so a prediction depends on which other "
                "samples share its batch",
            )
        ]


def coupled_pairs(model: nn.Module, inputs: torch.Tensor) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, i ≠ j, where sample i's outputs have a nonzero gradient w.r.t. sample j's input."""
    x = inputs.detach().double().clone().requires_grad_(True)
    outputs = model(x)
    pairs = []
    for i in range(len(x)):
        (grad,) = torch.autograd.grad(outputs[i].sum(), x, retain_graph=True, allow_unused=True)
        if grad is None:
            continue
        reach = grad.reshape(len(x), -1).abs().amax(1)
        pairs += [(i, j) for j in range(len(x)) if j != i and float(reach[j]) > 0]
    return pairs
