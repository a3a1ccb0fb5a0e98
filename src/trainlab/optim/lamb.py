"""LAMB: Adam with a layer-wise trust ratio, for large-batch training (You et al. 2020)."""

from __future__ import annotations

import math
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
    next_step,
    own_implementation,
)
from trainlab.optim._flat import FlatGroup, families_with_flat_parts
from trainlab.registry import OPTIMIZERS


class Lamb(torch.optim.Optimizer):
    r"""LAMB, You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes".

    Update rule (Algorithm 2 of the paper), per tensor (layer) θ:

    .. math::
        m_t = β_1 m_{t-1} + (1 − β_1) g_t, \quad v_t = β_2 v_{t-1} + (1 − β_2) g_t^2 \\
        r_t = \frac{m_t / (1 − β_1^t)}{\sqrt{v_t / (1 − β_2^t)} + ε} \\
        u_t = r_t + λ θ_{t-1} \\
        θ_t = θ_{t-1} − η \frac{φ(‖θ_{t-1}‖)}{‖u_t‖} u_t

    with φ(x) = min(x, max_trust) (φ = identity when ``max_trust`` is None) and the trust ratio
    taken as 1 when either norm is zero. ``weight_decay_mode="decoupled"`` is the paper's λθ inside
    u_t; ``l2`` adds λθ to g instead.

    Args:
        params: Parameters or parameter groups.
        lr: η.
        betas: (β1, β2).
        eps: ε.
        weight_decay: λ.
        weight_decay_mode: ``decoupled`` (the paper) or ``l2``.
        max_trust: Clamp of the weight norm in the trust ratio (10 in common implementations).
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
        max_trust: float | None = 10.0,
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or eps < 0 or not all(0.0 <= b < 1.0 for b in betas) or weight_decay < 0:
            raise ValueError(
                f"invalid LAMB options: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            weight_decay_mode=weight_decay_mode,
            max_trust=max_trust,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = evaluate_closure(closure)
        for family, parts in families_with_flat_parts(self, "LAMB"):
            step = next_step(family)
            group = family[0]
            beta1, beta2 = group["betas"]
            for flat in parts:
                _lamb(
                    flat,
                    flat.bind_state(self, "exp_avg"),
                    flat.bind_state(self, "exp_avg_sq"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    step=step,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    max_trust=group["max_trust"],
                )
        return loss


def _lamb(
    flat: FlatGroup,
    exp_avg: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
    decoupled: bool,
    max_trust: float | None,
) -> None:
    param, grad, layout, weight_decay = flat.param, flat.grad, flat.layout, flat.weight_decay
    if weight_decay is not None and not decoupled:
        grad = flat.writable_grad()
        layout.add_scaled_(grad, param, weight_decay)
    exp_avg.lerp_(grad, 1.0 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    # r = m̂/(√v̂ + ε) = c·m/(√v + ε√(1−β2^t)) with c = √(1−β2^t)/(1−β1^t). We form u/c = m/(…) + (λ/c)θ,
    # whose trust-scaled step ‖θ‖/‖u/c‖ · u/c equals the paper's ‖θ‖/‖u‖ · u, so c only matters
    # where the trust ratio is 1: two passes fewer than forming u itself.
    bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
    scale = bias_correction2_sqrt / (1.0 - beta1**step)
    denom = torch.sqrt(exp_avg_sq, out=flat.scratch(0)).add_(eps * bias_correction2_sqrt)
    update = torch.div(exp_avg, denom, out=flat.scratch(1))
    if weight_decay is not None and decoupled:
        layout.add_scaled_(update, param, weight_decay / scale)
    weight_norms = layout.norms(param)
    update_norms = layout.norms(update)
    if max_trust is not None:
        weight_norms = weight_norms.clamp(max=max_trust)
    trust = torch.where((weight_norms > 0) & (update_norms > 0), weight_norms / update_norms, scale)
    layout.add_scaled_(param, update, trust.mul_(-lr))


@OPTIMIZERS.register(
    "lamb",
    reference="You et al. 2020, Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    flags={"family": "adam", "has_betas": True, "layerwise": True, "ours": True},
)
@catalog_options
def lamb(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-6,
    weight_decay: NonNegativeFloat = 0.01,
    weight_decay_mode: WeightDecayMode = "decoupled",
    max_trust: PositiveFloat | None = 10.0,
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """LAMB: Adam's step rescaled per layer by the ratio of weight norm to update norm.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first moment.
        beta2: Decay of the second moment.
        eps: Added to the denominator.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (the paper: inside the trust-scaled update) or l2.
        max_trust: Clamp of the weight norm in the trust ratio; null for none.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return Lamb(
        params,
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        max_trust=max_trust,
        foreach=own_implementation(implementation),
    )
