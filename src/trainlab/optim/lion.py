"""Lion: the sign of an interpolated momentum (Chen et al. 2023)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, NonNegativeFloat, Params, PositiveFloat, WeightDecayMode, registered
from trainlab.optim._flat import each_family, evaluate_closure
from trainlab.optim._segments import ONE_TENSOR, Segments, is_zero


def lion_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    exp_avg: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float | torch.Tensor = 0.0,
    decoupled: bool = True,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One Lion step (Algorithm 2 of the paper), in place on ``param`` and ``exp_avg``.

    .. math::
        c_t = β_1 m_{t-1} + (1 − β_1) g_t \\
        θ_t = θ_{t-1} − η (\operatorname{sign}(c_t) + λ θ_{t-1}) \\
        m_t = β_2 m_{t-1} + (1 − β_2) g_t

    With ``decoupled=False`` (L2) λθ is added to g instead, so the decay enters the sign.

    Args:
        param: θ.
        grad: g (not modified).
        exp_avg: The momentum m.
        lr: η.
        beta1: β1, the interpolation that gives the update's sign.
        beta2: β2, the momentum's decay.
        weight_decay: λ, one value or one per tensor of ``segments``.
        decoupled: λθ beside the sign (the paper) or added to g.
        segments: The tensors ``param`` holds (one, unless it is a flat buffer of several).
    """
    decay = segments.expand(weight_decay)
    if not decoupled and not is_zero(decay):
        grad = grad + decay * param
    c = torch.lerp(exp_avg, grad, 1.0 - beta1)
    if decoupled and not is_zero(decay):
        param.mul_(1.0 - lr * decay)
    param.sub_(c.sign_(), alpha=lr)
    exp_avg.lerp_(grad, 1.0 - beta2)


@registered(
    "lion",
    reference="Chen et al. 2023, Symbolic Discovery of Optimization Algorithms",
    flags={"family": "sign", "has_betas": True, "ours": True},
    docs={
        "beta1": "Interpolation between momentum and gradient for the update.",
        "beta2": "Decay of the momentum.",
    },
)
class Lion(torch.optim.Optimizer):
    """Lion: the sign of an interpolated momentum; every coordinate moves by ±lr.

    Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; the update is
    :func:`lion_update`. Every coordinate moves by exactly ±η, so Lion wants a learning rate
    3–10× smaller than AdamW's and a decay 3–10× larger.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate η (3–10× smaller than AdamW's).
        betas: (β1, β2): interpolation for the update, decay of the momentum.
        weight_decay: Decay coefficient λ (3–10× larger than AdamW's).
        weight_decay_mode: decoupled (the paper) or l2 (λθ added to the gradient, inside the sign).
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1e-4,
        betas: tuple[Beta, Beta] = (0.9, 0.99),
        weight_decay: NonNegativeFloat = 0.0,
        weight_decay_mode: WeightDecayMode = "decoupled",
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or not all(0.0 <= b < 1.0 for b in betas) or weight_decay < 0:
            raise ValueError(f"invalid Lion options: lr={lr}, betas={betas}, weight_decay={weight_decay}")
        defaults = dict(
            lr=lr,
            betas=betas,
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
            group = family[0]
            beta1, beta2 = group["betas"]
            for part in parts:
                lion_update(
                    part.param,
                    part.grad,
                    part.state(self, "exp_avg"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    weight_decay=part.weight_decay,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    segments=part.segments,
                )
        return loss
