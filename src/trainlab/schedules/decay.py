"""Monotone decays: constant, step, multistep, exponential, linear, polynomial, inverse sqrt, warmup-stable-decay.

Each is its curve after warmup, ``factor(step)`` over the ``span`` steps that follow it; warmup
and the options every schedule shares are added by :func:`register_schedule`.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field

from trainlab.schedules._base import (
    Decay,
    Factor,
    Fraction,
    PositiveInt,
    cosine_between,
    register_schedule,
)

_TORCH = "https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.{}.html"


@register_schedule("constant", reference=_TORCH.format("ConstantLR"))
def constant(span: int) -> Factor:
    """The optimizer's learning rate throughout, after an optional warmup."""
    return lambda step: 1.0


@register_schedule("step", reference=_TORCH.format("StepLR"))
def step(span: int, step_size: PositiveInt = 1000, gamma: Decay = 0.1) -> Factor:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Args:
        step_size: Steps between decays.
        gamma: Multiplicative decay.
    """
    return lambda s: gamma ** (s // step_size)


@register_schedule("multistep", reference=_TORCH.format("MultiStepLR"))
def multistep(span: int, milestones: list[PositiveInt] | None = None, gamma: Decay = 0.1) -> Factor:
    """Multiply the learning rate by ``gamma`` at each milestone step (default: 50% and 75% of training).

    Args:
        milestones: Steps (after warmup) at which to decay.
        gamma: Multiplicative decay.
    """
    points = sorted(milestones) if milestones else [span // 2, (3 * span) // 4]
    return lambda s: gamma ** sum(s >= m for m in points)


@register_schedule("exponential", reference=_TORCH.format("ExponentialLR"))
def exponential(span: int, gamma: Decay = 0.999) -> Factor:
    """Multiply the learning rate by ``gamma`` every step.

    Args:
        gamma: Per-step decay.
    """
    return lambda s: gamma**s


@register_schedule(
    "linear", reference="Goyal et al. 2017, Accurate, Large Minibatch SGD; " + _TORCH.format("LinearLR")
)
def linear(span: int, min_lr_ratio: Fraction = 0.0) -> Factor:
    """Linear decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        min_lr_ratio: Final learning rate as a fraction of the base one.
    """
    return lambda s: 1.0 - (1.0 - min_lr_ratio) * min(1.0, s / span)


@register_schedule("polynomial", reference=_TORCH.format("PolynomialLR"))
def polynomial(span: int, power: Annotated[float, Field(gt=0)] = 1.0) -> Factor:
    """Polynomial decay (1 - t / T)^power to 0 at the end of training.

    Args:
        power: The exponent (1 is linear decay).
    """
    return lambda s: (1.0 - min(s, span) / span) ** power


@register_schedule(
    "inverse_sqrt", reference="Vaswani et al. 2017, Attention Is All You Need, arXiv:1706.03762, Eq. 3"
)
def inverse_sqrt(span: int, warmup_steps: int, timescale: PositiveInt | None = None) -> Factor:
    """Inverse square-root decay sqrt(tau / (tau + t)) after warmup; with tau = warmup_steps, the Transformer's.

    Args:
        timescale: tau; default ``warmup_steps`` (or 1 without warmup).
    """
    tau = timescale or max(1, warmup_steps)
    return lambda s: math.sqrt(tau / (tau + s))


@register_schedule(
    "wsd",
    aliases=("warmup_stable_decay",),
    reference="Hu et al. 2024, MiniCPM, arXiv:2404.06395; Hagele et al. 2024, Scaling Laws and Compute-Optimal "
    "Training Beyond Fixed Training Durations, arXiv:2405.18392",
)
def wsd(
    span: int,
    decay_fraction: Fraction = 0.2,
    min_lr_ratio: Fraction = 0.0,
    decay: Literal["linear", "cosine", "sqrt"] = "linear",
) -> Factor:
    """Warmup-stable-decay: warmup, a constant learning rate, then a short decay over the last ``decay_fraction``.

    Args:
        decay_fraction: Share of the post-warmup steps spent decaying.
        min_lr_ratio: Final learning rate as a fraction of the base one.
        decay: Shape of the cooldown: ``linear``, ``cosine`` or ``sqrt`` (1 - sqrt, Hagele et al.).
    """
    cooldown = max(1, round(decay_fraction * span))
    stable = span - cooldown

    def factor(s: int) -> float:
        progress = min(1.0, max(0, s - stable) / cooldown)
        if decay == "cosine":
            return cosine_between(1.0, min_lr_ratio, progress)
        shape = math.sqrt(progress) if decay == "sqrt" else progress
        return 1.0 - (1.0 - min_lr_ratio) * shape

    return factor
