"""Cyclical schedules: one-cycle (learning rate and momentum) and the triangular cyclic schedule.

Each is its curve after warmup; warmup and the options every schedule shares are added by
:func:`register_schedule`.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from trainlab.schedules._base import Curve, Factor, Fraction, PositiveInt, cosine_between, register_schedule

Ratio = Annotated[float, Field(gt=1.0)]
Momentum = Annotated[float, Field(ge=0.0, lt=1.0)]


@register_schedule(
    "one_cycle",
    reference="Smith & Topin 2017, Super-Convergence, arXiv:1708.07120; "
    "https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.OneCycleLR.html",
)
def one_cycle(
    span: int,
    pct_start: Annotated[float, Field(gt=0, lt=1)] = 0.3,
    div_factor: Ratio = 25.0,
    final_div_factor: Ratio = 1e4,
    cycle_momentum: bool = True,
    base_momentum: Momentum = 0.85,
    max_momentum: Momentum = 0.95,
) -> Curve:
    """One-cycle: cosine rise from base/div_factor to the base learning rate, then down to base/(div*final_div).

    Momentum (or Adam's beta1) moves the opposite way, from max_momentum to base_momentum and back,
    as in torch's ``OneCycleLR``, whose curve this reproduces (the optimizer's lr is the peak).

    Args:
        pct_start: Share of the cycle spent rising.
        div_factor: Initial lr = peak / div_factor.
        final_div_factor: Final lr = initial lr / final_div_factor.
        cycle_momentum: Cycle momentum inversely to the learning rate.
        base_momentum: Momentum at the learning-rate peak.
        max_momentum: Momentum at the start and end.
    """
    peak_step = float(pct_start * span) - 1
    end_step = span - 1
    initial, final = 1.0 / div_factor, 1.0 / (div_factor * final_div_factor)

    def phase(s: int) -> tuple[float, float]:
        """(phase progress, rising?) as in torch's OneCycleLR."""
        if s <= peak_step:
            return s / peak_step if peak_step > 0 else 1.0, True
        return min(1.0, (s - peak_step) / max(end_step - peak_step, 1e-12)), False

    def factor(s: int) -> float:
        progress, rising = phase(s)
        return cosine_between(initial, 1.0, progress) if rising else cosine_between(1.0, final, progress)

    def momentum(s: int) -> float:
        progress, rising = phase(s)
        if rising:
            return cosine_between(max_momentum, base_momentum, progress)
        return cosine_between(base_momentum, max_momentum, progress)

    return Curve(factor, momentum if cycle_momentum else None)


@register_schedule(
    "cyclic",
    aliases=("triangular",),
    reference="Smith 2017, Cyclical Learning Rates for Training Neural Networks, arXiv:1506.01186; "
    "https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CyclicLR.html",
)
def cyclic(span: int, step_size_up: PositiveInt = 2000, min_lr_ratio: Fraction = 0.1) -> Factor:
    """Triangular cyclical learning rate between ``min_lr_ratio`` * lr and lr, ``step_size_up`` steps each way.

    The optimizer's learning rate is the top of the cycle.

    Args:
        step_size_up: Steps from the bottom to the top (half a cycle).
        min_lr_ratio: Bottom of the cycle as a fraction of the top.
    """

    def factor(s: int) -> float:
        cycle = math.floor(1 + s / (2 * step_size_up))
        x = abs(s / step_size_up - 2 * cycle + 1)
        return min_lr_ratio + (1.0 - min_lr_ratio) * max(0.0, 1.0 - x)

    return factor
