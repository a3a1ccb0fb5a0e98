"""Cosine annealing, and cosine with warm restarts (SGDR)."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field

from trainlab.schedules._base import (
    SCHEDULES,
    FactorSchedule,
    Fraction,
    NonNegativeInt,
    PositiveInt,
    WarmupKind,
    build,
    cosine_between,
    decay_steps,
)

_SGDR = "Loshchilov & Hutter 2017, SGDR: Stochastic Gradient Descent with Warm Restarts, arXiv:1608.03983"


@SCHEDULES.register("cosine", reference=_SGDR + " (Eq. 5, a single cycle)")
def cosine(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: NonNegativeInt = 0,
    min_lr_ratio: Fraction = 0.0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Half-cosine decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of warmup before the decay starts.
        min_lr_ratio: Final learning rate as a fraction of the base one.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    span = decay_steps(total_steps, warmup_steps)
    return build(
        optimizer, lambda s: cosine_between(1.0, min_lr_ratio, min(1.0, s / span)), warmup_steps, warmup
    )


@SCHEDULES.register("cosine_restarts", aliases=("sgdr",), reference=_SGDR)
def cosine_restarts(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    cycle_steps: PositiveInt = 1000,
    cycle_mult: Annotated[int, Field(ge=1)] = 1,
    min_lr_ratio: Fraction = 0.0,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Cosine annealing restarted every cycle; each cycle ``cycle_mult`` times longer than the last.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        cycle_steps: Length of the first cycle (T_0).
        cycle_mult: Growth of the cycle length (T_mult).
        min_lr_ratio: Lowest learning rate as a fraction of the base one.
        warmup_steps: Steps of warmup before the first cycle.
        warmup: ``linear`` or ``exponential`` ramp.
    """

    def factor(s: int) -> float:
        length, start = cycle_steps, 0
        while s >= start + length:
            start, length = start + length, length * cycle_mult
        return cosine_between(1.0, min_lr_ratio, (s - start) / length)

    return build(optimizer, factor, warmup_steps, warmup)
