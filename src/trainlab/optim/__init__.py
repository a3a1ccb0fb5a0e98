"""Optimizers by name; each builds a ``torch.optim.Optimizer``.

Our own implementations are importable directly, e.g. ``trainlab.optim.Lion``; every name,
torch's included, is built by ``trainlab.create("optimizer", name, params, ...)``.
"""

from trainlab.optim import torch_native  # noqa: F401  (registrations)
from trainlab.optim._common import chosen_implementation, make_param_groups
from trainlab.optim.adabelief import AdaBelief
from trainlab.optim.bfgs import BFGS
from trainlab.optim.cg import ConjugateGradient
from trainlab.optim.lamb import Lamb
from trainlab.optim.lars import Lars
from trainlab.optim.lion import Lion
from trainlab.optim.lookahead import Lookahead
from trainlab.optim.muon import MuonWithAdamW
from trainlab.optim.newton import Newton
from trainlab.optim.sam import SAM
from trainlab.optim.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD

__all__ = [
    "BFGS",
    "SAM",
    "AdaBelief",
    "ConjugateGradient",
    "Lamb",
    "Lars",
    "Lion",
    "Lookahead",
    "MuonWithAdamW",
    "Newton",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "chosen_implementation",
    "make_param_groups",
]
