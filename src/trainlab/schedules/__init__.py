"""Learning-rate schedules by name; each builds a step-based ``torch.optim.lr_scheduler.LRScheduler``.

Warmup (``warmup_steps``, ``warmup: linear | exponential``) composes with every schedule.
"""

from trainlab.schedules import cosine, cyclic, decay, plateau  # noqa: F401  (registrations)
from trainlab.schedules._base import (
    Curve,
    FactorSchedule,
    register_schedule,
    set_momentum,
    warmup_factor,
    with_warmup,
)
from trainlab.schedules.plateau import ReduceOnPlateau

__all__ = [
    "Curve",
    "FactorSchedule",
    "ReduceOnPlateau",
    "register_schedule",
    "set_momentum",
    "warmup_factor",
    "with_warmup",
]
