"""Reduce-on-plateau: lower the learning rate when a monitored value stops improving."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import torch
from pydantic import Field

from trainlab.schedules._base import SCHEDULES, FactorSchedule, NonNegativeInt, WarmupKind, with_warmup


@SCHEDULES.register(
    "reduce_on_plateau",
    aliases=("plateau",),
    reference="https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html",
)
class ReduceOnPlateau(FactorSchedule):
    """Multiply the learning rate by ``factor`` when the monitored value has not improved for ``patience`` checks.

    A step-based schedule like the others: the trainer steps it every optimizer step, and the
    value it watches arrives through the callback hooks ``on_log`` (training loss) or
    ``on_eval_end`` (a split's metric), so the run wires it in as a callback. Its state (best,
    bad observations, current scale) is in ``state_dict``. The rule follows torch's
    ``ReduceLROnPlateau`` (relative threshold).

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        total_steps: Length of training in optimizer steps (unused: the monitored value decides).
        factor: Multiplicative decrease.
        patience: Observations without improvement tolerated before decreasing.
        threshold: Relative improvement that counts.
        mode: ``min`` for losses, ``max`` for scores such as accuracy.
        monitor: ``train_loss`` (every log_every steps), ``val_loss``, or a metric of the evaluated split
            (every train.eval_every steps).
        min_lr_ratio: Floor of the learning rate as a fraction of the base one.
        warmup_steps: Steps of warmup.
        warmup: ``linear`` or ``exponential`` ramp.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        factor: Annotated[float, Field(gt=0, lt=1)] = 0.1,
        patience: NonNegativeInt = 10,
        threshold: Annotated[float, Field(ge=0)] = 1e-4,
        mode: Literal["min", "max"] = "min",
        monitor: str = "train_loss",
        min_lr_ratio: Annotated[float, Field(ge=0, le=1)] = 0.0,
        warmup_steps: NonNegativeInt = 0,
        warmup: WarmupKind = "linear",
    ):
        self.scale = 1.0
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_observations = 0
        # ``factor`` is FactorSchedule's factor function, hence the longer name for the decrease.
        self.reduce_factor, self.patience, self.threshold = factor, patience, threshold
        self.mode, self.monitor, self.min_lr_ratio = mode, monitor, min_lr_ratio
        super().__init__(optimizer, with_warmup(lambda step: self.scale, warmup_steps, warmup))

    def observe(self, value: float) -> None:
        """Record one value of the monitored quantity; lower the scale after ``patience`` bad ones."""
        if self.mode == "min":
            improved = value < self.best * (1 - self.threshold)
        else:
            improved = value > self.best * (1 + self.threshold)
        if improved:
            self.best, self.bad_observations = value, 0
            return
        self.bad_observations += 1
        if self.bad_observations > self.patience:
            self.scale = max(self.scale * self.reduce_factor, self.min_lr_ratio)
            self.bad_observations = 0
            for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = base_lr * self.factor(self.last_epoch)

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        if self.monitor == "train_loss":
            self.observe(record["loss"])

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        if self.monitor != "train_loss" and split == trainer.eval_on:
            self.observe(metrics["loss" if self.monitor == "val_loss" else self.monitor])
