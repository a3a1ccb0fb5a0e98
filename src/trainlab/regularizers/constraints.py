"""Weight constraints and parametrizations: max-norm, and spectral normalization."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.regularizers._base import REGULARIZERS, WeightLayer, weight_layers


@REGULARIZERS.register(
    "max_norm",
    reference="Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014, Dropout (JMLR 15), Sec. 5.1",
)
class MaxNorm:
    """Max-norm constraint: after each step, every unit's incoming weight vector is clipped to norm ``max_norm``.

    Args:
        max_norm: The largest allowed L2 norm c (3 to 4 in Srivastava et al.).
        pattern: Shell-style pattern on module names; default every linear and conv layer.
    """

    def __init__(self, max_norm: Annotated[float, Field(gt=0.0)] = 3.0, pattern: str = "*"):
        self.max_norm = max_norm
        self.pattern = pattern
        self._layers: list[WeightLayer] = []

    def attach(self, model: nn.Module) -> None:
        self._layers = [m for _, m in weight_layers(model, self.pattern)]

    @torch.no_grad()
    def apply(self) -> None:
        for layer in self._layers:
            weight = layer.weight
            norms = weight.reshape(weight.shape[0], -1).norm(dim=1).clamp_min(1e-12)
            scale = (self.max_norm / norms).clamp(max=1.0)
            weight.mul_(scale.view(-1, *([1] * (weight.ndim - 1))))

    def on_step_end(self, trainer) -> None:
        self.apply()


@REGULARIZERS.register(
    "spectral_norm",
    reference="Miyato, Kataoka, Koyama & Yoshida 2018, Spectral Normalization for Generative Adversarial "
    "Networks, arXiv:1802.05957",
)
class SpectralNormParametrization:
    """Spectral normalization as a parametrization: W / sigma_max(W), by power iteration, on linear and conv layers.

    Applies ``torch.nn.utils.parametrizations.spectral_norm`` to every matching layer.

    Args:
        pattern: Shell-style pattern on module names; default every linear and conv layer.
        power_iterations: Power-iteration steps per forward pass.
    """

    def __init__(self, pattern: str = "*", power_iterations: Annotated[int, Field(ge=1)] = 1):
        self.pattern = pattern
        self.power_iterations = power_iterations

    def attach(self, model: nn.Module) -> None:
        for _, layer in weight_layers(model, self.pattern):
            nn.utils.parametrizations.spectral_norm(layer, n_power_iterations=self.power_iterations)
