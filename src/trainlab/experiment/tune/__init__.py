"""Hyperparameter search on Optuna: ``trainlab tune`` and :func:`tune` (see :mod:`.search`)."""

from trainlab.experiment.tune.search import TuneResult, TuneSettings, tune
from trainlab.experiment.tune.space import SearchSpace, load_space, parse_space

__all__ = ["SearchSpace", "TuneResult", "TuneSettings", "load_space", "parse_space", "tune"]
