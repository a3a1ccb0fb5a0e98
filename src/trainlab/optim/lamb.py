"""LAMB: Adam with a layer-wise trust ratio, for large-batch training (You et al. 2020)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, NonNegativeFloat, Params, PositiveFloat, WeightDecayMode, registered
from trainlab.optim._flat import each_family, evaluate_closure, next_step
from trainlab.optim._segments import ONE_TENSOR, Segments, is_zero


def lamb_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    exp_avg: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
    weight_decay: float | torch.Tensor = 0.0,
    decoupled: bool = True,
    max_trust: float | None = None,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One LAMB step (Algorithm 2 of the paper), in place on ``param`` and the moments; per tensor (layer):

    .. math::
        m_t = β_1 m_{t-1} + (1 − β_1) g_t, \quad v_t = β_2 v_{t-1} + (1 − β_2) g_t^2 \\
        r_t = \frac{m_t / (1 − β_1^t)}{\sqrt{v_t / (1 − β_2^t)} + ε}, \quad u_t = r_t + λ θ_{t-1} \\
        θ_t = θ_{t-1} − η \frac{φ(‖θ_{t-1}‖)}{‖u_t‖} u_t

    with φ(x) = min(x, max_trust) (the identity when ``max_trust`` is None) and the trust ratio
    taken as 1 where either norm is zero. ``decoupled=False`` (L2) adds λθ to g instead of to u.

    Args:
        param: θ.
        grad: g (not modified).
        exp_avg: The first moment m.
        exp_avg_sq: The second moment v.
        lr: η.
        beta1: β1.
        beta2: β2.
        eps: ε.
        step: t, counted from 1.
        weight_decay: λ, one value or one per tensor of ``segments``.
        decoupled: λθ inside u (the paper) or added to g.
        max_trust: The clamp of ‖θ‖ in φ.
        segments: The tensors (layers) ``param`` holds; each gets its own trust ratio.
    """
    decay = segments.expand(weight_decay)
    if not decoupled and not is_zero(decay):
        grad = grad + decay * param
    exp_avg.lerp_(grad, 1.0 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    m_hat = exp_avg / (1.0 - beta1**step)
    v_hat = exp_avg_sq / (1.0 - beta2**step)
    update = m_hat.div_(v_hat.sqrt_().add_(eps))  # r_t = m̂/(√v̂ + ε)
    if decoupled and not is_zero(decay):
        update.add_(decay * param)
    weight_norm = segments.norms(param)
    if max_trust is not None:
        weight_norm = weight_norm.clamp(max=max_trust)
    update_norm = segments.norms(update)
    trust = torch.where((weight_norm > 0) & (update_norm > 0), weight_norm / update_norm, 1.0)
    param.addcmul_(segments.expand(trust), update, value=-lr)


@registered(
    "lamb",
    reference="You et al. 2020, Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    flags={"family": "adam", "has_betas": True, "layerwise": True, "ours": True},
)
class Lamb(torch.optim.Optimizer):
    """LAMB: Adam's step rescaled per layer by the ratio of weight norm to update norm.

    You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes";
    the update is :func:`lamb_update`.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate η.
        betas: (β1, β2), the decays of the first and second moments.
        eps: ε, added to the denominator.
        weight_decay: Decay coefficient λ (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (the paper: inside the trust-scaled update) or l2.
        max_trust: Clamp of the weight norm in the trust ratio; null for none.
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1e-3,
        betas: tuple[Beta, Beta] = (0.9, 0.999),
        eps: PositiveFloat = 1e-6,
        weight_decay: NonNegativeFloat = 0.01,
        weight_decay_mode: WeightDecayMode = "decoupled",
        max_trust: PositiveFloat | None = 10.0,
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
        for family, parts in each_family(self):
            step = next_step(family)
            group = family[0]
            beta1, beta2 = group["betas"]
            for part in parts:
                lamb_update(
                    part.param,
                    part.grad,
                    part.state(self, "exp_avg"),
                    part.state(self, "exp_avg_sq"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    step=step,
                    weight_decay=part.weight_decay,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    max_trust=group["max_trust"],
                    segments=part.segments,
                )
        return loss
