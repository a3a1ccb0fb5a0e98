"""What a regularizer is: an object with any of ``attach(model)``, ``__call__(model)`` and callback hooks."""

from __future__ import annotations

import fnmatch
from typing import Any, Protocol

from torch import nn

from trainlab.registry import new_registry

REGULARIZERS = new_registry("regularizer")


class Regularizer(Protocol):
    """The parts trainlab looks for, all optional.

    - ``attach(model)``: called once after the model is built (hooks, parametrizations);
    - ``__call__(model) -> Tensor``: a penalty added to every micro-batch's loss;
    - callback hooks such as ``on_step_end(trainer)`` (constraints applied after each update).
    """

    def attach(self, model: nn.Module) -> None: ...


def weight_parameters(model: nn.Module, pattern: str = "*", include_bias: bool = False) -> list[nn.Parameter]:
    """The weight matrices and kernels (ndim >= 2) whose names match ``pattern``; biases and norm scales are skipped.

    ``include_bias`` adds every other trainable parameter that matches.
    """
    return [
        p
        for name, p in model.named_parameters()
        if p.requires_grad and fnmatch.fnmatchcase(name, pattern) and (p.ndim >= 2 or include_bias)
    ]


WeightLayer = nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d


def weight_layers(model: nn.Module, pattern: str = "*") -> list[tuple[str, WeightLayer]]:
    """Linear and convolution layers whose module names match ``pattern``."""
    return [
        (n, m)
        for n, m in model.named_modules()
        if isinstance(m, WeightLayer) and fnmatch.fnmatchcase(n, pattern)
    ]


def as_matrix(weight: Any) -> Any:
    """A weight as (out, in * kernel): the matrix a layer applies, for norms of conv kernels."""
    return weight.reshape(weight.shape[0], -1)
