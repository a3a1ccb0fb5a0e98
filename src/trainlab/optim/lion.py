"""Lion: the sign of an interpolated momentum (Chen et al. 2023)."""

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


class Lion(torch.optim.Optimizer):
    r"""Lion (EvoLved Sign Momentum), Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms".

    Update rule (Algorithm 2 of the paper), with gradient g, momentum m, decay λ:

    .. math::
        c_t = β_1 m_{t-1} + (1 − β_1) g_t \\
        θ_t = θ_{t-1} − η (\operatorname{sign}(c_t) + λ θ_{t-1}) \\
        m_t = β_2 m_{t-1} + (1 − β_2) g_t

    Every coordinate moves by exactly ±η, so Lion wants a learning rate 3–10× smaller than AdamW's
    and a decay 3–10× larger. ``weight_decay_mode="l2"`` instead adds λθ to g before the sign.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate η.
        betas: (β1, β2): interpolation for the update, decay of the momentum.
        weight_decay: λ.
        weight_decay_mode: ``decoupled`` (the paper) or ``l2``.
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
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
        for family, parts in families_with_flat_parts(self, "Lion"):
            group = family[0]
            beta1, beta2 = group["betas"]
            for flat in parts:
                _lion(
                    flat,
                    flat.bind_state(self, "exp_avg"),
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                )
        return loss


def _lion(
    flat: FlatGroup, exp_avg: torch.Tensor, *, lr: float, beta1: float, beta2: float, decoupled: bool
) -> None:
    flat.apply_weight_decay(lr, decoupled)
    grad = flat.grad
    torch.lerp(exp_avg, grad, 1.0 - beta1, out=flat.scratch(0)).sign_()
    flat.add_to_params(0, alpha=-lr)
    exp_avg.lerp_(grad, 1.0 - beta2)


@OPTIMIZERS.register(
    "lion",
    reference="Chen et al. 2023, Symbolic Discovery of Optimization Algorithms",
    flags={"family": "sign", "has_betas": True, "ours": True},
)
@catalog_options
def lion(
    params: Params,
    lr: PositiveFloat = 1e-4,
    beta1: Beta = 0.9,
    beta2: Beta = 0.99,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "decoupled",
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Lion: the sign of an interpolated momentum; every coordinate moves by ±lr.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate (3–10× smaller than AdamW's).
        beta1: Interpolation between momentum and gradient for the update.
        beta2: Decay of the momentum.
        weight_decay: Decay coefficient (3–10× larger than AdamW's).
        weight_decay_mode: decoupled (the paper) or l2.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return Lion(
        params,
        lr=lr,
        betas=(beta1, beta2),
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        foreach=own_implementation(implementation),
    )
