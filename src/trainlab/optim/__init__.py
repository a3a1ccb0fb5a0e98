"""Optimizers by name; each builds a ``torch.optim.Optimizer``.

Our own implementations are importable directly, e.g. ``trainlab.optim.Lion``, and so are their
update rules, functions on plain tensors (``lion_update``, ...); every name, torch's included, is
built by ``trainlab.create("optimizer", name, params, ...)``.
"""

from trainlab.optim import torch_native  # noqa: F401  (registrations)
from trainlab.optim._implementation import chosen_implementation
from trainlab.optim._param_groups import make_param_groups
from trainlab.optim.adabelief import AdaBelief, adabelief_update
from trainlab.optim.bfgs import BFGS
from trainlab.optim.cg import ConjugateGradient
from trainlab.optim.lamb import Lamb, lamb_update
from trainlab.optim.lars import Lars, lars_update
from trainlab.optim.levenberg_marquardt import GaussNewton, LevenbergMarquardt
from trainlab.optim.lion import Lion, lion_update
from trainlab.optim.lookahead import Lookahead
from trainlab.optim.muon import MuonWithAdamW
from trainlab.optim.newton import Newton
from trainlab.optim.sam import SAM
from trainlab.optim.schedule_free import (
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
    schedule_free_adamw_update,
    schedule_free_sgd_update,
)

__all__ = [
    "BFGS",
    "SAM",
    "AdaBelief",
    "ConjugateGradient",
    "GaussNewton",
    "Lamb",
    "Lars",
    "LevenbergMarquardt",
    "Lion",
    "Lookahead",
    "MuonWithAdamW",
    "Newton",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "adabelief_update",
    "chosen_implementation",
    "lamb_update",
    "lars_update",
    "lion_update",
    "make_param_groups",
    "schedule_free_adamw_update",
    "schedule_free_sgd_update",
]
