"""Normalization layers by name: the NORMS registry and ``make_norm``.

Every factory has the signature ``factory(num_features, spatial_dims, **options)``:

- ``num_features`` is the channel count C (the feature count for feature vectors);
- ``spatial_dims`` is 0 for ``(N, C)`` features, 1 for ``(N, C, L)`` signals and 2 for
  ``(N, C, H, W)`` images.

The statistics each norm averages over, for an input of shape ``(N, C, *S)``:

========  =========================================  =====================================
name      mean and variance over                     affine parameters
========  =========================================  =====================================
batch     N and S, per channel (the batch's stats)   per channel
layer     C and S, per sample                        per channel (per feature when S = ())
group     S and the C/G channels of a group          per channel
instance  S, per sample and channel (needs S)        per channel
========  =========================================  =====================================

The ``spatial_dims`` flag lists the input kinds a norm supports, and ``batch_dependent`` marks
norms whose output for one sample depends on the others in its batch (they behave differently
in train and eval mode and degrade at small batch sizes).
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import ComponentSpec, build_from_spec, spec_validator
from trainlab.registry import NORMS

_ALL_SPATIAL_DIMS = (0, 1, 2)
# The factory arguments make_norm fills in; a user option with either name is an error.
_PROVIDED = ("num_features", "spatial_dims")

Eps = Annotated[float, Field(gt=0)]


def _require_spatial_dims(name: str, spatial_dims: int) -> None:
    """Raise a ConfigError (keyed by the caller) when ``name`` cannot normalise this input kind."""
    supported = NORMS.get(name).flags["spatial_dims"]
    if spatial_dims in supported:
        return
    if name == "instance" and spatial_dims == 0:
        message = (
            "'instance' normalises each channel over its spatial positions, and a (N, C) feature vector "
            "has none, so every output would be 0; use 'layer' or 'batch' for feature vectors"
        )
    else:
        message = f"'{name}' supports spatial_dims {list(supported)}, got {spatial_dims!r}"
    raise ConfigError([Problem("", message)])


@NORMS.register(
    "none",
    reference="https://pytorch.org/docs/stable/generated/torch.nn.Identity.html",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": False},
)
def none(num_features: int, spatial_dims: int) -> nn.Module:
    """No normalization (an identity layer).

    Args:
        num_features: Channels C (unused).
        spatial_dims: 0, 1 or 2.
    """
    _require_spatial_dims("none", spatial_dims)
    return nn.Identity()


@NORMS.register(
    "batch",
    reference="Ioffe & Szegedy 2015, Batch Normalization: Accelerating Deep Network Training by "
    "Reducing Internal Covariate Shift, arXiv:1502.03167",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": True},
)
def batch(
    num_features: int,
    spatial_dims: int,
    momentum: Annotated[float, Field(gt=0, le=1)] = 0.1,
    eps: Eps = 1e-5,
    affine: bool = True,
) -> nn.Module:
    """Batch normalization: per channel, over the batch and all spatial positions.

    Args:
        num_features: Channels C.
        spatial_dims: 0, 1 or 2 (see the module docstring).
        momentum: Weight of the newest batch in the running statistics used in eval mode.
        eps: Added to the variance for numerical stability.
        affine: Learn a per-channel scale and shift.

    Returns:
        ``nn.BatchNorm1d`` (spatial_dims 0 and 1) or ``nn.BatchNorm2d``.
    """
    _require_spatial_dims("batch", spatial_dims)
    layer = nn.BatchNorm2d if spatial_dims == 2 else nn.BatchNorm1d
    return layer(num_features, eps=eps, momentum=momentum, affine=affine)


@NORMS.register(
    "layer",
    reference="Ba, Kiros & Hinton 2016, Layer Normalization, arXiv:1607.06450; for feature maps, "
    "Wu & He 2018, Group Normalization, arXiv:1803.08494 (Sec. 3.1: LN is GN with one group)",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": False},
)
def layer(num_features: int, spatial_dims: int, eps: Eps = 1e-5, affine: bool = True) -> nn.Module:
    """Layer normalization: per sample, over all channels and positions of the layer.

    Ba et al. normalise over *all* hidden units of a layer. For a convolutional feature map
    those are every channel at every position, which is ``GroupNorm(1, C)`` (Wu & He 2018
    Sec. 3.1), so that is what "layer" means here for signals and images. It is not the
    ConvNeXt-style "channels-last" LayerNorm, which normalises over the channels at each
    position separately. The affine parameters are per channel, so the layer works for any
    input length or image size.

    Args:
        num_features: Channels C.
        spatial_dims: 0, 1 or 2 (see the module docstring).
        eps: Added to the variance for numerical stability.
        affine: Learn a per-channel scale and shift.

    Returns:
        ``nn.LayerNorm(C)`` for feature vectors, ``nn.GroupNorm(1, C)`` for feature maps.
    """
    _require_spatial_dims("layer", spatial_dims)
    if spatial_dims == 0:
        return nn.LayerNorm(num_features, eps=eps, elementwise_affine=affine)
    return nn.GroupNorm(1, num_features, eps=eps, affine=affine)


@NORMS.register(
    "group",
    reference="Wu & He 2018, Group Normalization, arXiv:1803.08494",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": False},
)
def group(
    num_features: int,
    spatial_dims: int,
    num_groups: Annotated[int, Field(ge=1)] = 32,
    eps: Eps = 1e-5,
    affine: bool = True,
) -> nn.Module:
    """Group normalization: per sample, over the positions of each group of C / G channels.

    Independent of the batch size, which is why Wu & He propose it for small batches.

    Args:
        num_features: Channels C; must be divisible by ``num_groups``.
        spatial_dims: 0, 1 or 2 (see the module docstring).
        num_groups: Number of groups G (32 in the paper). G = 1 is "layer", G = C is
            "instance" with a learned affine.
        eps: Added to the variance for numerical stability.
        affine: Learn a per-channel scale and shift.

    Returns:
        ``nn.GroupNorm(num_groups, C)``.

    Raises:
        ConfigError: ``num_groups`` does not divide ``num_features``.
    """
    _require_spatial_dims("group", spatial_dims)
    if num_features % num_groups:
        divisors = [g for g in range(1, num_features + 1) if num_features % g == 0]
        closest = min(divisors, key=lambda g: (abs(g - num_groups), g))
        raise ConfigError(
            [
                Problem(
                    "num_groups",
                    f"{num_groups} does not divide the {num_features} channels of this layer; "
                    f"use a divisor of {num_features}, e.g. {closest}",
                )
            ]
        )
    return nn.GroupNorm(num_groups, num_features, eps=eps, affine=affine)


@NORMS.register(
    "instance",
    reference="Ulyanov, Vedaldi & Lempitsky 2016, Instance Normalization: The Missing Ingredient for "
    "Fast Stylization, arXiv:1607.08022",
    flags={"spatial_dims": (1, 2), "batch_dependent": False},
)
def instance(num_features: int, spatial_dims: int, eps: Eps = 1e-5, affine: bool = True) -> nn.Module:
    """Instance normalization: per sample and channel, over the spatial positions.

    ``affine`` defaults to True (torch defaults to False) so that every trainlab norm has a
    learnable per-channel scale, which ``zero_init_residual`` and fair comparisons rely on.
    No running statistics are kept: train and eval mode compute the same thing.

    Args:
        num_features: Channels C.
        spatial_dims: 1 or 2; a feature vector has no positions to normalise over.
        eps: Added to the variance for numerical stability.
        affine: Learn a per-channel scale and shift.

    Returns:
        ``nn.InstanceNorm1d`` or ``nn.InstanceNorm2d``.

    Raises:
        ConfigError: ``spatial_dims`` is 0.
    """
    _require_spatial_dims("instance", spatial_dims)
    layer = nn.InstanceNorm2d if spatial_dims == 2 else nn.InstanceNorm1d
    return layer(num_features, eps=eps, affine=affine)


@NORMS.register(
    "rms",
    reference="Zhang & Sennrich 2019, Root Mean Square Layer Normalization, arXiv:1910.07467",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": False},
)
class RMSNorm(nn.Module):
    """RMS normalization: layer norm without re-centring, x / RMS(x) over the layer's units, per sample.

    ``x / sqrt(mean(x^2) + eps)`` over channels and positions, times a per-channel scale.

    Args:
        num_features: Channels C.
        spatial_dims: 0, 1 or 2; for feature maps the RMS is over every channel and position, as "layer".
        eps: Added to the mean square for numerical stability.
        affine: Learn a per-channel scale.
    """

    def __init__(self, num_features: int, spatial_dims: int, eps: Eps = 1e-6, affine: bool = True):
        super().__init__()
        _require_spatial_dims("rms", spatial_dims)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, x.dim()))
        normed = x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + self.eps)
        if self.weight is None:
            return normed
        return normed * self.weight.view(-1, *([1] * (x.dim() - 2)))


@NORMS.register(
    "weight",
    aliases=("weight_norm",),
    reference="Salimans & Kingma 2016, Weight Normalization, arXiv:1602.07868",
    flags={"spatial_dims": _ALL_SPATIAL_DIMS, "batch_dependent": False},
)
class WeightNorm(nn.Identity):
    """Weight normalization as a parametrization: every linear and conv weight becomes g * v / ||v||.

    It re-parametrizes weights, not activations, so the layer in the norm slot is the identity;
    a model with it builds each linear and conv layer, its output layer included, through
    :meth:`parametrize` (``torch.nn.utils.parametrizations.weight_norm``, g per output unit).

    Args:
        num_features: Channels C (unused: the slot passes activations through).
        spatial_dims: 0, 1 or 2.
    """

    def __init__(self, num_features: int, spatial_dims: int):
        super().__init__()
        _require_spatial_dims("weight", spatial_dims)

    def parametrize(self, layer: nn.Module) -> nn.Module:
        """Re-parametrize ``layer.weight`` as g * v / ||v||, in place; returns the layer."""
        nn.utils.parametrizations.weight_norm(layer)
        return layer


# An option annotated with this type accepts ``"batch"`` or ``{"name": "group", "num_groups": 8}``
# and is checked against the registry when the options are validated.
NormSpec = Annotated[str | dict[str, Any], spec_validator(NORMS, provided=_PROVIDED)]


def make_norm(spec: ComponentSpec, num_features: int, spatial_dims: int, *, key: str = "norm") -> nn.Module:
    """Build a normalization layer from its name or from ``{"name": ..., **options}``.

    Args:
        spec: A registered name (``"batch"``) or a mapping with a ``"name"`` key and options.
        num_features: Channels C of the input.
        spatial_dims: 0 for ``(N, C)``, 1 for ``(N, C, L)``, 2 for ``(N, C, H, W)``.
        key: Where the user wrote the spec (e.g. ``"model.norm"``), used in errors.

    Returns:
        A new ``nn.Module``.

    Raises:
        UnknownNameError: the name is not registered; the message suggests the closest ones.
        ConfigError: an option is invalid, or the norm does not support this input kind.
    """
    return build_from_spec(NORMS, spec, num_features, spatial_dims, key=key, provided=_PROVIDED)
