"""Activity regularizers: penalties on a layer's outputs, read through forward hooks."""

from __future__ import annotations

import fnmatch
from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.regularizers._base import REGULARIZERS

Strength = Annotated[float, Field(ge=0.0)]


class _ActivityPenalty:
    """Keeps the latest output of every module whose name matches ``pattern``."""

    def __init__(self, strength: float, pattern: str):
        self.strength = strength
        self.pattern = pattern
        self._outputs: dict[str, torch.Tensor] = {}

    def attach(self, model: nn.Module) -> None:
        matched = [(n, m) for n, m in model.named_modules() if n and fnmatch.fnmatchcase(n, self.pattern)]
        if not matched:
            names = [n for n, _ in model.named_modules() if n]
            raise ValueError(f"pattern {self.pattern!r} matches no module; modules: {', '.join(names[:12])}")
        for name, module in matched:
            module.register_forward_hook(self._keeper(name))

    def _keeper(self, name: str):
        def keep(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            if module.training:
                self._outputs[name] = output

        return keep

    def term(self, activations: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, model: nn.Module) -> torch.Tensor:
        if not self._outputs:
            return torch.zeros((), device=next(model.parameters()).device)
        return self.strength * torch.stack([self.term(a) for a in self._outputs.values()]).sum()


@REGULARIZERS.register(
    "activity_l1",
    reference="Ng 2011, Sparse Autoencoder (CS294A lecture notes); Keras ActivityRegularization",
)
class ActivityL1(_ActivityPenalty):
    """L1 penalty on activations of the modules matching ``pattern``: sparse hidden representations.

    strength * mean over samples of sum |a| (Keras' ActivityRegularization averaged over the batch).

    Args:
        strength: Penalty coefficient.
        pattern: Shell-style pattern on module names (``model.named_modules()``); default every activation.
    """

    def __init__(self, strength: Strength = 1e-4, pattern: str = "*act*"):
        super().__init__(strength, pattern)

    def term(self, activations: torch.Tensor) -> torch.Tensor:
        return activations.abs().sum() / activations.shape[0]


@REGULARIZERS.register(
    "kl_sparsity",
    reference="Ng 2011, Sparse Autoencoder (CS294A lecture notes), Sec. 2.3",
)
class KLSparsity(_ActivityPenalty):
    """Sparse-autoencoder KL penalty: each unit's mean activation is pulled towards ``target``.

    strength * sum_j KL(rho || rho_hat_j), rho_hat_j the batch-mean activation of unit j. Meant for
    activations in (0, 1) such as sigmoid; others are clamped into that range.

    Args:
        strength: Penalty coefficient beta.
        pattern: Shell-style pattern on module names; default every activation.
        target: The sparsity target rho.
    """

    def __init__(
        self,
        strength: Strength = 1e-3,
        pattern: str = "*act*",
        target: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05,
    ):
        super().__init__(strength, pattern)
        self.target = target

    def term(self, activations: torch.Tensor) -> torch.Tensor:
        rho = self.target
        rho_hat = activations.reshape(activations.shape[0], -1).mean(dim=0).clamp(1e-6, 1 - 1e-6)
        return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
