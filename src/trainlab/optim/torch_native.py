"""torch's built-in optimizers, registered under the canon's names with the catalog-wide options."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field

from trainlab.optim._common import (
    Beta,
    Implementation,
    NonNegativeFloat,
    Params,
    PositiveFloat,
    WeightDecayMode,
    catalog_options,
    torch_implementation,
    with_weight_decay,
)
from trainlab.registry import OPTIMIZERS

TORCH_DOCS = "https://pytorch.org/docs/stable/generated/torch.optim.{}.html"


def _build(
    cls: type,
    params: Params,
    *,
    weight_decay: float = 0.0,
    weight_decay_mode: str | None = None,
    native_mode: str | None = "l2",
    implementation: str = "auto",
    **kwargs,
) -> torch.optim.Optimizer:
    groups = list(params)
    kwargs.update(torch_implementation(cls, groups, implementation))
    return with_weight_decay(
        cls,
        groups,
        weight_decay=weight_decay,
        mode=weight_decay_mode or native_mode,
        native_mode=native_mode,
        **kwargs,
    )


# ---- SGD family -------------------------------------------------------------------------------


@OPTIMIZERS.register(
    "sgd",
    reference="Robbins & Monro 1951, A Stochastic Approximation Method",
    flags={"family": "sgd", "has_momentum": False},
)
@catalog_options
def sgd(
    params: Params,
    lr: PositiveFloat = 0.1,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Plain stochastic gradient descent: w ← w − lr·g.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: ``l2`` adds weight_decay·w to the gradient; ``decoupled`` shrinks w by lr·weight_decay.
        implementation: auto, fused, foreach or loop.
    """
    return _build(
        torch.optim.SGD,
        params,
        lr=lr,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "momentum",
    reference="Polyak 1964, Some methods of speeding up the convergence of iteration methods",
    flags={"family": "sgd", "has_momentum": True},
)
@catalog_options
def momentum(
    params: Params,
    lr: PositiveFloat = 0.05,
    momentum: Beta = 0.9,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """SGD with heavy-ball momentum: v ← μv + g, w ← w − lr·v.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        momentum: Momentum coefficient μ.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, fused, foreach or loop.
    """
    return _build(
        torch.optim.SGD,
        params,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "nesterov",
    reference="Sutskever et al. 2013, On the importance of initialization and momentum in deep learning",
    flags={"family": "sgd", "has_momentum": True},
)
@catalog_options
def nesterov(
    params: Params,
    lr: PositiveFloat = 0.05,
    momentum: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.9,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum: the gradient step looks ahead along the velocity.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        momentum: Momentum coefficient (must be > 0 for Nesterov).
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, fused, foreach or loop.
    """
    return _build(
        torch.optim.SGD,
        params,
        lr=lr,
        momentum=momentum,
        nesterov=True,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "asgd",
    reference="Polyak & Juditsky 1992, Acceleration of Stochastic Approximation by Averaging",
    flags={"family": "sgd"},
)
@catalog_options
def asgd(
    params: Params,
    lr: PositiveFloat = 0.01,
    lambd: NonNegativeFloat = 1e-4,
    alpha: NonNegativeFloat = 0.75,
    t0: NonNegativeFloat = 1e6,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Averaged SGD: SGD whose iterates are averaged after step t0 (the average is kept in the state as ``ax``).

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        lambd: Decay term of the step size.
        alpha: Power of the step-size decay.
        t0: Step at which averaging starts.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _build(
        torch.optim.ASGD,
        params,
        lr=lr,
        lambd=lambd,
        alpha=alpha,
        t0=t0,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


# ---- adaptive per-coordinate methods -----------------------------------------------------------


@OPTIMIZERS.register(
    "adagrad",
    reference="Duchi et al. 2011, Adaptive Subgradient Methods for Online Learning and Stochastic Optimization",
    flags={"family": "adaptive"},
)
@catalog_options
def adagrad(
    params: Params,
    lr: PositiveFloat = 0.01,
    eps: PositiveFloat = 1e-10,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Adagrad: per-coordinate steps scaled by the root of the summed squared gradients.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, fused, foreach or loop.
    """
    return _build(
        torch.optim.Adagrad,
        params,
        lr=lr,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "adadelta",
    reference="Zeiler 2012, ADADELTA: An Adaptive Learning Rate Method",
    flags={"family": "adaptive"},
)
@catalog_options
def adadelta(
    params: Params,
    lr: PositiveFloat = 1.0,
    rho: Beta = 0.9,
    eps: PositiveFloat = 1e-6,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Scale applied to the update.
        rho: Decay of the running averages.
        eps: Added inside the square roots.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _build(
        torch.optim.Adadelta,
        params,
        lr=lr,
        rho=rho,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


def _rmsprop(params: Params, centered: bool, **kwargs) -> torch.optim.Optimizer:
    return _build(torch.optim.RMSprop, params, centered=centered, **kwargs)


@OPTIMIZERS.register(
    "rmsprop",
    reference="Tieleman & Hinton 2012, Lecture 6.5 - RMSProp, COURSERA: Neural Networks for Machine Learning",
    flags={"family": "adaptive"},
)
@catalog_options
def rmsprop(
    params: Params,
    lr: PositiveFloat = 1e-3,
    alpha: Beta = 0.99,
    eps: PositiveFloat = 1e-8,
    momentum: Beta = 0.0,
    centered: bool = False,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """RMSprop: steps scaled by a running root-mean-square of the gradients.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        alpha: Decay of the squared-gradient average.
        eps: Added to the denominator for numerical stability.
        momentum: Momentum on the scaled step.
        centered: Divide by the gradient's running variance instead of its second moment.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _rmsprop(
        params,
        centered,
        lr=lr,
        alpha=alpha,
        eps=eps,
        momentum=momentum,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "centered_rmsprop",
    reference="Graves 2013, Generating Sequences With Recurrent Neural Networks (eq. 38-41)",
    flags={"family": "adaptive"},
    aliases=("rmsprop_centered",),
)
@catalog_options
def centered_rmsprop(
    params: Params,
    lr: PositiveFloat = 1e-3,
    alpha: Beta = 0.99,
    eps: PositiveFloat = 1e-8,
    momentum: Beta = 0.0,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Centered RMSprop: divides by the running variance of the gradient, E[g²] − E[g]².

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        alpha: Decay of the gradient averages.
        eps: Added to the denominator for numerical stability.
        momentum: Momentum on the scaled step.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _rmsprop(
        params,
        True,
        lr=lr,
        alpha=alpha,
        eps=eps,
        momentum=momentum,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "rprop",
    reference="Riedmiller & Braun 1993, A direct adaptive method for faster backpropagation learning: the RPROP algorithm",
    flags={"family": "adaptive", "full_batch": True},
)
@catalog_options
def rprop(
    params: Params,
    lr: PositiveFloat = 0.01,
    eta_minus: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5,
    eta_plus: Annotated[float, Field(gt=1.0)] = 1.2,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Rprop: per-coordinate step sizes grown or shrunk by the sign agreement of successive gradients.

    Meant for full-batch training; torch's Rprop has no decay of its own, so trainlab applies it.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Initial step size.
        eta_minus: Step-size factor after a sign change.
        eta_plus: Step-size factor when the sign is kept.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _build(
        torch.optim.Rprop,
        params,
        lr=lr,
        etas=(eta_minus, eta_plus),
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        native_mode=None,
        implementation=implementation,
    )


# ---- Adam family ----------------------------------------------------------------------------------


def _adam(
    cls: type, params: Params, *, beta1: float, beta2: float, weight_decay_mode: str, **kwargs
) -> torch.optim.Optimizer:
    # torch.optim.Adam does both modes itself: decoupled_weight_decay=True is AdamW.
    return _build(
        cls,
        params,
        betas=(beta1, beta2),
        weight_decay_mode=weight_decay_mode,
        native_mode=weight_decay_mode,
        **(
            {"decoupled_weight_decay": weight_decay_mode == "decoupled"}
            if cls is not torch.optim.Adamax
            else {}
        ),
        **kwargs,
    )


@OPTIMIZERS.register(
    "adam",
    reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def adam(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Adam: bias-corrected first and second moment estimates of the gradient.

    With the default ``weight_decay_mode: l2`` the penalty is added to the gradient, which Adam's
    scaling weakens for parameters with large gradients; ``decoupled`` makes it AdamW.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, fused, foreach or loop.
    """
    return _adam(
        torch.optim.Adam,
        params,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "adamw",
    reference="Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def adamw(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.01,
    weight_decay_mode: WeightDecayMode = "decoupled",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """AdamW: Adam with weight decay applied to the weights directly, outside the adaptive scaling.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decoupled decay rate; each step multiplies weights by (1 − lr·weight_decay).
        weight_decay_mode: decoupled (default) or l2.
        implementation: auto, fused, foreach or loop.
    """
    return _adam(
        torch.optim.Adam,
        params,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "amsgrad",
    reference="Reddi et al. 2018, On the Convergence of Adam and Beyond",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def amsgrad(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """AMSGrad: Adam that divides by the running maximum of the second moment, so steps never grow.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, fused, foreach or loop.
    """
    return _adam(
        torch.optim.Adam,
        params,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        amsgrad=True,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "nadam",
    reference="Dozat 2016, Incorporating Nesterov Momentum into Adam",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def nadam(
    params: Params,
    lr: PositiveFloat = 2e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    momentum_decay: NonNegativeFloat = 4e-3,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """NAdam: Adam with a Nesterov look-ahead on the first moment.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        momentum_decay: Momentum schedule decay ψ.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _adam(
        torch.optim.NAdam,
        params,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        momentum_decay=momentum_decay,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "radam",
    reference="Liu et al. 2020, On the Variance of the Adaptive Learning Rate and Beyond",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def radam(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """RAdam: Adam with the adaptive step rectified while the second-moment estimate is high-variance.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the second-moment average.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _adam(
        torch.optim.RAdam,
        params,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "adamax",
    reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization (section 7.1)",
    flags={"family": "adam", "has_betas": True},
)
@catalog_options
def adamax(
    params: Params,
    lr: PositiveFloat = 2e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Adamax: Adam with the infinity norm in place of the second moment.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first-moment average.
        beta2: Decay of the running maximum.
        eps: Added to the denominator for numerical stability.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 or decoupled.
        implementation: auto, foreach or loop.
    """
    return _build(
        torch.optim.Adamax,
        params,
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        implementation=implementation,
    )


@OPTIMIZERS.register(
    "adafactor",
    reference="Shazeer & Stern 2018, Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
    flags={"family": "adam"},
)
@catalog_options
def adafactor(
    params: Params,
    lr: PositiveFloat = 1e-2,
    beta2_decay: Annotated[float, Field(le=0.0)] = -0.8,
    eps: PositiveFloat = 1e-3,
    clip_threshold: PositiveFloat = 1.0,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "decoupled",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Adafactor: a factored (row and column) second moment, so optimizer memory is sublinear.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate (relative step, scaled by the parameter's RMS).
        beta2_decay: Exponent of the second-moment decay schedule.
        eps: Floor of the parameter RMS used to scale the step.
        clip_threshold: Update clipping threshold d.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (torch's, default) or l2.
        implementation: auto, foreach or loop.
    """
    return _build(
        torch.optim.Adafactor,
        params,
        lr=lr,
        beta2_decay=beta2_decay,
        eps=(None, eps),
        d=clip_threshold,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        native_mode="decoupled",
        implementation=implementation,
    )


# ---- quasi-Newton ---------------------------------------------------------------------------------


@OPTIMIZERS.register(
    "lbfgs",
    reference="Liu & Nocedal 1989, On the limited memory BFGS method for large scale optimization",
    flags={"family": "quasi_newton", "needs_closure": True, "full_batch": True},
)
@catalog_options
def lbfgs(
    params: Params,
    lr: PositiveFloat = 1.0,
    max_iter: Annotated[int, Field(ge=1)] = 20,
    history_size: Annotated[int, Field(ge=1)] = 10,
    line_search: bool = True,
) -> torch.optim.Optimizer:
    """L-BFGS: a quasi-Newton direction from the last gradient differences; best full batch.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Step length (1 with the line search).
        max_iter: Inner iterations per optimizer step.
        history_size: Number of gradient differences kept.
        line_search: Use the strong-Wolfe line search.
    """
    return torch.optim.LBFGS(
        all_param_tensors(params),
        lr=lr,
        max_iter=max_iter,
        history_size=history_size,
        line_search_fn="strong_wolfe" if line_search else None,
    )


def all_param_tensors(groups: Params) -> list[torch.Tensor]:
    """LBFGS takes one group only: flatten the catalog's groups."""
    return [p for g in groups for p in (g["params"] if isinstance(g, dict) else [g])]
