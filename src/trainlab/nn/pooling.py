"""Pooling layers by name: the POOLINGS registry and ``make_pool``.

Every factory has the signature ``factory(spatial_dims, **options)`` with ``spatial_dims`` 1 for
``(N, C, L)`` signals and 2 for ``(N, C, H, W)`` images. Global pools keep singleton spatial
dimensions, so a following ``Flatten`` gives ``(N, C)``.
"""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import ComponentSpec, build_from_spec, spec_validator
from trainlab.registry import new_registry

POOLINGS = new_registry("pooling")
_PROVIDED = ("spatial_dims",)
KernelSize = Annotated[int, Field(ge=1)]
_TORCH_DOCS = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"


def _require_spatial(name: str, spatial_dims: int) -> None:
    if spatial_dims not in (1, 2):
        raise ConfigError(
            [Problem("", f"'{name}' pools signals (spatial_dims 1) or images (2), got {spatial_dims}")]
        )


def stochastic_pool(
    inputs: torch.Tensor, kernel_size: int, training: bool, generator: torch.Generator | None = None
):
    """Stochastic pooling over non-overlapping ``kernel_size`` windows (Zeiler & Fergus 2013).

    Within a window of activations a_i (negatives count as 0, as after a ReLU), p_i = a_i / sum a.
    Training samples one a_i with probability p_i; evaluation returns the expectation sum p_i a_i.
    Trailing positions that do not fill a window are dropped, as in ``MaxPool``.
    """
    spatial_dims = inputs.dim() - 2
    n, c, *sizes = inputs.shape
    out_sizes = [s // kernel_size for s in sizes]
    cropped = inputs
    for dim, size in enumerate(out_sizes, start=2):
        cropped = cropped.narrow(dim, 0, size * kernel_size)
    if spatial_dims == 1:
        windows = cropped.reshape(n, c, out_sizes[0], kernel_size)
    else:
        windows = cropped.reshape(n, c, out_sizes[0], kernel_size, out_sizes[1], kernel_size)
        windows = windows.permute(0, 1, 2, 4, 3, 5).reshape(n, c, out_sizes[0], out_sizes[1], kernel_size**2)
    activations = windows.clamp_min(0.0)
    total = activations.sum(dim=-1, keepdim=True)
    if not training:
        expectation = activations.pow(2).sum(dim=-1, keepdim=True) / torch.where(total > 0, total, 1.0)
        return expectation.squeeze(-1)
    flat = activations.detach().reshape(-1, activations.shape[-1])
    probabilities = torch.where(flat.sum(1, keepdim=True) > 0, flat, torch.ones_like(flat))
    index = torch.multinomial(probabilities, 1, generator=generator)
    return activations.reshape(-1, activations.shape[-1]).gather(1, index).reshape(activations.shape[:-1])


@POOLINGS.register("none", reference=_TORCH_DOCS.format("Identity"))
def none(spatial_dims: int) -> nn.Module:
    """No pooling (an identity layer).

    Args:
        spatial_dims: 0, 1 or 2 (unused).
    """
    return nn.Identity()


@POOLINGS.register("max", reference=_TORCH_DOCS.format("MaxPool2d"))
def max(spatial_dims: int, kernel_size: KernelSize = 2, stride: KernelSize | None = None) -> nn.Module:  # noqa: A001
    """Max pooling: the largest value of each window.

    Args:
        spatial_dims: 1 or 2.
        kernel_size: Window size.
        stride: Step between windows; default the kernel size.
    """
    _require_spatial("max", spatial_dims)
    return (nn.MaxPool1d if spatial_dims == 1 else nn.MaxPool2d)(kernel_size, stride)


@POOLINGS.register("avg", reference=_TORCH_DOCS.format("AvgPool2d"))
def avg(spatial_dims: int, kernel_size: KernelSize = 2, stride: KernelSize | None = None) -> nn.Module:
    """Average pooling: the mean of each window.

    Args:
        spatial_dims: 1 or 2.
        kernel_size: Window size.
        stride: Step between windows; default the kernel size.
    """
    _require_spatial("avg", spatial_dims)
    stride = kernel_size if stride is None else stride
    return (nn.AvgPool1d if spatial_dims == 1 else nn.AvgPool2d)(kernel_size, stride)


@POOLINGS.register(
    "lp",
    reference="Sermanet, Chintala & LeCun 2012, Convolutional Neural Networks Applied to House Numbers "
    "Digit Classification, arXiv:1204.3968; " + _TORCH_DOCS.format("LPPool2d"),
)
def lp(
    spatial_dims: int,
    norm_type: Annotated[float, Field(gt=0)] = 2.0,
    kernel_size: KernelSize = 2,
    stride: KernelSize | None = None,
) -> nn.Module:
    """Power-average (Lp) pooling: (sum of x^p over the window)^(1/p); p = inf is max, p = 1 sum pooling.

    Args:
        spatial_dims: 1 or 2.
        norm_type: The power p.
        kernel_size: Window size.
        stride: Step between windows; default the kernel size.
    """
    _require_spatial("lp", spatial_dims)
    return (nn.LPPool1d if spatial_dims == 1 else nn.LPPool2d)(norm_type, kernel_size, stride)


@POOLINGS.register(
    "global_max", reference="https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool2d.html"
)
def global_max(spatial_dims: int) -> nn.Module:
    """Global max pooling: the largest value of each channel over all positions.

    Args:
        spatial_dims: 1 or 2.
    """
    _require_spatial("global_max", spatial_dims)
    return nn.AdaptiveMaxPool1d(1) if spatial_dims == 1 else nn.AdaptiveMaxPool2d(1)


@POOLINGS.register(
    "global_avg",
    reference="Lin, Chen & Yan 2014, Network in Network, arXiv:1312.4400 (global average pooling)",
)
def global_avg(spatial_dims: int) -> nn.Module:
    """Global average pooling: the mean of each channel over all positions.

    Args:
        spatial_dims: 1 or 2.
    """
    _require_spatial("global_avg", spatial_dims)
    return nn.AdaptiveAvgPool1d(1) if spatial_dims == 1 else nn.AdaptiveAvgPool2d(1)


@POOLINGS.register(
    "stochastic",
    reference="Zeiler & Fergus 2013, Stochastic Pooling for Regularization of Deep Convolutional Neural Networks, "
    "arXiv:1301.3557",
)
class StochasticPool(nn.Module):
    """Stochastic pooling: sample an activation in proportion to its size; the weighted average at eval.

    See :func:`stochastic_pool`.

    Args:
        spatial_dims: 1 or 2.
        kernel_size: Window size; windows do not overlap.
    """

    def __init__(self, spatial_dims: int, kernel_size: KernelSize = 2):
        super().__init__()
        _require_spatial("stochastic", spatial_dims)
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return stochastic_pool(x, self.kernel_size, self.training)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}"


PoolSpec = Annotated[str | dict[str, Any], spec_validator(POOLINGS, provided=_PROVIDED)]


def make_pool(spec: ComponentSpec, spatial_dims: int, *, key: str = "pool") -> nn.Module:
    """Build a pooling layer from its name or from ``{"name": ..., **options}``.

    Raises:
        UnknownNameError: the name is not registered.
        ConfigError: an option is invalid, or the input has no spatial dimensions.
    """
    return build_from_spec(POOLINGS, spec, spatial_dims, key=key, provided=_PROVIDED)
