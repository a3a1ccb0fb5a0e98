"""LARS: SGD with momentum and a layer-wise trust ratio (You et al. 2017)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._common import (
    Beta,
    Implementation,
    NonNegativeFloat,
    Params,
    PositiveFloat,
    WeightDecayMode,
    catalog_options,
    evaluate_closure,
    own_implementation,
)
from trainlab.optim._flat import FlatGroup, families_with_flat_parts
from trainlab.registry import OPTIMIZERS


class Lars(torch.optim.Optimizer):
    r"""LARS, You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks".

    Update rule (Algorithm 1 of the paper), per tensor (layer) w with global rate γ:

    .. math::
        λ = η \frac{‖w‖}{‖∇L(w)‖ + β‖w‖} \\
        v ← m v + γ λ (∇L(w) + β w) \\
        w ← w − v

    η is the trust coefficient and β the weight decay; λ is taken as 1 when either norm is zero.
    ``weight_decay_mode="l2"`` is the paper's (β inside the trust-scaled step);
    ``decoupled`` shrinks w by ``1 − γβ`` and leaves the trust ratio to the gradient alone.

    Args:
        params: Parameters or parameter groups.
        lr: γ.
        momentum: m.
        weight_decay: β.
        weight_decay_mode: ``l2`` (the paper) or ``decoupled``.
        trust_coefficient: η.
        eps: Added to the trust ratio's denominator.
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 0.1,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "l2",
        trust_coefficient: float = 1e-3,
        eps: float = 1e-8,
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or not 0.0 <= momentum < 1.0 or weight_decay < 0 or trust_coefficient <= 0:
            raise ValueError(
                f"invalid LARS options: lr={lr}, momentum={momentum}, weight_decay={weight_decay}"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            weight_decay_mode=weight_decay_mode,
            trust_coefficient=trust_coefficient,
            eps=eps,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = evaluate_closure(closure)
        for family, parts in families_with_flat_parts(self, "LARS"):
            group = family[0]
            for flat in parts:
                _lars(
                    flat,
                    flat.bind_state(self, "momentum_buffer"),
                    lr=group["lr"],
                    momentum=group["momentum"],
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    trust_coefficient=group["trust_coefficient"],
                    eps=group["eps"],
                )
        return loss


def _lars(
    flat: FlatGroup,
    buffer: torch.Tensor,
    *,
    lr: float,
    momentum: float,
    decoupled: bool,
    trust_coefficient: float,
    eps: float,
) -> None:
    param, grad, layout, weight_decay = flat.param, flat.grad, flat.layout, flat.weight_decay
    weight_norms = layout.norms(param)
    grad_norms = layout.norms(grad)
    denominators = grad_norms + eps
    if weight_decay is not None and not decoupled:
        denominators.addcmul_(weight_decay, weight_norms)
    flat.apply_weight_decay(lr, decoupled)
    trust = torch.where(
        (weight_norms > 0) & (grad_norms > 0), trust_coefficient * weight_norms / denominators, 1.0
    )
    buffer.mul_(momentum)
    layout.add_scaled_(buffer, flat.grad, trust.mul_(lr))
    param.sub_(buffer)


@OPTIMIZERS.register(
    "lars",
    reference="You, Gitman & Ginsburg 2017, Large Batch Training of Convolutional Networks",
    flags={"family": "sgd", "has_momentum": True, "layerwise": True, "ours": True},
)
@catalog_options
def lars(
    params: Params,
    lr: PositiveFloat = 1.0,
    momentum: Beta = 0.9,
    weight_decay: NonNegativeFloat = 5e-4,
    weight_decay_mode: WeightDecayMode = "l2",
    trust_coefficient: PositiveFloat = 1e-3,
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """LARS: momentum SGD with each layer's step scaled by its weight-to-gradient norm ratio.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Global learning rate (the trust coefficient makes effective steps ~1000× smaller).
        momentum: Momentum coefficient.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: l2 (the paper) or decoupled.
        trust_coefficient: η, the trust coefficient.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return Lars(
        params,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        trust_coefficient=trust_coefficient,
        foreach=own_implementation(implementation),
    )
