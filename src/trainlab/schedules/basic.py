"""Step-based learning-rate schedules with optional linear warmup.

Each schedule is a pure function of the step wrapped in ``LambdaLR``, so its only state is the
step counter: resuming from a checkpoint reproduces the curve exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import torch
from pydantic import Field
from torch.optim.lr_scheduler import LambdaLR

from trainlab.registry import SCHEDULES

NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Decay = Annotated[float, Field(gt=0.0, le=1.0)]


def _with_warmup(factor: Callable[[int], float], warmup_steps: int) -> Callable[[int], float]:
    """Scale ``factor`` by a linear ramp from 1/(warmup+1) to 1 over the first ``warmup_steps``."""
    if warmup_steps == 0:
        return factor
    return lambda step: factor(step) * min(1.0, (step + 1) / (warmup_steps + 1))


@SCHEDULES.register("constant", reference="https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
def constant(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: NonNegativeInt = 0) -> LambdaLR:
    """The optimizer's learning rate throughout, after an optional linear warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of linear warmup.
    """
    return LambdaLR(optimizer, _with_warmup(lambda step: 1.0, warmup_steps))


@SCHEDULES.register("cosine", reference="Loshchilov & Hutter 2017, SGDR: Stochastic Gradient Descent with Warm Restarts")
def cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: NonNegativeInt = 0, min_lr_ratio: Fraction = 0.0
) -> LambdaLR:
    """Half-cosine decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of linear warmup before the decay starts.
        min_lr_ratio: Final learning rate as a fraction of the base one.
    """
    decay_steps = max(1, total_steps - warmup_steps)

    def factor(step: int) -> float:
        progress = min(1.0, max(0, step - warmup_steps) / decay_steps)
        return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, _with_warmup(factor, warmup_steps))


@SCHEDULES.register("linear", reference="Goyal et al. 2017, Accurate, Large Minibatch SGD (linear decay with warmup)")
def linear(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: NonNegativeInt = 0, min_lr_ratio: Fraction = 0.0
) -> LambdaLR:
    """Linear decay from the base learning rate to ``min_lr_ratio`` of it, after warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of linear warmup before the decay starts.
        min_lr_ratio: Final learning rate as a fraction of the base one.
    """
    decay_steps = max(1, total_steps - warmup_steps)

    def factor(step: int) -> float:
        progress = min(1.0, max(0, step - warmup_steps) / decay_steps)
        return 1.0 - (1.0 - min_lr_ratio) * progress

    return LambdaLR(optimizer, _with_warmup(factor, warmup_steps))


@SCHEDULES.register("step", reference="https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html")
def step(
    optimizer: torch.optim.Optimizer, total_steps: int, step_size: PositiveInt = 1000, gamma: Decay = 0.1,
    warmup_steps: NonNegativeInt = 0,
) -> LambdaLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        step_size: Steps between decays.
        gamma: Multiplicative decay.
        warmup_steps: Steps of linear warmup.
    """
    return LambdaLR(optimizer, _with_warmup(lambda s: gamma ** (s // step_size), warmup_steps))
