"""Weight initialization by name: the INITS registry and ``apply_init``.

A recipe's ``init:`` is one spec or a list; each spec may carry ``pattern`` (shell-style, on
module names) and ``bias`` (the value biases are set to; 0 unless told otherwise); every
initializer takes both options::

    init: kaiming_normal
    init: [{name: kaiming_normal, nonlinearity: relu}, {name: zeros, pattern: head}]

Specs apply in order, so a later, narrower pattern overrides an earlier one. Linear,
convolution and recurrent (GRU, LSTM, RNN) layers are initialised; norm scales stay 1 and
shifts 0.

Every built-in model also takes ``init`` as an option (``model: {name: mlp, init: xavier_uniform}``),
applied when the model is built; a recipe-level ``init:`` applies afterwards, so it wins where
both reach a layer.
"""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, cast

import torch
from pydantic import Field
from torch import nn

from trainlab._shared_options import WithSharedOptions
from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import check_spec, spec_validator
from trainlab.registry import new_registry

INITS = new_registry("init")
_TORCH = "https://pytorch.org/docs/stable/nn.init.html"
WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.RNNBase)
FanMode = Literal["fan_in", "fan_out"]
Nonlinearity = Literal["relu", "leaky_relu", "linear", "tanh", "sigmoid", "selu", "conv1d", "conv2d"]


class Initializer:
    """Fills the weights of the layers it is applied to; ``bias`` is the value for biases, ``pattern`` picks layers.

    A weight under a parametrization (weight norm, DropConnect) is filled as a fresh tensor and
    assigned, so the parametrization stores it through its ``right_inverse``.
    """

    def __init__(self, fill: Callable[[torch.Tensor], Any], bias: float = 0.0, pattern: str = "*"):
        self.fill = fill
        self.bias = bias
        self.pattern = pattern

    @torch.no_grad()
    def __call__(self, module: nn.Module) -> None:
        if isinstance(module, nn.RNNBase):  # weight_ih_l0, weight_hh_l0, bias_ih_l0, ... per layer
            for name, parameter in module.named_parameters():
                if name.startswith("weight"):
                    self.fill(parameter)
                else:
                    nn.init.constant_(parameter, self.bias)
            return
        weight = cast(torch.Tensor, module.weight)
        if nn.utils.parametrize.is_parametrized(module, "weight"):
            weight = torch.empty_like(weight)
            self.fill(weight)
            module.weight = weight
        else:
            self.fill(weight)
        bias = getattr(module, "bias", None)
        if isinstance(bias, torch.Tensor):
            nn.init.constant_(bias, self.bias)


def _initializer(
    fill: Callable[..., Any], *, bias: float = 0.0, pattern: str = "*", **options: Any
) -> Initializer:
    """The options every initializer takes.

    Args:
        bias: The value biases are set to.
        pattern: Shell-style pattern on module names (``model.named_modules()``) that picks the
            layers; default every linear, conv and recurrent layer.
    """
    return Initializer(functools.partial(fill, **options), bias, pattern)


def _register(name: str, reference: str, aliases: tuple[str, ...] = ()):
    """Register a fill rule ``fill(weight, **options)`` as an initializer that also takes ``bias`` and ``pattern``."""

    def decorator(fill: Callable[..., Any]) -> Callable[..., Any]:
        factory = WithSharedOptions(fill, _initializer, supplied=("weight",))
        INITS.add(name, factory, reference=reference, aliases=aliases)
        return fill

    return decorator


@_register("zeros", _TORCH)
def zeros(weight: torch.Tensor) -> None:
    """All weights 0 (a symmetric start: only for output layers or ablations)."""
    nn.init.zeros_(weight)


@_register("constant", _TORCH)
def constant(weight: torch.Tensor, value: float = 0.0) -> None:
    """All weights equal to ``value``.

    Args:
        value: The weight value.
    """
    nn.init.constant_(weight, value)


