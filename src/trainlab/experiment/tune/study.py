"""The Optuna study of a tune: created or continued in the storage, and run by one or several worker processes.

Each worker process runs trials until the study holds the asked number (a second ``trainlab tune`` on
the same storage continues it); every trial is recorded with how it ended: COMPLETE with its objective
values, PRUNED (pruned by the pruner, or diverged), or FAIL (the recipe or data refused the values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab.errors import TrainlabError
from trainlab.experiment.tune.space import SearchSpace, apply_params
from trainlab.experiment.tune.trial import REASON_ATTR, RUN_DIR_ATTR, STATE_ATTR, TrialOutcome, run_trial

if TYPE_CHECKING:
    import optuna

    from trainlab.experiment.tune.choices import Direction

STUDY_PREFIX = "trainlab-tune:"
# Evaluations per trial when the recipe sets no train.eval_every: what a pruner sees.
EVALUATIONS_PER_TRIAL = 10


@dataclass
class SearchPlan:
    """The checked inputs of a search, shared with worker processes (plain data only)."""

    raw: dict[str, Any]
    space: SearchSpace
    objectives: list[str]
    directions: list[Direction]
    storage_url: str
    study_name: str
    out: Path
    sampler: str
    pruner: str
    seed: int
    trials: int
    threads: int | None


def open_study(plan: SearchPlan) -> optuna.Study:
    """Create the study, or load it to continue; refuse one made with another space or objectives."""
    import optuna

    from trainlab.experiment.storage import open_storage
    from trainlab.experiment.tune.choices import build_pruner, build_sampler

    storage = open_storage(plan.storage_url)
    study = optuna.create_study(
        storage=storage,
        study_name=plan.study_name,
        directions=plan.directions,
        sampler=build_sampler(plan.sampler, plan.space, seed=plan.seed, objectives=len(plan.objectives)),
        pruner=build_pruner(plan.pruner),
        load_if_exists=True,
    )
    signature = {"objectives": plan.objectives, "space": [p.key for p in plan.space.params]}
    recorded = study.user_attrs.get("trainlab.signature")
    if recorded is None:
        study.set_user_attr("trainlab.signature", signature)
    elif recorded != signature:
        raise TrainlabError(
            f"the storage already holds study '{plan.study_name}' searched over {recorded['space']} for "
            f"{recorded['objectives']}; give another --study name or --out to start a new one"
        )
    return study


def run_search(plan: SearchPlan, workers: int, report: Callable[[str], None]) -> None:
    """Run trials in this process (one worker), or in ``workers`` long-lived worker processes."""
    if workers == 1:
        _optimize(plan, 0, report)
        return
    from trainlab.experiment.warm_up import start_training_workers

    with start_training_workers(workers) as pool:
        # Each worker runs trials until the study is full; its lines go to the shared stdout.
        for future in [pool.submit(_optimize, plan, worker) for worker in range(workers)]:
            future.result()


def _optimize(plan: SearchPlan, worker: int, report: Callable[[str], None] = print) -> None:
    """Run trials in this process until the study holds ``plan.trials`` of them (each worker its own sampler seed)."""
    import optuna
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    from trainlab.experiment.storage import open_storage
    from trainlab.experiment.tune.choices import build_pruner, build_sampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(
        study_name=plan.study_name,
        storage=open_storage(plan.storage_url),
        sampler=build_sampler(
            plan.sampler, plan.space, seed=plan.seed + worker, objectives=len(plan.objectives)
        ),
        pruner=build_pruner(plan.pruner),
    )
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    remaining = plan.trials - len(study.get_trials(deepcopy=False, states=finished))
    if remaining <= 0:
        return

    def objective(trial: optuna.Trial) -> Any:
        values = plan.space.suggest(trial)
        outcome = run_trial(
            trial_recipe(plan, values),
            _trial_dir(plan.out, trial.number),
            plan.objectives,
            trial=trial,
            params=values,
        )
        return _recorded(trial, outcome)

    def progress(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        report(_trial_line(trial, plan))

    study.optimize(
        objective,
        n_trials=remaining,
        catch=(_TrialFailed,),
        callbacks=[MaxTrialsCallback(plan.trials, states=None), progress],
    )


class _TrialFailed(Exception):
    """A trial the recipe or data refused with the sampled values (recorded FAIL, with the message)."""


def _recorded(trial: optuna.Trial, outcome: TrialOutcome) -> Any:
    """Record the outcome on the Optuna trial: COMPLETE with values, PRUNED (pruned or diverged), or FAIL."""
    import optuna

    trial.set_user_attr(STATE_ATTR, outcome.state)
    trial.set_user_attr(RUN_DIR_ATTR, outcome.run_dir)
    if outcome.reason:
        trial.set_user_attr(REASON_ATTR, outcome.reason)
    if outcome.state == "complete":
        return outcome.values[0] if len(outcome.values) == 1 else outcome.values
    if outcome.state in ("pruned", "diverged"):
        raise optuna.TrialPruned(outcome.reason)
    raise _TrialFailed(outcome.reason)


def trial_recipe(plan: SearchPlan, values: Mapping[str, Any], seed: int | None = None) -> dict[str, Any]:
    """The recipe of one trial: the sampled values, validation at eval_every, this worker's threads."""
    recipe = apply_params(plan.raw, values)
    train = recipe.setdefault("train", {})
    if not train.get("eval_every") and train.get("steps"):
        train["eval_every"] = max(1, int(train["steps"]) // EVALUATIONS_PER_TRIAL)
    if plan.threads is not None:
        train["threads"] = plan.threads
    if seed is not None:
        train["seed"] = seed
    train["progress"] = False
    return recipe


def _trial_dir(out: Path, number: int) -> Path:
    return out / "trials" / f"trial-{number:04d}"


def _trial_line(trial: optuna.trial.FrozenTrial, plan: SearchPlan) -> str:
    params = ", ".join(f"{k}={_short(v)}" for k, v in plan.space.decode(trial.params).items())
    state = trial.user_attrs.get(STATE_ATTR, trial.state.name.lower())
    if trial.state.name == "COMPLETE":
        scores = ", ".join(
            f"{name} {_short(value)}" for name, value in zip(plan.objectives, trial.values, strict=True)
        )
        return f"trial {trial.number}: {scores}  ({params})"
    reason = trial.user_attrs.get(REASON_ATTR, "")
    return f"trial {trial.number}: {state}{f' ({reason})' if reason else ''}  ({params})"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
