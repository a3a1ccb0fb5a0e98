"""The settings of a training run: length, batching, clipping, precision, evaluation, checkpoints, policies.

The recipe's ``train:`` section, and the one settings object the :class:`~trainlab.train.Trainer` reads.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from trainlab.errors import ConfigError, Problem

# Bounds that only a typo crosses (`steps: 1e30`); a run this long would never end.
MAX_STEPS = 10**9
MAX_EPOCHS = 10**6

PositiveInt = Annotated[int, Field(ge=1)]
PositiveFloat = Annotated[float, Field(gt=0.0)]


class TrainSettings(BaseModel):
    """How long and how to train."""

    model_config = ConfigDict(extra="forbid")

    steps: PositiveInt | None = None
    """Optimizer steps to take (give this or epochs)."""
    epochs: PositiveInt | None = None
    """Passes over the training split (give this or steps)."""
    batch_size: PositiveInt = 64
    """Samples per optimizer step (per micro-batch when accumulating gradients)."""
    eval_batch_size: PositiveInt = 1024
    """Samples per forward pass when evaluating."""
    grad_accum_steps: PositiveInt = 1
    """Micro-batches whose gradients are summed before each optimizer step."""
    grad_clip_norm: PositiveFloat | None = None
    """Clip the global gradient L2 norm to this value."""
    grad_clip_value: PositiveFloat | None = None
    """Clip every gradient element to [-value, value]."""
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    """Autocast precision: bf16 works on CPU and GPU, fp16 needs a CUDA device."""
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0
    """Seeds python, numpy and torch; the same seed gives the same run (0 to 2^32 - 1, numpy's range)."""
    deterministic: bool = False
    """Ask torch for deterministic kernels (slower on GPU; needed for bit-identical resume)."""
    eval_every: PositiveInt | None = None
    """Evaluate ``eval_on`` every N steps (every split is evaluated at the end)."""
    eval_on: Literal["val", "test"] = "val"
    """Split evaluated every eval_every steps; ``test`` tracks test accuracy the way papers plot it
    (then nothing may be selected on it)."""
    log_every: PositiveInt = 50
    """Log the mean training loss every N steps; the only point where the loop syncs."""
    device: Literal["cpu", "cuda", "mps", "auto"] = "cpu"
    """Where to train; auto picks CUDA, then MPS, then CPU."""
    threads: PositiveInt | Literal["auto"] = "auto"
    """Torch intra-op threads; ``auto``: the cores other processes leave free at start-up (a resumed run
    keeps its checkpoints' count, a data-parallel run splits the cores between its processes, and a
    deterministic run keeps torch's count: OMP_NUM_THREADS, else every core)."""
    progress: bool = True
    """Show a progress bar when stdout is a terminal."""
    checkpoint_every: PositiveInt | None = None
    """Checkpoint every N steps and after the last one (SIGTERM/SIGINT always checkpoint before stopping)."""
    keep_last: PositiveInt = 2
    """Checkpoints kept, newest first; the one with the best eval_on metric is kept as well."""
    resume: Literal["never", "auto"] = "never"
    """``auto``: continue from the newest complete checkpoint in ``out`` if there is one."""
    nan_policy: Literal["raise", "skip", "rollback"] = "raise"
    """On a NaN/Inf loss or gradient (or a spike): stop naming the culprit, skip the batch, or roll back to
    the last checkpoint with a lower lr."""
    spike_zscore: PositiveFloat | None = None
    """Treat a step loss this many standard deviations above the last spike_window steps as a spike."""
    spike_window: Annotated[int, Field(ge=2)] = 50
    """Steps in the rolling window of the spike detector."""
    rollback_lr_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    """Multiplies the learning rate at each rollback."""
    loggers: list[Literal["tensorboard", "csv"]] = Field(default_factory=list)
    """Extra logs beside metrics.jsonl: ``tensorboard`` (event files in tensorboard/) and ``csv`` (metrics.csv)."""

    @field_validator("threads", mode="wrap")
    @classmethod
    def _one_message_for_threads(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> int | str:
        # Without this, each half of the union reports its own error.
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(f"must be 'auto' or a number of threads, 1 or more (got {value!r})") from None

    @model_validator(mode="after")
    def _check_length(self) -> TrainSettings:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("can't set both `train.steps` and `train.epochs`; keep one")
        if self.steps is None and self.epochs is None:
            raise ValueError("set `train.steps` or `train.epochs`")
        for key, value, most in (("steps", self.steps, MAX_STEPS), ("epochs", self.epochs, MAX_EPOCHS)):
            if value is not None and value > most:
                raise ValueError(
                    f"`train.{key}: {value:.3g}` is more than {most:,}, which no run here could finish; "
                    f"is it a typo?"
                )
        if self.grad_clip_norm is not None and self.grad_clip_value is not None:
            raise ValueError("can't set both `train.grad_clip_norm` and `train.grad_clip_value`; keep one")
        if self.nan_policy == "rollback" and self.checkpoint_every is None:
            raise ValueError(
                "`train.nan_policy: rollback` needs `train.checkpoint_every`: the states it rolls back to"
            )
        return self

    def total_steps(self, batches_per_epoch: int) -> int:
        """Optimizer steps of the run: ``steps``, or ``epochs`` passes of ``batches_per_epoch`` micro-batches.

        Raises:
            ConfigError: an epoch holds fewer micro-batches than one step accumulates.
        """
        if self.steps is not None:
            return self.steps
        steps_per_epoch = batches_per_epoch // self.grad_accum_steps
        if steps_per_epoch == 0:
            raise ConfigError(
                [
                    Problem(
                        "train.grad_accum_steps",
                        f"{self.grad_accum_steps} micro-batches per step exceed the {batches_per_epoch} "
                        "batches in an epoch; lower it or train.batch_size",
                    )
                ]
            )
        assert self.epochs is not None  # the validator above requires steps or epochs
        return math.ceil(self.epochs * steps_per_epoch)
