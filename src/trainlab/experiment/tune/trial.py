"""One tune trial: an ordinary run directory trained on the sampled recipe, scored on the validation split only.

Two callbacks ride along with the trainer: :class:`ValidationOnly` takes the test split out of the
run, so that no trial (and no selection) ever sees a test score, and :class:`PruningReporter` hands
every validation evaluation to Optuna and stops the run when the pruner says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from trainlab._io import write_json_atomic
from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    import optuna

    from trainlab.train.trainer import Trainer

TRIAL_FILE = "trial.json"
# User attributes of an Optuna trial: how it ended (complete, pruned, diverged, failed), its run, and why.
STATE_ATTR = "trainlab.state"
RUN_DIR_ATTR = "trainlab.run_dir"
REASON_ATTR = "trainlab.reason"
# Objectives that are facts of the run rather than validation metrics; both are minimized.
RUN_OBJECTIVES = {"wall_time": ("run", "wall_time_s"), "parameters": ("run", "parameters")}


class ValidationOnly:
    """Remove the test split from the trainer, so a trial's run directory holds no test score at all."""

    def on_fit_start(self, trainer: Trainer) -> None:
        trainer.eval_sets.pop("test", None)


class PruningReporter:
    """Report the validation metric at each evaluation to the Optuna trial; stop the run when it is pruned.

    Args:
        trial: The Optuna trial.
        metric: The validation metric reported (``accuracy``, ``loss``, ...).
    """

    def __init__(self, trial: optuna.Trial, metric: str):
        self.trial = trial
        self.metric = metric
        self.pruned_at: int | None = None
        self._reported: set[int] = set()

    def on_eval_end(self, trainer: Trainer, split: str, metrics: Mapping[str, Any]) -> None:
        value = metrics.get(self.metric)
        if split != "val" or trainer.step in self._reported or not _finite(value):
            return
        self._reported.add(trainer.step)
        self.trial.report(float(value), trainer.step)
        if trainer.step < trainer.total_steps and self.trial.should_prune():
            self.pruned_at = trainer.step
            trainer.should_stop = True


@dataclass
class TrialOutcome:
    """What a trial ended as.

    Attributes:
        state: ``complete``, ``pruned``, ``diverged`` or ``failed``.
        values: The objective values (complete trials), in the order of the objectives.
        val: The final validation metrics.
        run_dir: The trial's run directory.
        reason: Why a trial was pruned, diverged or failed.
        wall_time_s: Training time of the run.
    """

    state: str
    values: list[float] = field(default_factory=list)
    val: dict[str, Any] = field(default_factory=dict)
    run_dir: str | None = None
    reason: str | None = None
    wall_time_s: float | None = None


def run_trial(
    recipe: Mapping[str, Any],
    out: Path,
    objectives: list[str],
    *,
    trial: optuna.Trial | None = None,
    params: Mapping[str, Any] | None = None,
) -> TrialOutcome:
    """Train ``recipe`` (plain data, with its overrides applied) into ``out`` and score it on validation.

    A run whose loss turns NaN, or which ends diverged, is an outcome (``diverged``), not an error;
    so is a sampled combination the recipe or data refuse (``failed``, with the message).

    Args:
        recipe: The trial's recipe as plain data.
        out: Its run directory (must not hold a run yet).
        objectives: Validation metric names, or ``wall_time`` / ``parameters``.
        trial: The Optuna trial to report intermediate values to (pruning); None for a re-run.
        params: The sampled values, recorded in the run directory's trial.json.
    """
    import trainlab
    from trainlab.train.anomaly import NonFiniteLossError

    reporter = PruningReporter(trial, objectives[0]) if trial is not None and len(objectives) == 1 else None
    callbacks: list[Any] = [ValidationOnly(), *([reporter] if reporter else [])]
    try:
        result = trainlab.fit({**recipe, "out": str(out)}, callbacks=callbacks, verbose=0)
    except NonFiniteLossError as exc:
        outcome = TrialOutcome("diverged", run_dir=str(out), reason=str(exc).splitlines()[0])
    except TrainlabError as exc:
        outcome = TrialOutcome("failed", run_dir=str(out) if out.exists() else None, reason=str(exc))
    else:
        outcome = _score(result.summary, objectives, str(out))
        if reporter is not None and reporter.pruned_at is not None and outcome.state == "complete":
            outcome.state, outcome.reason = "pruned", f"pruned at step {reporter.pruned_at}"
    if out.is_dir():
        write_json_atomic(
            out / TRIAL_FILE,
            {
                "number": trial.number if trial is not None else None,
                "params": dict(params or {}),
                "state": outcome.state,
                "values": outcome.values,
                "objectives": objectives,
                "reason": outcome.reason,
            },
        )
    return outcome


def _score(summary: Mapping[str, Any], objectives: list[str], run_dir: str) -> TrialOutcome:
    val = dict(summary.get("val") or {})
    run = summary.get("run") or {}
    wall = run.get("wall_time_s")
    if run.get("diverged"):
        return TrialOutcome("diverged", val=val, run_dir=run_dir, reason=run["diverged"], wall_time_s=wall)
    values = []
    for name in objectives:
        value = (
            summary[RUN_OBJECTIVES[name][0]][RUN_OBJECTIVES[name][1]]
            if name in RUN_OBJECTIVES
            else val.get(name)
        )
        if not _finite(value):
            return TrialOutcome(
                "diverged", val=val, run_dir=run_dir, reason=f"validation {name} is {value}", wall_time_s=wall
            )
        values.append(float(value))
    return TrialOutcome("complete", values=values, val=val, run_dir=run_dir, wall_time_s=wall)


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def read_outcome(out: Path, objectives: list[str]) -> TrialOutcome | None:
    """The outcome of a run a previous call finished in ``out`` (its summary.json), or None."""
    import json

    from trainlab.run_dir import SUMMARY

    path = out / SUMMARY
    if not path.is_file():
        return None
    summary = json.loads(path.read_text())
    if summary.get("status") != "finished":
        return None
    return _score(summary, objectives, str(out))
