"""LAMB: Adam with a layer-wise trust ratio, for large-batch training (You et al. 2020)."""

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
    groups_with_grads,
    next_step,
    own_implementation,
    per_tensor_scale,
    run_update,
    state_tensors,
)
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
        foreach: Multi-tensor path or a loop over parameters.
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0, weight_decay_mode: str = "decoupled", max_trust: float | None = 10.0,
                 maximize: bool = False, foreach: bool = True):
        if lr <= 0 or eps < 0 or not all(0.0 <= b < 1.0 for b in betas) or weight_decay < 0:
            raise ValueError(f"invalid LAMB options: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, weight_decay_mode=weight_decay_mode,
                        max_trust=max_trust, maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = evaluate_closure(closure)
        for group, params, grads in groups_with_grads(self, "LAMB"):
            step = next_step(self, group)
            beta1, beta2 = group["betas"]
            run_update(_lamb, group["foreach"], params, grads, state_tensors(self, params, "exp_avg"),
                       state_tensors(self, params, "exp_avg_sq"), lr=group["lr"], beta1=beta1, beta2=beta2,
                       eps=group["eps"], step=step, weight_decay=group["weight_decay"],
                       decoupled=group["weight_decay_mode"] == "decoupled", max_trust=group["max_trust"])
        return loss


def _lamb(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
          exp_avg_sqs: list[torch.Tensor], *, lr: float, beta1: float, beta2: float, eps: float, step: int,
          weight_decay: float, decoupled: bool, max_trust: float | None) -> None:
    if weight_decay and not decoupled:
        grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_lerp_(exp_avgs, grads, 1.0 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1.0 - beta2)
    denom = torch._foreach_div(exp_avg_sqs, 1.0 - beta2**step)
    torch._foreach_sqrt_(denom)
    torch._foreach_add_(denom, eps)
    update = torch._foreach_div(exp_avgs, 1.0 - beta1**step)
    torch._foreach_div_(update, denom)
    if weight_decay and decoupled:
        torch._foreach_add_(update, params, alpha=weight_decay)
    weight_norms = torch.stack(torch._foreach_norm(params))
    update_norms = torch.stack(torch._foreach_norm(update))
    if max_trust is not None:
        weight_norms = weight_norms.clamp(max=max_trust)
    trust = torch.where((weight_norms > 0) & (update_norms > 0), weight_norms / update_norms, torch.ones_like(weight_norms))
    per_tensor_scale(update, trust * -lr)
    torch._foreach_add_(params, update)


@OPTIMIZERS.register("lamb", reference="You et al. 2020, Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
                     flags={"family": "adam", "has_betas": True, "layerwise": True, "ours": True})
@catalog_options
def lamb(params: Params, lr: PositiveFloat = 1e-3, beta1: Beta = 0.9, beta2: Beta = 0.999, eps: PositiveFloat = 1e-6,
         weight_decay: NonNegativeFloat = 0.01, weight_decay_mode: WeightDecayMode = "decoupled",
         max_trust: PositiveFloat | None = 10.0, implementation: Implementation = "auto") -> torch.optim.Optimizer:
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
        implementation: auto or foreach (multi-tensor), or loop.
    """
    return Lamb(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                weight_decay_mode=weight_decay_mode, max_trust=max_trust, foreach=own_implementation(implementation))
