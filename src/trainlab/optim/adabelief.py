"""AdaBelief: Adam that scales steps by the belief in the gradient (Zhuang et al. 2020)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, NonNegativeFloat, Params, PositiveFloat, WeightDecayMode, registered
from trainlab.optim._flat import each_family, evaluate_closure, next_step
from trainlab.optim._segments import ONE_TENSOR, Segments, is_zero


def adabelief_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    exp_avg: torch.Tensor,
    exp_avg_var: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
    weight_decay: float | torch.Tensor = 0.0,
    decoupled: bool = True,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One AdaBelief step (Algorithm 2 of the paper), in place on ``param`` and the moments.

    The second moment tracks the deviation of the gradient from its prediction m_t instead of the
    raw squared gradient:

    .. math::
        m_t = β_1 m_{t-1} + (1 − β_1) g_t \\
        s_t = β_2 s_{t-1} + (1 − β_2)(g_t − m_t)^2 + ε \\
        \hat m_t = m_t / (1 − β_1^t), \quad \hat s_t = s_t / (1 − β_2^t) \\
        θ_t = θ_{t-1} − α \hat m_t / (\sqrt{\hat s_t} + ε)

    ``decoupled=True`` (as adabelief-pytorch's ``weight_decouple``) first shrinks θ by 1 − αλ;
    ``decoupled=False`` adds λθ to g. The rectified variant is not included.

    Args:
        param: θ.
        grad: g (not modified).
        exp_avg: The first moment m.
        exp_avg_var: The belief s.
        lr: α.
        beta1: β1.
        beta2: β2.
        eps: ε, added to s_t and to the denominator.
        step: t, counted from 1.
        weight_decay: λ, one value or one per tensor of ``segments``.
        decoupled: Shrink θ beside the step or add λθ to g.
        segments: The tensors ``param`` holds (one, unless it is a flat buffer of several).
    """
    decay = segments.expand(weight_decay)
    if decoupled and not is_zero(decay):
        param.mul_(1.0 - lr * decay)
    elif not is_zero(decay):
        grad = grad + decay * param
    exp_avg.lerp_(grad, 1.0 - beta1)
    residual = grad - exp_avg
    exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1.0 - beta2).add_(eps)
    s_hat = exp_avg_var / (1.0 - beta2**step)
    param.addcdiv_(exp_avg, s_hat.sqrt_().add_(eps), value=-lr / (1.0 - beta1**step))  # α m̂ = α m/(1 − β1^t)


@registered(
    "adabelief",
    reference="Zhuang et al. 2020, AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients",
    flags={"family": "adam", "has_betas": True, "ours": True},
    docs={"beta2": "Decay of the belief (the gradient's squared deviation from m)."},
)
class AdaBelief(torch.optim.Optimizer):
    """AdaBelief: Adam whose second moment is the variance of the gradient around its prediction.

    Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
    Gradients"; the update is :func:`adabelief_update`.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate α.
        betas: (β1, β2), the decays of the first moment and of the belief.
        eps: ε, added to the belief and to the denominator.
        weight_decay: Decay coefficient λ (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (default, as adabelief-pytorch's ``weight_decouple``) or l2.
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1e-3,
        betas: tuple[Beta, Beta] = (0.9, 0.999),
        eps: PositiveFloat = 1e-16,
        weight_decay: NonNegativeFloat = 0.0,
        weight_decay_mode: WeightDecayMode = "decoupled",
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or eps < 0 or not all(0.0 <= b < 1.0 for b in betas) or weight_decay < 0:
            raise ValueError(
                f"invalid AdaBelief options: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            weight_decay_mode=weight_decay_mode,
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
                adabelief_update(
                    part.param,
                    part.grad,
                    part.state(self, "exp_avg"),
                    part.state(self, "exp_avg_var"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    step=step,
                    weight_decay=part.weight_decay,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    segments=part.segments,
                )
        return loss
