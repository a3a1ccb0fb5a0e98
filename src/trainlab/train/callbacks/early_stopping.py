"""Early stopping: stop when the monitored metric stops improving, diverges, or turns non-finite."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field

from trainlab.registry import CALLBACKS, METRICS


@CALLBACKS.register(
    "early_stopping",
    reference="Prechelt 1998, Early Stopping - But When? (Neural Networks: Tricks of the Trade)",
)
class EarlyStopping:
    """Stop after ``patience`` evaluations without improvement, or at once on divergence or a non-finite value.

    Stops training through ``trainer.should_stop``. Checks, in order:

    - a non-finite training loss or monitored value stops at once;
    - divergence: a training loss above ``divergence_factor`` times the best one stops at once;
    - patience: ``patience`` evaluations of ``trainer.eval_on`` in a row without an improvement
      of more than ``min_delta`` stop.

    Needs ``train.eval_every`` for the patience check; divergence and non-finite checks run every
    log. ``reason`` says which check fired; its state is checkpointed.

    Args:
        monitor: Metric of the evaluated split (``loss`` or a metric name); default the run's first metric.
        patience: Evaluations without improvement tolerated.
        min_delta: Smallest change that counts as an improvement.
        mode: ``min`` or ``max``; ``auto`` reads the metric's direction from the registry.
        divergence_factor: Stop when the training loss exceeds this multiple of its best value; None disables.
    """

    def __init__(
        self,
        monitor: str | None = None,
        patience: Annotated[int, Field(ge=1)] = 5,
        min_delta: Annotated[float, Field(ge=0.0)] = 0.0,
        mode: Literal["auto", "min", "max"] = "auto",
        divergence_factor: Annotated[float, Field(gt=1.0)] | None = 10.0,
    ):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.divergence_factor = mode, divergence_factor
        self.best: float | None = None
        self.bad_evaluations = 0
        self.best_train_loss = math.inf
        self.reason: str | None = None

    def _direction(self, metric: str) -> str:
        if self.mode != "auto":
            return self.mode
        if metric in METRICS:
            higher = METRICS.get(metric).flags.get("higher_is_better")
            return "max" if higher else "min"
        return "min"

    def _stop(self, trainer: Any, reason: str) -> None:
        self.reason = reason
        trainer.should_stop = True

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        loss = record["loss"]
        if not math.isfinite(loss):
            return self._stop(trainer, f"training loss is {loss} at step {trainer.step}")
        if self.divergence_factor is not None and loss > self.divergence_factor * self.best_train_loss:
            return self._stop(
                trainer,
                f"training loss {loss:.4g} diverged above {self.divergence_factor} x best {self.best_train_loss:.4g}",
            )
        self.best_train_loss = min(self.best_train_loss, loss)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        if split != trainer.eval_on or trainer.step >= trainer.total_steps:
            return
        metric = self.monitor or trainer.monitor_metric
        value = float(metrics[metric])
        if not math.isfinite(value):
            return self._stop(trainer, f"{split} {metric} is {value}")
        sign = 1.0 if self._direction(metric) == "max" else -1.0
        if self.best is None or sign * (value - self.best) > self.min_delta:
            self.best, self.bad_evaluations = value, 0
            return
        self.bad_evaluations += 1
        if self.bad_evaluations >= self.patience:
            self._stop(
                trainer,
                f"{split} {metric} did not improve on {self.best:.4g} for {self.patience} evaluations",
            )

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "bad_evaluations": self.bad_evaluations,
            "best_train_loss": self.best_train_loss,
            "reason": self.reason,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad_evaluations = state["best"], state["bad_evaluations"]
        self.best_train_loss, self.reason = state["best_train_loss"], state["reason"]
