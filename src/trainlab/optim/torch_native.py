"""torch's built-in first-order optimizers, registered under the canon's names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import torch
from pydantic import Field

from trainlab.registry import OPTIMIZERS

PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
Params = Iterable[Any]


@OPTIMIZERS.register(
    "sgd",
    reference="Robbins & Monro 1951, A Stochastic Approximation Method",
    flags={"family": "sgd", "has_momentum": False},
)
def sgd(params: Params, lr: PositiveFloat = 0.1, weight_decay: NonNegativeFloat = 0.0) -> torch.optim.Optimizer:
    """Plain stochastic gradient descent: w ← w − lr·g.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)


@OPTIMIZERS.register(
    "momentum",
    reference="Polyak 1964, Some methods of speeding up the convergence of iteration methods",
    flags={"family": "sgd", "has_momentum": True},
)
def momentum(
    params: Params, lr: PositiveFloat = 0.05, momentum: Beta = 0.9, weight_decay: NonNegativeFloat = 0.0
) -> torch.optim.Optimizer:
    """SGD with heavy-ball momentum: v ← μv + g, w ← w − lr·v.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum coefficient μ.
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


@OPTIMIZERS.register(
    "nesterov",
    reference="Sutskever et al. 2013, On the importance of initialization and momentum in deep learning",
    flags={"family": "sgd", "has_momentum": True},
)
def nesterov(
    params: Params, lr: PositiveFloat = 0.05, momentum: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.9,
    weight_decay: NonNegativeFloat = 0.0,
) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum: the gradient step looks ahead along the velocity.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        momentum: Momentum coefficient (must be > 0 for Nesterov).
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay)


@OPTIMIZERS.register(
    "adagrad",
    reference="Duchi et al. 2011, Adaptive Subgradient Methods for Online Learning and Stochastic Optimization",
    flags={"family": "adaptive"},
)
def adagrad(
    params: Params, lr: PositiveFloat = 0.01, eps: PositiveFloat = 1e-10, weight_decay: NonNegativeFloat = 0.0
) -> torch.optim.Optimizer:
    """Adagrad: per-coordinate steps scaled by the root of the summed squared gradients.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        eps: Added to the denominator for numerical stability.
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=weight_decay)


@OPTIMIZERS.register(
    "rmsprop",
    reference="Tieleman & Hinton 2012, Lecture 6.5 - RMSProp, COURSERA: Neural Networks for Machine Learning",
    flags={"family": "adaptive"},
)
def rmsprop(
    params: Params, lr: PositiveFloat = 1e-3, alpha: Beta = 0.99, eps: PositiveFloat = 1e-8,
    momentum: Beta = 0.0, centered: bool = False, weight_decay: NonNegativeFloat = 0.0,
) -> torch.optim.Optimizer:
    """RMSprop: steps scaled by a running root-mean-square of the gradients.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        alpha: Decay of the squared-gradient average.
        eps: Added to the denominator for numerical stability.
        momentum: Momentum on the scaled step.
        centered: Divide by the gradient's running variance instead of its second moment.
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.RMSprop(
        params, lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered, weight_decay=weight_decay
    )


@OPTIMIZERS.register(
    "adam",
    reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization",
    flags={"family": "adam", "has_betas": True},
)
def adam(
    params: Params, lr: PositiveFloat = 1e-3, beta1: Beta = 0.9, beta2: Beta = 0.999, eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
) -> torch.optim.Optimizer:
    """Adam: bias-corrected first and second moment estimates of the gradient.

    ``weight_decay`` here is an L2 penalty added to the gradient (coupled), which Adam's
    scaling weakens for parameters with large gradients; see ``adamw`` for decoupled decay.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: L2 penalty coefficient added to the gradient.
    """
    return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)


@OPTIMIZERS.register(
    "adamw",
    reference="Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization",
    flags={"family": "adam", "has_betas": True},
)
def adamw(
    params: Params, lr: PositiveFloat = 1e-3, beta1: Beta = 0.9, beta2: Beta = 0.999, eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.01,
) -> torch.optim.Optimizer:
    """AdamW: Adam with weight decay applied to the weights directly, outside the adaptive scaling.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decoupled decay rate; each step multiplies weights by (1 − lr·weight_decay).
    """
    return torch.optim.AdamW(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
