"""The samplers, pruners and objectives ``trainlab tune`` offers, by name, built as Optuna objects."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Literal

from trainlab.errors import TrainlabError, did_you_mean
from trainlab.experiment.tune.trial import RUN_OBJECTIVES

if TYPE_CHECKING:
    import optuna

    from trainlab.experiment.tune.space import SearchSpace

SAMPLERS = {
    "tpe": "Tree-structured Parzen Estimator (Bergstra et al. 2011), Optuna's default",
    "random": "independent uniform draws (Bergstra & Bengio 2012)",
    "grid": "every combination of the space's finite values",
    "cmaes": "CMA-ES (Hansen 2016) over the numeric keys; categorical keys are drawn at random",
}
PRUNERS = {
    "median": "stop a trial whose validation metric is below the median of earlier trials at the same step",
    "hyperband": "Hyperband (Li et al. 2018): successive halving over several budgets",
    "none": "run every trial to the end",
}
Direction = Literal["maximize", "minimize"]
# Trials the median pruner lets finish before it compares against them.
MEDIAN_STARTUP_TRIALS = 4


def check_name(option: str, name: str, choices: dict[str, str]) -> None:
    """Raises TrainlabError naming the option when ``name`` is not one of ``choices``."""
    if name not in choices:
        raise TrainlabError(
            f"{option} '{name}' is not one of {', '.join(choices)}{did_you_mean(name, choices)}"
        )


def build_sampler(
    name: str, space: SearchSpace, *, seed: int, objectives: int
) -> optuna.samplers.BaseSampler:
    """The named sampler, seeded.

    Raises:
        TrainlabError: an unknown name, CMA-ES with several objectives, or a grid over a continuous key.
    """
    import optuna

    check_name("--sampler", name, SAMPLERS)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler(space.grid(), seed=seed)
    if objectives > 1:
        raise TrainlabError(
            "--sampler cmaes optimizes one objective; use tpe or random with several --objective"
        )
    # Optuna imports cmaes only at the first trial, inside the search: check before any work.
    if importlib.util.find_spec("cmaes") is None:
        raise TrainlabError("--sampler cmaes needs the cmaes package: pip install 'trainlab[tune]'")
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def build_pruner(name: str) -> optuna.pruners.BasePruner:
    """The named pruner.

    Raises:
        TrainlabError: an unknown name.
    """
    import optuna

    check_name("--pruner", name, PRUNERS)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def objective_direction(name: str, metrics: list[str]) -> Direction:
    """``maximize`` or ``minimize`` for a validation metric (``trainlab.metrics.defaults``), wall time or size.

    Raises:
        TrainlabError: a name that is neither a scalar metric of the run nor wall_time/parameters.
    """
    from trainlab.metrics.defaults import higher_is_better

    if name in RUN_OBJECTIVES:
        return "minimize"
    if name not in metrics:
        known = [*metrics, *RUN_OBJECTIVES]
        raise TrainlabError(
            f"--objective '{name}' is not a validation metric of this recipe nor a run fact; "
            f"choose from {', '.join(known)}{did_you_mean(name, known)}"
        )
    return "maximize" if higher_is_better(name) else "minimize"
