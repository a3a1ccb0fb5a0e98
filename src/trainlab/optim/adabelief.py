"""AdaBelief: Adam that scales steps by the belief in the gradient (Zhuang et al. 2020)."""

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


class AdaBelief(torch.optim.Optimizer):
    r"""AdaBelief, Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients".

    Update rule (Algorithm 2 of the paper): the second moment tracks the deviation of the
    gradient from its prediction m_t instead of the raw squared gradient,

    .. math::
        m_t = β_1 m_{t-1} + (1 − β_1) g_t \\
        s_t = β_2 s_{t-1} + (1 − β_2)(g_t − m_t)^2 + ε \\
        \hat m_t = m_t / (1 − β_1^t), \quad \hat s_t = s_t / (1 − β_2^t) \\
        θ_t = θ_{t-1} − α \hat m_t / (\sqrt{\hat s_t} + ε)

    ``weight_decay_mode="decoupled"`` (default, as adabelief-pytorch's ``weight_decouple``) shrinks
    θ by ``1 − α·λ``; ``l2`` adds λθ to g. The rectification variant is not included.

    Args:
        params: Parameters or parameter groups.
        lr: α.
        betas: (β1, β2).
        eps: ε, added to s_t and to the denominator.
        weight_decay: λ.
        weight_decay_mode: ``decoupled`` or ``l2``.
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
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
        for family, parts in families_with_flat_parts(self, "AdaBelief"):
            step = next_step(family)
            group = family[0]
            beta1, beta2 = group["betas"]
            for flat in parts:
                _adabelief(
                    flat,
                    flat.bind_state(self, "exp_avg"),
                    flat.bind_state(self, "exp_avg_var"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    step=step,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                )
        return loss


def _adabelief(
    flat: FlatGroup,
    exp_avg: torch.Tensor,
    exp_avg_var: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
    decoupled: bool,
) -> None:
    flat.apply_weight_decay(lr, decoupled)
    param, grad = flat.param, flat.grad
    exp_avg.lerp_(grad, 1.0 - beta1)
    residual = torch.sub(grad, exp_avg, out=flat.scratch(0))
    exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1.0 - beta2).add_(eps)
    # m̂/(√ŝ + ε) = c·m/(√s + ε√(1−β2^t)) with c = √(1−β2^t)/(1−β1^t): one pass fewer.
    bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
    denom = torch.sqrt(exp_avg_var, out=flat.scratch(0)).add_(eps * bias_correction2_sqrt)
    param.addcdiv_(exp_avg, denom, value=-lr * bias_correction2_sqrt / (1.0 - beta1**step))


@OPTIMIZERS.register(
    "adabelief",
    reference="Zhuang et al. 2020, AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients",
    flags={"family": "adam", "has_betas": True, "ours": True},
)
@catalog_options
def adabelief(
    params: Params,
    lr: PositiveFloat = 1e-3,
    beta1: Beta = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-16,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "decoupled",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """AdaBelief: Adam whose second moment is the variance of the gradient around its prediction.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Decay of the first moment.
        beta2: Decay of the belief (residual) second moment.
        eps: Added to the second moment and the denominator.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (default) or l2.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return AdaBelief(
        params,
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        foreach=own_implementation(implementation),
    )
