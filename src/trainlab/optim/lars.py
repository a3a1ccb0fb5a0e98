"""LARS: SGD with momentum and a layer-wise trust ratio (You et al. 2017)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, NonNegativeFloat, Params, PositiveFloat, WeightDecayMode, registered
from trainlab.optim._flat import each_family, evaluate_closure
from trainlab.optim._segments import ONE_TENSOR, Segments, is_zero


def lars_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    momentum_buffer: torch.Tensor,
    *,
    lr: float,
    momentum: float,
    trust_coefficient: float,
    eps: float = 0.0,
    weight_decay: float | torch.Tensor = 0.0,
    decoupled: bool = False,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One LARS step (Algorithm 1 of the paper), in place on ``param`` and ``momentum_buffer``; per tensor (layer) w:

    .. math::
        λ = η \frac{‖w‖}{‖∇L(w)‖ + β‖w‖} \\
        v ← m v + γ λ (∇L(w) + β w) \\
        w ← w − v

    with global rate γ, trust coefficient η and weight decay β; λ is taken as 1 where either norm
    is zero, and ε is added to its denominator. ``decoupled=True`` instead shrinks w by 1 − γβ
    and leaves the trust ratio to the gradient alone.

    Args:
        param: w.
        grad: ∇L(w) (not modified).
        momentum_buffer: v.
        lr: γ.
        momentum: m.
        trust_coefficient: η.
        eps: ε.
        weight_decay: β, one value or one per tensor of ``segments``.
        decoupled: Shrink w beside the step instead of β inside it (the paper).
        segments: The tensors (layers) ``param`` holds; each gets its own trust ratio.
    """
    decay = segments.expand(weight_decay)
    weight_norm = segments.norms(param)
    grad_norm = segments.norms(grad)
    if decoupled or is_zero(decay):
        local_lr = trust_coefficient * weight_norm / (grad_norm + eps)
    else:
        local_lr = trust_coefficient * weight_norm / (grad_norm + weight_decay * weight_norm + eps)
        grad = grad + decay * param
    if decoupled and not is_zero(decay):
        param.mul_(1.0 - lr * decay)
    trust = torch.where((weight_norm > 0) & (grad_norm > 0), local_lr, 1.0)
    momentum_buffer.mul_(momentum).addcmul_(segments.expand(trust), grad, value=lr)
    param.sub_(momentum_buffer)


@registered(
    "lars",
    reference="You, Gitman & Ginsburg 2017, Large Batch Training of Convolutional Networks",
    flags={"family": "sgd", "has_momentum": True, "layerwise": True, "ours": True},
    hidden=("eps",),
)
class Lars(torch.optim.Optimizer):
    """LARS: momentum SGD with each layer's step scaled by its weight-to-gradient norm ratio.

    You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks"; the update is
    :func:`lars_update`.

    Args:
        params: Parameters or parameter groups.
        lr: Global learning rate γ (the trust coefficient makes effective steps ~1000× smaller).
        momentum: Momentum coefficient m.
        weight_decay: Decay coefficient β (see ``weight_decay_mode``).
        weight_decay_mode: l2 (the paper: β inside the trust-scaled step) or decoupled.
        trust_coefficient: η, the trust coefficient.
        eps: Added to the trust ratio's denominator.
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1.0,
        momentum: Beta = 0.9,
        weight_decay: NonNegativeFloat = 5e-4,
        weight_decay_mode: WeightDecayMode = "l2",
        trust_coefficient: PositiveFloat = 1e-3,
        eps: NonNegativeFloat = 1e-8,
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
        for family, parts in each_family(self):
            group = family[0]
            for part in parts:
                lars_update(
                    part.param,
                    part.grad,
                    part.state(self, "momentum_buffer"),
                    lr=group["lr"],
                    momentum=group["momentum"],
                    trust_coefficient=group["trust_coefficient"],
                    eps=group["eps"],
                    weight_decay=part.weight_decay,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    segments=part.segments,
                )
        return loss
