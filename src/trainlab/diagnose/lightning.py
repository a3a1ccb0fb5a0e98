"""trainlab's instruments as a Lightning callback: ``Trainer(callbacks=[DiagnoseCallback()])``; needs ``lightning``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import lightning.pytorch as pl

from trainlab.diagnose.monitor import Monitor


class DiagnoseCallback(pl.Callback):
    """Runs trainlab's instruments on every ``every``-th optimizer step of a Lightning run.

    The statistics are read when Lightning logs (every ``log_every_n_steps``), so the default
    sampling adds no device sync; rank 0 measures. Rows go to ``path`` (``diagnostics.jsonl``)
    when given, and to ``callback.monitor.table()`` in any case. Gradients are measured in
    ``on_before_optimizer_step``: after every accumulated micro-batch, before the update.

    Args:
        every: Sample every N optimizer steps; None: Lightning's ``log_every_n_steps``.
        instruments: Instrument names or ``{name: ..., **options}``; None: the defaults.
        window: Sampled steps over which a unit must stay silent to count as dead.
        loss_fn: ``loss_fn(outputs, targets)`` for the ``hessian`` instrument (batches as ``(inputs, targets)``).
        path: Append the rows to this file.
    """

    def __init__(
        self,
        every: int | None = None,
        instruments: Sequence[str | Mapping[str, Any]] | None = None,
        window: int | None = None,
        loss_fn: Any = None,
        path: str | os.PathLike | None = None,
    ):
        self.every = every
        self.instruments = instruments
        self.window = window
        self.loss_fn = loss_fn
        self.path = path
        self.monitor: Monitor | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        self.monitor = Monitor(
            pl_module,
            trainer.optimizers[0] if trainer.optimizers else None,
            every=self.every or _log_every(trainer),
            instruments=self.instruments,
            window=self.window,
            loss_fn=self.loss_fn,
            grad_accum_steps=trainer.accumulate_grad_batches,
            path=self.path,
            step=trainer.global_step,
        )

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.monitor is None:
            return
        self.monitor.start_step()
        sampled = self.monitor.sampled_step
        if (
            sampled is not None
            and sampled.targets is None
            and isinstance(batch, (tuple, list))
            and len(batch) > 1
        ):
            sampled.targets = batch[1]

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any
    ) -> None:
        if self.monitor is None:
            return
        sampled = self.monitor.sampled_step
        self.monitor.after_backward(targets=sampled.targets if sampled is not None else None)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        monitor = self.monitor
        if monitor is None or trainer.global_step == monitor.step:
            return  # a micro-batch of an accumulating step, or a skipped step
        monitor.after_step()
        if monitor.step % _log_every(trainer) == 0:
            monitor.flush()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.monitor is not None:
            self.monitor.close()


def _log_every(trainer: Any) -> int:
    """Lightning's logging interval (set on the trainer at run time; 0 in barebones mode, where 50 stands in)."""
    return getattr(trainer, "log_every_n_steps", 0) or 50
