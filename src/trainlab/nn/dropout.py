"""The dropout family as layers: dropout, spatial dropout, alpha dropout, drop path, DropConnect.

Every entry takes ``(spatial_dims, p, **options)``; a model's ``dropout`` option takes a
probability (plain dropout) or ``{name: ..., p: ...}``.

DropConnect drops weights, not activations: its layer in the model's dropout slot is the
identity, and the model builds each hidden weight layer through :meth:`DropConnect.parametrize`
(see ``trainlab.models._layers``).
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import ComponentSpec, build_from_spec, spec_validator
from trainlab.registry import new_registry

DROPOUTS = new_registry("dropout")
_PROVIDED = ("spatial_dims",)
Probability = Annotated[float, Field(ge=0.0, lt=1.0)]


def drop_path(inputs: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Zero whole samples with probability ``p`` and scale the rest by 1 / (1 - p) (stochastic depth)."""
    if not training or p == 0.0:
        return inputs
    keep = torch.empty(
        (inputs.shape[0],) + (1,) * (inputs.dim() - 1), device=inputs.device, dtype=inputs.dtype
    )
    return inputs * keep.bernoulli_(1.0 - p) / (1.0 - p)


class WeightDropout(nn.Module):
    """A parametrization that zeroes each weight with probability ``p`` in training (scaled by 1 / (1 - p))."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return nn.functional.dropout(weight, self.p, self.training)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        # Assigning ``layer.weight`` (an initializer does) stores the value as the undropped weight.
        return weight


@DROPOUTS.register(
    "dropout",
    reference="Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014, Dropout (JMLR 15)",
)
def dropout(spatial_dims: int, p: Probability = 0.5) -> nn.Module:
    """Dropout: zero each unit with probability p in training, scaling the rest by 1 / (1 - p).

    Args:
        spatial_dims: 0, 1 or 2 (any input).
        p: Drop probability.
    """
    return nn.Dropout(p)


@DROPOUTS.register(
    "spatial",
    aliases=("spatial_dropout",),
    reference="Tompson, Goroshin, Jain, LeCun & Bregler 2015, Efficient Object Localization Using "
    "Convolutional Networks, arXiv:1411.4280",
)
def spatial(spatial_dims: int, p: Probability = 0.1) -> nn.Module:
    """Spatial dropout: zero whole channels of a feature map (neighbouring positions are correlated).

    Args:
        spatial_dims: 1 or 2; feature vectors have no channels to drop.
        p: Drop probability per channel.

    Raises:
        ConfigError: the input is a feature vector.
    """
    if spatial_dims not in (1, 2):
        raise ConfigError(
            [Problem("", "'spatial' drops channels of signals or images; use 'dropout' for features")]
        )
    return nn.Dropout1d(p) if spatial_dims == 1 else nn.Dropout2d(p)


@DROPOUTS.register(
    "alpha",
    aliases=("alpha_dropout",),
    reference="Klambauer, Unterthiner, Mayr & Hochreiter 2017, Self-Normalizing Neural Networks, arXiv:1706.02515",
)
def alpha(spatial_dims: int, p: Probability = 0.05) -> nn.Module:
    """Alpha dropout: keeps SELU's zero mean and unit variance by dropping to SELU's saturation value.

    Args:
        spatial_dims: 0, 1 or 2.
        p: Drop probability.
    """
    return nn.AlphaDropout(p)


@DROPOUTS.register(
    "drop_path",
    aliases=("stochastic_depth",),
    reference="Huang, Sun, Liu, Sedra & Weinberger 2016, Deep Networks with Stochastic Depth, arXiv:1603.09382",
)
class DropPath(nn.Module):
    """Drop path (stochastic depth): zero a whole sample's input, scaled by 1 / (1 - p); for residual branches.

    Args:
        spatial_dims: 0, 1 or 2 (any input: whole samples are dropped).
        p: Drop probability per sample.
    """

    def __init__(self, spatial_dims: int, p: Probability = 0.1):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


@DROPOUTS.register(
    "dropconnect",
    aliases=("weight_dropout",),
    reference="Wan, Zeiler, Zhang, LeCun & Fergus 2013, Regularization of Neural Networks using DropConnect (ICML)",
)
class DropConnect(nn.Identity):
    """DropConnect: zero each weight (not unit) of the hidden layers with probability p in training.

    The layer itself passes activations through; a model that has it in its dropout slot builds
    each hidden linear and conv layer through :meth:`parametrize` (the output layer is kept whole,
    as in Wan et al.).

    Args:
        spatial_dims: 0, 1 or 2.
        p: Drop probability per weight.
    """

    def __init__(self, spatial_dims: int, p: Probability = 0.5):
        super().__init__()
        self.p = p

    def parametrize(self, layer: nn.Module) -> nn.Module:
        """Register :class:`WeightDropout` on ``layer.weight``, in place; returns the layer."""
        nn.utils.parametrize.register_parametrization(layer, "weight", WeightDropout(self.p))
        return layer

    def extra_repr(self) -> str:
        return f"p={self.p}"


DropoutSpec = Annotated[str | dict[str, Any], spec_validator(DROPOUTS, provided=_PROVIDED)]


def make_dropout(spec: ComponentSpec | float, spatial_dims: int, *, key: str = "dropout") -> nn.Module:
    """A dropout layer from a probability (plain dropout) or a name / ``{name: ..., p: ...}``."""
    if isinstance(spec, (int, float)):
        if isinstance(spec, bool):
            raise ConfigError([Problem("", f"expected a probability or a dropout name, got {spec!r}")])
        return nn.Dropout(float(spec))
    return build_from_spec(DROPOUTS, spec, spatial_dims, key=key, provided=_PROVIDED)
