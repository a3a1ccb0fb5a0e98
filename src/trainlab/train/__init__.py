"""The trainer, its callbacks, and the pieces around the loop (seeding, precision, ranks)."""

from trainlab.train.callbacks import Callback, JsonlLogger, ProgressBar
from trainlab.train.distributed import ProcessContext
from trainlab.train.evaluator import Evaluator
from trainlab.train.seed import seed_everything
from trainlab.train.settings import TrainSettings
from trainlab.train.trainer import Trainer

__all__ = [
    "Callback",
    "Evaluator",
    "JsonlLogger",
    "ProcessContext",
    "ProgressBar",
    "TrainSettings",
    "Trainer",
    "seed_everything",
]
