"""Cosine annealing, and cosine with warm restarts (SGDR).

Each is its curve after warmup; warmup and the options every schedule shares are added by
:func:`register_schedule`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from trainlab.schedules._base import Factor, Fraction, PositiveInt, cosine_between, register_schedule

_SGDR = "Loshchilov & Hutter 2017, SGDR: Stochastic Gradient Descent with Warm Restarts, arXiv:1608.03983"


@register_schedule("cosine", reference=_SGDR + " (Eq. 5, a single cycle)")
def cosine(span: int, min_lr_ratio: Fraction = 0.0) -> Factor:
    """Half-cosine decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        min_lr_ratio: Final learning rate as a fraction of the base one.
    """
    return lambda s: cosine_between(1.0, min_lr_ratio, min(1.0, s / span))


@register_schedule("cosine_restarts", aliases=("sgdr",), reference=_SGDR)
def cosine_restarts(
    span: int,
    cycle_steps: PositiveInt = 1000,
    cycle_mult: Annotated[int, Field(ge=1)] = 1,
    min_lr_ratio: Fraction = 0.0,
) -> Factor:
    """Cosine annealing restarted every cycle; each cycle ``cycle_mult`` times longer than the last.

    Args:
        cycle_steps: Length of the first cycle (T_0).
        cycle_mult: Growth of the cycle length (T_mult).
        min_lr_ratio: Lowest learning rate as a fraction of the base one.
    """

    def factor(s: int) -> float:
        length, start = cycle_steps, 0
        while s >= start + length:
            start, length = start + length, length * cycle_mult
        return cosine_between(1.0, min_lr_ratio, (s - start) / length)

    return factor
