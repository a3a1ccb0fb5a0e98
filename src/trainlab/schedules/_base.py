"""The schedule machinery: a step-based LRScheduler from a pure factor function, and warmup composition.

Every schedule is ``lr(step) = base_lr * factor(step)`` with ``factor`` a pure function of the
step, so its only state is the step counter: resuming from a checkpoint reproduces the curve
exactly. Warmup composes with any schedule: for the first ``warmup_steps`` the factor ramps up,
then the schedule runs over the remaining ``total_steps - warmup_steps`` as if from step 0.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple

import torch
from pydantic import Field
from torch.optim.lr_scheduler import LRScheduler

from trainlab._shared_options import WithSharedOptions
from trainlab.registry import SCHEDULES

NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Decay = Annotated[float, Field(gt=0.0, le=1.0)]
WarmupKind = Literal["linear", "exponential"]
Factor = Callable[[int], float]

# The exponential warmup's first factor; it grows by a constant ratio to 1 at the end of warmup.
EXPONENTIAL_WARMUP_START = 0.01


class FactorSchedule(LRScheduler):
    """``lr = base_lr * factor(step)`` per parameter group; optionally sets momentum (or beta1) too.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        factor: Pure function of the step (0 before the first optimizer step).
        momentum: Pure function of the step giving SGD's momentum or Adam's beta1, or None.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, factor: Factor, momentum: Factor | None = None):
        self.factor = factor
        self.momentum = momentum
        super().__init__(optimizer)

    def get_lr(self) -> list[float | torch.Tensor]:
        step = self.last_epoch
        if self.momentum is not None:
            set_momentum(self.optimizer, self.momentum(step))
        return [base_lr * self.factor(step) for base_lr in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        # The functions are rebuilt from the recipe; the counter is all the state there is.
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "factor", "momentum")
        }


def set_momentum(optimizer: torch.optim.Optimizer, value: float) -> None:
    """Set SGD-style ``momentum`` or Adam-style ``betas[0]`` in every group that has one."""
    for group in optimizer.param_groups:
        if "betas" in group:
            group["betas"] = (value, *group["betas"][1:])
        elif "momentum" in group:
            group["momentum"] = value


def warmup_factor(step: int, warmup_steps: int, kind: str) -> float:
    """The warmup ramp at ``step`` (< warmup_steps): linear from 1/(w+1), or geometric from 0.01, towards 1."""
    if kind == "linear":
        return (step + 1) / (warmup_steps + 1)
    return EXPONENTIAL_WARMUP_START ** (1.0 - step / warmup_steps)


def with_warmup(main: Factor, warmup_steps: int, kind: str = "linear") -> Factor:
    """``main`` shifted to start after a warmup of ``warmup_steps``, whose ramp multiplies ``main(0)``."""
    if warmup_steps == 0:
        return main
    return lambda step: (
        warmup_factor(step, warmup_steps, kind) * main(0)
        if step < warmup_steps
        else main(step - warmup_steps)
    )


class Curve(NamedTuple):
    """A schedule's shape after warmup: the learning-rate factor, and the momentum if it sets one."""

    lr: Factor
    momentum: Factor | None = None


def _schedule(
    curve: Callable[..., Factor | Curve],
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    *,
    warmup_steps: NonNegativeInt = 0,
    warmup: WarmupKind = "linear",
    **options: Any,
) -> FactorSchedule:
    """The options every schedule takes; ``curve(span, **options)`` runs over the steps after warmup.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps.
        warmup_steps: Steps of warmup before the schedule starts; the schedule then runs over the
            remaining ``total_steps - warmup_steps`` as if from step 0.
        warmup: ``linear`` or ``exponential`` ramp.
    """
    if "warmup_steps" in inspect.signature(curve).parameters:  # a curve whose shape depends on it
        options["warmup_steps"] = warmup_steps
    shape = curve(decay_steps(total_steps, warmup_steps), **options)
    lr, momentum = shape if isinstance(shape, Curve) else (shape, None)
    momentum_after_warmup = None
    if momentum is not None:
        momentum_after_warmup = lambda step: momentum(max(0, step - warmup_steps))  # noqa: E731
    return FactorSchedule(optimizer, with_warmup(lr, warmup_steps, warmup), momentum_after_warmup)


def register_schedule(name: str, *, reference: str, aliases: tuple[str, ...] = ()):
    """Register ``curve(span, **options)``, the factor at each step after warmup, as a schedule.

    ``span`` is the number of steps after warmup (at least 1). The registered entry also takes
    every schedule's options (see :func:`_schedule`), declared there once.
    """

    def decorator(curve: Callable[..., Factor | Curve]) -> Callable[..., Factor | Curve]:
        factory = WithSharedOptions(curve, _schedule, supplied=("span", "warmup_steps"))
        SCHEDULES.add(name, factory, reference=reference, aliases=aliases)
        return curve

    return decorator


def decay_steps(total_steps: int, warmup_steps: int) -> int:
    """Steps left for the schedule after warmup (at least 1)."""
    return max(1, total_steps - warmup_steps)


def cosine_between(start: float, end: float, progress: float) -> float:
    """Half-cosine from ``start`` (progress 0) to ``end`` (progress 1)."""
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
