"""Measurements of a run's logged history: steps to a threshold, area under the training-loss curve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from trainlab.errors import TrainlabError
from trainlab.studies.measures._run_files import history, run_steps
from trainlab.studies.registries import MEASURES


@MEASURES.register(
    "steps_to_threshold",
    reference="Time-to-target as in Dahl et al. 2023, Benchmarking Neural Network Training "
    "Algorithms (AlgoPerf), arXiv:2306.07179",
)
class StepsToThreshold:
    """The first logged step at which a metric reaches a threshold; never: the run's steps + 1."""

    def __init__(self, threshold: float, metric: str = "loss", split: str = "train"):
        """Options of the measure.

        Args:
            threshold: The target value: reached when the metric is at or below it (loss) or at or
                above it (any other metric).
            metric: ``loss`` on ``train`` reads the logged training loss; on ``val``/``test`` the
                evaluations every ``train.eval_every`` steps (accuracy, f1_macro, loss, ...).
            split: ``train``, ``val`` or ``test``.
        """
        self.threshold, self.metric, self.split = threshold, metric, split

    def __call__(self, run_dir: Path) -> float:
        from trainlab.metrics.defaults import higher_is_better

        record_type = "step" if self.split == "train" else "eval"
        rows = [row for row in history(run_dir, record_type, self.split) if self.metric in row]
        if not rows:
            where = "train.log_every" if record_type == "step" else "train.eval_every and train.eval_on"
            raise TrainlabError(
                f"measure: '{run_dir}' logged no {self.split} {self.metric}; set {where} in the base recipe"
            )
        rising = higher_is_better(self.metric)
        for row in rows:
            value = row[self.metric]
            if (value >= self.threshold) if rising else (value <= self.threshold):
                return float(row["step"])
        # Censored: not reached within the run. One past its length keeps the seed in a paired
        # comparison and ranks it behind every run that did reach the target.
        return float(run_steps(run_dir) + 1)


@MEASURES.register(
    "train_loss_auc",
    reference="Area under the learning curve as a speed-of-learning summary: Domhan, Springenberg & "
    "Hutter 2015, Speeding up Automatic Hyperparameter Optimization by Extrapolation of Learning Curves",
)
class TrainLossAUC:
    """The mean logged training loss over the run (area under the curve divided by its length)."""

    def __init__(self, until_step: Annotated[int, Field(ge=1)] | None = None):
        """Options of the measure.

        Args:
            until_step: Only the curve up to this step (the first steps of a run); None: all of it.
        """
        self.until_step = until_step

    def __call__(self, run_dir: Path) -> float:
        rows = history(run_dir, "step", "train")
        if self.until_step is not None:
            rows = [row for row in rows if row["step"] <= self.until_step]
        if not rows:
            raise TrainlabError(f"measure: '{run_dir}' logged no training loss; lower train.log_every")
        steps = [0.0] + [float(row["step"]) for row in rows]
        losses = [float(row["loss"]) for row in rows]
        # Each logged loss is the mean over the steps since the previous log: a step function.
        area = sum(loss * (steps[i + 1] - steps[i]) for i, loss in enumerate(losses))
        return area / steps[-1]
