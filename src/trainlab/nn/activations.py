"""Activation functions by name: the ACTIVATIONS registry and ``make_activation``.

Every entry returns a fresh ``nn.Module`` so that a model's activations show up in
``model.named_modules()``, where forward hooks (and trainlab's instruments) can observe them.

No entry offers ``inplace=True``: an in-place activation overwrites the tensor a forward hook
or the residual path may still hold, and the memory it saves is negligible at this scale.

The ``smooth`` flag says whether the function is continuously differentiable everywhere;
gradient checks skip the kink of non-smooth functions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from torch import nn

from trainlab.nn._spec import ComponentSpec, build_from_spec, spec_validator
from trainlab.registry import ACTIVATIONS

_TORCH_DOCS = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"


@ACTIVATIONS.register(
    "identity",
    aliases=("linear",),
    reference=_TORCH_DOCS.format("Identity"),
    flags={"smooth": True},
)
def identity() -> nn.Module:
    """No nonlinearity: f(x) = x (a deep linear network, for ablations)."""
    return nn.Identity()


@ACTIVATIONS.register(
    "relu",
    reference="Nair & Hinton 2010, Rectified Linear Units Improve Restricted Boltzmann Machines (ICML); "
    "Glorot, Bordes & Bengio 2011, Deep Sparse Rectifier Neural Networks (AISTATS)",
    flags={"smooth": False},
)
def relu() -> nn.Module:
    """Rectified linear unit: f(x) = max(0, x)."""
    return nn.ReLU()


@ACTIVATIONS.register(
    "leaky_relu",
    reference="Maas, Hannun & Ng 2013, Rectifier Nonlinearities Improve Neural Network Acoustic Models (ICML WDLASL)",
    flags={"smooth": False},
)
def leaky_relu(negative_slope: Annotated[float, Field(ge=0)] = 0.01) -> nn.Module:
    """Leaky ReLU: f(x) = x for x >= 0, negative_slope * x otherwise; units cannot die.

    Args:
        negative_slope: Slope for negative inputs (0.01 in Maas et al.).
    """
    return nn.LeakyReLU(negative_slope=negative_slope)


@ACTIVATIONS.register(
    "gelu",
    reference="Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs), arXiv:1606.08415",
    flags={"smooth": True},
)
def gelu(approximate: Literal["none", "tanh"] = "none") -> nn.Module:
    """Gaussian error linear unit: f(x) = x * Phi(x), Phi the standard normal CDF.

    Args:
        approximate: ``"none"`` for the exact erf form, ``"tanh"`` for the paper's tanh
            approximation (the one GPT-2 used).
    """
    return nn.GELU(approximate=approximate)


@ACTIVATIONS.register(
    "tanh",
    reference="LeCun, Bottou, Orr & Mueller 1998, Efficient BackProp (Neural Networks: Tricks of the Trade); "
    + _TORCH_DOCS.format("Tanh"),
    flags={"smooth": True},
)
def tanh() -> nn.Module:
    """Hyperbolic tangent: f(x) = tanh(x), zero-centred and saturating at -1 and 1."""
    return nn.Tanh()


@ACTIVATIONS.register(
    "sigmoid",
    reference=_TORCH_DOCS.format("Sigmoid"),
    flags={"smooth": True},
)
def sigmoid() -> nn.Module:
    """Logistic sigmoid: f(x) = 1 / (1 + exp(-x)), saturating at 0 and 1."""
    return nn.Sigmoid()


@ACTIVATIONS.register(
    "silu",
    aliases=("swish",),
    reference="Elfwing, Uchibe & Doya 2018, Sigmoid-Weighted Linear Units for Neural Network Function "
    "Approximation in Reinforcement Learning, arXiv:1702.03118; Ramachandran, Zoph & Le 2017, "
    "Searching for Activation Functions, arXiv:1710.05941",
    flags={"smooth": True},
)
def silu() -> nn.Module:
    """Sigmoid linear unit (swish with beta = 1): f(x) = x * sigmoid(x)."""
    return nn.SiLU()


@ACTIVATIONS.register(
    "elu",
    reference="Clevert, Unterthiner & Hochreiter 2015, Fast and Accurate Deep Network Learning by "
    "Exponential Linear Units (ELUs), arXiv:1511.07289",
    flags={"smooth": False},
)
def elu(alpha: Annotated[float, Field(gt=0)] = 1.0) -> nn.Module:
    """Exponential linear unit: f(x) = x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args:
        alpha: Value the function saturates to (as -alpha) for very negative inputs. Only
            alpha = 1 makes the derivative continuous at 0, hence ``smooth`` is False.
    """
    return nn.ELU(alpha=alpha)


@ACTIVATIONS.register(
    "selu",
    reference="Klambauer, Unterthiner, Mayr & Hochreiter 2017, Self-Normalizing Neural Networks, arXiv:1706.02515",
    flags={"smooth": False},
)
def selu() -> nn.Module:
    """Scaled ELU: scale * elu(x, alpha) with the paper's fixed point constants.

    The self-normalising property also needs LeCun-normal initialisation and alpha dropout;
    with torch's default initialisation SELU is just a scaled ELU.
    """
    return nn.SELU()


@ACTIVATIONS.register(
    "softplus",
    reference="Dugas, Bengio, Belisle, Nadeau & Garcia 2001, Incorporating Second-Order Functional "
    "Knowledge for Better Option Pricing (NeurIPS); " + _TORCH_DOCS.format("Softplus"),
    flags={"smooth": True},
)
def softplus(
    beta: Annotated[float, Field(gt=0)] = 1.0,
    threshold: Annotated[float, Field(gt=0)] = 20.0,
) -> nn.Module:
    """Softplus, a smooth ReLU: f(x) = log(1 + exp(beta * x)) / beta.

    Args:
        beta: Sharpness; the function approaches ReLU as beta grows.
        threshold: Above ``beta * x > threshold`` the output is x itself, which avoids
            overflow in exp and equals the exact value to float precision.
    """
    return nn.Softplus(beta=beta, threshold=threshold)


@ACTIVATIONS.register(
    "mish",
    reference="Misra 2019, Mish: A Self Regularized Non-Monotonic Activation Function, arXiv:1908.08681",
    flags={"smooth": True},
)
def mish() -> nn.Module:
    """Mish: f(x) = x * tanh(softplus(x))."""
    return nn.Mish()


def _simple(name: str, module: type[nn.Module], description: str, reference: str, smooth: bool) -> None:
    """Register an option-free torch activation under ``name``."""

    def factory() -> nn.Module:
        return module()

    factory.__name__ = name
    ACTIVATIONS.add(name, factory, description=description, reference=reference, flags={"smooth": smooth})


_simple(
    "relu6",
    nn.ReLU6,
    "ReLU capped at 6: f(x) = min(max(0, x), 6).",
    "Krizhevsky 2010, Convolutional Deep Belief Networks on CIFAR-10; " + _TORCH_DOCS.format("ReLU6"),
    False,
)
_simple(
    "softsign",
    nn.Softsign,
    "Softsign: f(x) = x / (1 + |x|).",
    "Bergstra et al. 2009, Quadratic Polynomials Learn Better Image Features; "
    + _TORCH_DOCS.format("Softsign"),
    False,
)
_simple(
    "hardswish",
    nn.Hardswish,
    "Hard swish: f(x) = x * relu6(x + 3) / 6.",
    "Howard et al. 2019, Searching for MobileNetV3, arXiv:1905.02244",
    False,
)


@ACTIVATIONS.register(
    "prelu",
    reference="He, Zhang, Ren & Sun 2015, Delving Deep into Rectifiers, arXiv:1502.01852",
    flags={"smooth": False},
)
def prelu(init: float = 0.25) -> nn.Module:
    """Parametric ReLU: f(x) = max(0, x) + a * min(0, x) with one learned slope a.

    Args:
        init: Initial slope a (0.25 in the paper).
    """
    return nn.PReLU(num_parameters=1, init=init)


@ACTIVATIONS.register(
    "rrelu",
    reference="Xu, Wang, Chen & Li 2015, Empirical Evaluation of Rectified Activations "
    "in Convolutional Network, arXiv:1505.00853",
    flags={"smooth": False},
)
def rrelu(
    lower: Annotated[float, Field(ge=0)] = 1 / 8, upper: Annotated[float, Field(ge=0)] = 1 / 3
) -> nn.Module:
    """Randomized leaky ReLU: negative slope drawn from U(lower, upper) in training, their mean in eval.

    Args:
        lower: Lower bound of the slope.
        upper: Upper bound of the slope.
    """
    return nn.RReLU(lower=lower, upper=upper)


@ACTIVATIONS.register(
    "celu",
    reference="Barron 2017, Continuously Differentiable Exponential Linear Units, arXiv:1704.07483",
    flags={"smooth": True},
)
def celu(alpha: Annotated[float, Field(gt=0)] = 1.0) -> nn.Module:
    """CELU: f(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Args:
        alpha: Scale of the negative saturation.
    """
    return nn.CELU(alpha=alpha)


@ACTIVATIONS.register("softmax", reference=_TORCH_DOCS.format("Softmax"), flags={"smooth": True})
def softmax() -> nn.Module:
    """Softmax over the channel dimension (dim 1): f(x)_i = exp(x_i) / sum_j exp(x_j)."""
    return nn.Softmax(dim=1)


@ACTIVATIONS.register("log_softmax", reference=_TORCH_DOCS.format("LogSoftmax"), flags={"smooth": True})
def log_softmax() -> nn.Module:
    """Log-softmax over the channel dimension (dim 1): f(x)_i = x_i - log sum_j exp(x_j)."""
    return nn.LogSoftmax(dim=1)


# An option annotated with this type accepts ``"gelu"`` or ``{"name": "leaky_relu", "negative_slope": 0.1}``
# and is checked against the registry when the options are validated.
ActivationSpec = Annotated[str | dict[str, Any], spec_validator(ACTIVATIONS)]


def make_activation(spec: ComponentSpec, *, key: str = "activation") -> nn.Module:
    """Build an activation from its name or from ``{"name": ..., **options}``.

    Args:
        spec: A registered name or alias (``"relu"``, ``"swish"``) or a mapping with a
            ``"name"`` key and the activation's options.
        key: Where the user wrote the spec (e.g. ``"model.activation"``), used in errors.

    Returns:
        A new ``nn.Module``.

    Raises:
        UnknownNameError: the name is not registered; the message suggests the closest ones.
        ConfigError: an option is unknown or out of range.

    Example:
        >>> make_activation({"name": "leaky_relu", "negative_slope": 0.2})
        LeakyReLU(negative_slope=0.2)
    """
    return build_from_spec(ACTIVATIONS, spec, key=key)