@_register("normal", _TORCH)
def normal(weight: torch.Tensor, mean: float = 0.0, std: Annotated[float, Field(gt=0)] = 1.0) -> None:
    """Weights drawn from N(mean, std^2); N(0, 1) by default.

    Args:
        mean: Mean.
        std: Standard deviation.
    """
    nn.init.normal_(weight, mean, std)


@_register("uniform", _TORCH)
def uniform(weight: torch.Tensor, low: float = -1.0, high: float = 1.0) -> None:
    """Weights drawn from U(low, high).

    Args:
        low: Lower bound.
        high: Upper bound.
    """
    nn.init.uniform_(weight, low, high)


_XAVIER = "Glorot & Bengio 2010, Understanding the Difficulty of Training Deep Feedforward Neural Networks (AISTATS)"
_KAIMING = "He, Zhang, Ren & Sun 2015, Delving Deep into Rectifiers, arXiv:1502.01852"


@_register("xavier_uniform", _XAVIER, aliases=("glorot_uniform",))
def xavier_uniform(weight: torch.Tensor, gain: Annotated[float, Field(gt=0)] = 1.0) -> None:
    """Xavier/Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Args:
        gain: Scale for the nonlinearity (``torch.nn.init.calculate_gain``).
    """
    nn.init.xavier_uniform_(weight, gain)


@_register("xavier_normal", _XAVIER, aliases=("glorot_normal",))
def xavier_normal(weight: torch.Tensor, gain: Annotated[float, Field(gt=0)] = 1.0) -> None:
    """Xavier/Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)).

    Args:
        gain: Scale for the nonlinearity.
    """
    nn.init.xavier_normal_(weight, gain)


@_register("kaiming_uniform", _KAIMING, aliases=("he_uniform",))
def kaiming_uniform(
    weight: torch.Tensor,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "relu",
    negative_slope: float = 0.0,
) -> None:
    """Kaiming/He uniform: U(-b, b), b = gain * sqrt(3 / fan), keeping activation (fan_in) or gradient variance.

    Args:
        mode: ``fan_in`` preserves the forward variance, ``fan_out`` the backward one.
        nonlinearity: The activation that follows, for the gain.
        negative_slope: Slope of leaky_relu.
    """
    nn.init.kaiming_uniform_(weight, negative_slope, mode, nonlinearity)


@_register("kaiming_normal", _KAIMING, aliases=("he_normal",))
def kaiming_normal(
    weight: torch.Tensor,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "relu",
    negative_slope: float = 0.0,
) -> None:
    """Kaiming/He normal: N(0, gain^2 / fan), gain sqrt(2) for ReLU.

    Args:
        mode: ``fan_in`` preserves the forward variance, ``fan_out`` the backward one.
        nonlinearity: The activation that follows, for the gain.
        negative_slope: Slope of leaky_relu.
    """
    nn.init.kaiming_normal_(weight, negative_slope, mode, nonlinearity)


@_register(
    "lecun_normal",
    "LeCun, Bottou, Orr & Muller 1998, Efficient BackProp; Klambauer et al. 2017 (SELU), arXiv:1706.02515",
)
def lecun_normal(weight: torch.Tensor) -> None:
    """LeCun normal: N(0, 1 / fan_in), the init self-normalizing (SELU) networks need."""
    fan_in = weight[0].numel()
    nn.init.normal_(weight, 0.0, 1.0 / math.sqrt(fan_in))


@_register(
    "orthogonal",
    "Saxe, McClelland & Ganguli 2014, Exact Solutions to the Nonlinear Dynamics of Learning "
    "in Deep Linear Neural Networks, arXiv:1312.6120",
)
def orthogonal(weight: torch.Tensor, gain: Annotated[float, Field(gt=0)] = 1.0) -> None:
    """(Semi-)orthogonal weights, scaled by ``gain``; conv kernels are flattened to (out, in * k).

    Args:
        gain: Scale factor.
    """
    nn.init.orthogonal_(weight, gain)


