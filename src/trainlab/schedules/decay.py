"""Monotone decays: constant, step, multistep, exponential, linear, polynomial, inverse sqrt, warmup-stable-decay."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import torch
from pydantic import Field

from trainlab.schedules._base import (
    SCHEDULES,
    Decay,
    FactorSchedule,
    Fraction,
    NonNegativeInt,
    PositiveInt,
    WarmupKind,
    build,
    cosine_between,
    decay_steps,
)

_TORCH = "https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.{}.html"
_WARMUP_DOC = "warmup_steps and warmup: a linear or exponential ramp before the schedule starts."


@SCHEDULES.register("constant", reference=_TORCH.format("ConstantLR"))
def constant(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """The optimizer's learning rate throughout, after an optional warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of warmup.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    return build(optimizer, lambda step: 1.0, warmup_steps, warmup)


@SCHEDULES.register("step", reference=_TORCH.format("StepLR"))
def step(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    step_size: PositiveInt = 1000,
    gamma: Decay = 0.1,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        step_size: Steps between decays.
        gamma: Multiplicative decay.
        warmup_steps: Steps of warmup before the schedule starts.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    return build(optimizer, lambda s: gamma ** (s // step_size), warmup_steps, warmup)


@SCHEDULES.register("multistep", reference=_TORCH.format("MultiStepLR"))
def multistep(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    milestones: list[PositiveInt] | None = None,
    gamma: Decay = 0.1,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Multiply the learning rate by ``gamma`` at each milestone step (default: 50% and 75% of training).

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        milestones: Steps (after warmup) at which to decay.
        gamma: Multiplicative decay.
        warmup_steps: Steps of warmup before the schedule starts.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    span = decay_steps(total_steps, warmup_steps)
    points = sorted(milestones) if milestones else [span // 2, (3 * span) // 4]
    return build(optimizer, lambda s: gamma ** sum(s >= m for m in points), warmup_steps, warmup)


@SCHEDULES.register("exponential", reference=_TORCH.format("ExponentialLR"))
def exponential(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    gamma: Decay = 0.999,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Multiply the learning rate by ``gamma`` every step.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        gamma: Per-step decay.
        warmup_steps: Steps of warmup before the schedule starts.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    return build(optimizer, lambda s: gamma**s, warmup_steps, warmup)


@SCHEDULES.register(
    "linear", reference="Goyal et al. 2017, Accurate, Large Minibatch SGD; " + _TORCH.format("LinearLR")
)
def linear(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: NonNegativeInt = 0,
    min_lr_ratio: Fraction = 0.0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Linear decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of warmup before the decay starts.
        min_lr_ratio: Final learning rate as a fraction of the base one.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    span = decay_steps(total_steps, warmup_steps)
    return build(optimizer, lambda s: 1.0 - (1.0 - min_lr_ratio) * min(1.0, s / span), warmup_steps, warmup)


@SCHEDULES.register("polynomial", reference=_TORCH.format("PolynomialLR"))
def polynomial(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    power: Annotated[float, Field(gt=0)] = 1.0,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Polynomial decay (1 - t / T)^power to 0 at the end of training.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        power: The exponent (1 is linear decay).
        warmup_steps: Steps of warmup before the decay starts.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    span = decay_steps(total_steps, warmup_steps)
    return build(optimizer, lambda s: (1.0 - min(s, span) / span) ** power, warmup_steps, warmup)


@SCHEDULES.register(
    "inverse_sqrt", reference="Vaswani et al. 2017, Attention Is All You Need, arXiv:1706.03762, Eq. 3"
)
def inverse_sqrt(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    timescale: PositiveInt | None = None,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Inverse square-root decay sqrt(tau / (tau + t)) after warmup; with tau = warmup_steps, the Transformer's.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        timescale: tau; default ``warmup_steps`` (or 1 without warmup).
        warmup_steps: Steps of warmup before the decay starts.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    tau = timescale or max(1, warmup_steps)
    return build(optimizer, lambda s: math.sqrt(tau / (tau + s)), warmup_steps, warmup)


@SCHEDULES.register(
    "wsd",
    aliases=("warmup_stable_decay",),
    reference="Hu et al. 2024, MiniCPM, arXiv:2404.06395; Hagele et al. 2024, Scaling Laws and Compute-Optimal "
    "Training Beyond Fixed Training Durations, arXiv:2405.18392",
)
def wsd(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    decay_fraction: Fraction = 0.2,
    min_lr_ratio: Fraction = 0.0,
    decay: Literal["linear", "cosine", "sqrt"] = "linear",
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
) -> FactorSchedule:
    """Warmup-stable-decay: warmup, a constant learning rate, then a short decay over the last ``decay_fraction``.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        decay_fraction: Share of the post-warmup steps spent decaying.
        min_lr_ratio: Final learning rate as a fraction of the base one.
        decay: Shape of the cooldown: ``linear``, ``cosine`` or ``sqrt`` (1 - sqrt, Hagele et al.).
        warmup_steps: Steps of warmup.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    span = decay_steps(total_steps, warmup_steps)
    cooldown = max(1, round(decay_fraction * span))
    stable = span - cooldown

    def factor(s: int) -> float:
        progress = min(1.0, max(0, s - stable) / cooldown)
        if decay == "cosine":
            return cosine_between(1.0, min_lr_ratio, progress)
        shape = math.sqrt(progress) if decay == "sqrt" else progress
        return 1.0 - (1.0 - min_lr_ratio) * shape

    return build(optimizer, factor, warmup_steps, warmup)
