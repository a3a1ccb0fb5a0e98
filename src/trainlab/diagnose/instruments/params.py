"""Per-parameter statistics: gradient norm, weight norm, update-to-weight ratio, first/last gradient ratio."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments._base import SampledStep
from trainlab.diagnose.instruments.registry import INSTRUMENTS


@INSTRUMENTS.register(
    "params",
    reference="Karpathy 2019, A Recipe for Training Neural Networks (update/weight ratio ~1e-3); "
    "Glorot & Bengio 2010, Understanding the difficulty of training deep feedforward neural networks (AISTATS)",
)
class ParameterStats:
    """Gradient norm, weight norm and update-to-weight ratio of every parameter tensor.

    Rows of kind ``param`` (layer = the parameter's name) hold ``grad_norm``, ``weight_norm`` and
    ``update_ratio`` = ‖w_after − w_before‖ / ‖w_before‖ of the step. The ``model`` row gets
    ``grad_norm_first_last``: the gradient norm of the first weight matrix or kernel over that of
    the last (≪ 1: gradients vanish toward the input; ≫ 1: they grow toward it). Norms are L2
    over the whole tensor; gradients are read before clipping, divided by the fp16 loss scale.
    """

    def __init__(self) -> None:
        # Between the backward pass and the update of a sampled step: the names, the live
        # parameters and copies of their values before the update.
        self._names: list[str] = []
        self._params: list[torch.Tensor] = []
        self._before: list[torch.Tensor] = []

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]:
        return ()

    def after_backward(self, sampled: SampledStep) -> None:
        named = [(n, p) for n, p in sampled.named_trained_parameters() if p.grad is not None]
        if not named:
            return
        params = [p.detach() for _, p in named]
        grad_norms = torch._foreach_norm([p.grad for _, p in named])  # type: ignore[misc]
        weight_norms = torch._foreach_norm(params)
        if sampled.grad_scale != 1.0:
            grad_norms = torch._foreach_div(grad_norms, sampled.grad_scale)
        for (name, _), grad_norm, weight_norm in zip(named, grad_norms, weight_norms, strict=True):
            sampled.add("param", name, grad_norm=grad_norm, weight_norm=weight_norm)
        # Weight matrices and kernels are the layers; biases and norm scales would blur the ratio.
        layered = [g for (_, p), g in zip(named, grad_norms, strict=True) if p.dim() >= 2] or list(grad_norms)
        sampled.add("model", "model", grad_norm_first_last=layered[0] / layered[-1])
        self._names = [name for name, _ in named]
        self._params = params
        self._before = [p.clone() for p in params]

    def after_step(self, sampled: SampledStep) -> None:
        if not self._before:
            return
        changes = torch._foreach_sub(self._params, self._before)
        change_norms = torch._foreach_norm(changes)
        before_norms = torch._foreach_norm(self._before)
        for name, change, before in zip(self._names, change_norms, before_norms, strict=True):
            sampled.add("param", name, update_ratio=change / before)
        self._before = []
        self._params = []