@_register("sparse", "Martens 2010, Deep Learning via Hessian-free Optimization (ICML)")
def sparse(
    weight: torch.Tensor,
    sparsity: Annotated[float, Field(ge=0, lt=1)] = 0.1,
    std: Annotated[float, Field(gt=0)] = 0.01,
) -> None:
    """Sparse init: N(0, std^2) weights with a fraction ``sparsity`` of each column set to zero.

    Args:
        sparsity: Fraction of zero entries per column.
        std: Standard deviation of the non-zero entries.
    """
    # torch's sparse_ wants a matrix; a conv kernel is its (out, in * k) matrix.
    nn.init.sparse_(weight.view(weight.shape[0], -1), sparsity, std)


@_register(
    "dirac",
    "Zagoruyko & Komodakis 2017, DiracNets: Training Very Deep Neural Networks Without Skip-"
    "Connections, arXiv:1706.00388",
)
def dirac(weight: torch.Tensor) -> None:
    """Dirac (identity) init: convolutions pass their input channels through; linear layers get the identity."""
    if weight.dim() == 2:
        nn.init.eye_(weight)  # the identity is what dirac means for a linear layer
    else:
        nn.init.dirac_(weight)


@_register(
    "zero_init_residual",
    "Goyal et al. 2017, Accurate, Large Minibatch SGD, arXiv:1706.02677; "
    "Zhang, Dauphin & Ma 2019, Fixup Initialization, arXiv:1901.09321",
)
def zero_init_residual(weight: torch.Tensor) -> None:
    """Zero the last layer of every residual branch, so each block starts as the identity (other layers kept)."""
    nn.init.zeros_(weight)


# An option annotated with this type accepts ``"kaiming_normal"`` or ``{"name": ..., "pattern": ...}``.
InitSpec = Annotated[str | dict[str, Any], spec_validator(INITS)]


def _residual_branch_ends(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The last weight layer of each module that has a ``branch`` (trainlab's ResidualBlock)."""
    ends: list[tuple[str, nn.Module]] = []
    for name, module in model.named_modules():
        branch = getattr(module, "branch", None)
        if isinstance(branch, nn.Module):
            layers = [
                (f"{name}.branch.{n}", m) for n, m in branch.named_modules() if isinstance(m, WEIGHT_LAYERS)
            ]
            if layers:
                ends.append(layers[-1])
    return ends


ModelInit = InitSpec | list[InitSpec] | None  # a model's ``init`` option: one spec, a list, or none


def apply_init(model: nn.Module, specs: Any, *, key: str = "init") -> nn.Module:
    """Initialise ``model``'s linear and conv layers from one spec or a list, in place.

    Raises:
        ConfigError: a spec is invalid, or its pattern matches no layer (naming the key and the layer names).
    """
    if specs is None:
        return model
    items = list(specs) if isinstance(specs, Sequence) and not isinstance(specs, str) else [specs]
    problems = []
    for index, spec in enumerate(items):
        item_key = key if len(items) == 1 else f"{key}[{index}]"
        entry, converted = check_spec(INITS, spec, key=item_key)
        initializer = entry.factory(**converted)
        pattern = initializer.pattern
        if entry.name == "zero_init_residual":
            targets = [(n, m) for n, m in _residual_branch_ends(model) if fnmatch.fnmatchcase(n, pattern)]
        else:
            targets = [
                (n, m)
                for n, m in model.named_modules()
                if isinstance(m, WEIGHT_LAYERS) and fnmatch.fnmatchcase(n, pattern)
            ]
        if not targets:
            names = [n for n, m in model.named_modules() if isinstance(m, WEIGHT_LAYERS)]
            what = "residual branch" if entry.name == "zero_init_residual" else "linear or conv layer"
            problems.append(
                Problem(
                    f"{item_key}.pattern" if pattern != "*" else item_key,
                    f"matches no {what}; layers: {', '.join(names[:12])}",
                )
            )
            continue
        for _, module in targets:
            initializer(module)
    if problems:
        raise ConfigError(problems)
    return model
