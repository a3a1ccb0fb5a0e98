"""The trainer's diagnostics callback: a Monitor on the run's sampled steps, writing ``diagnostics.jsonl``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from trainlab.diagnose.monitor import Monitor
from trainlab.diagnose.records import DIAGNOSTICS_FILE, DiagnosticsWriter, read_records


class DiagnoseCallback:
    """Runs instruments on every ``every``-th step of ``trainlab fit`` (the recipe's ``diagnose:``).

    Statistics are read in the log-time sync the trainer already makes (``on_log``), so with
    ``every`` equal to ``train.log_every`` (the default) no step waits for the device on their
    account. Rank 0 measures and writes ``diagnostics.jsonl`` in the run directory; a resumed run
    first drops the rows after its checkpoint, so no row is written twice. At the end of the run
    the pictures go to ``diagnostics/*.png`` (``pictures: false`` to skip them).

    Args:
        every: Sample every N steps; None: every ``train.log_every`` steps.
        instruments: Instrument names or ``{name: ..., **options}``; None: the defaults.
        window: Sampled steps over which a unit must stay silent to count as dead.
        pictures: Draw the pictures into ``diagnostics/`` when the run ends.
        run_dir: Where ``diagnostics.jsonl`` goes; default the run's directory (none without one).
    """

    def __init__(
        self,
        every: int | None = None,
        instruments: Sequence[str | Mapping[str, Any]] | None = None,
        window: int | None = None,
        pictures: bool = True,
        run_dir: str | Path | None = None,
    ):
        self.every = every
        self.instruments = instruments
        self.window = window
        self.pictures = pictures
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.monitor: Monitor | None = None
        self._saved_state: Mapping[str, Any] | None = None
        self._loss_fn: Any = None

    def on_fit_start(self, trainer: Any) -> None:
        if not trainer.process.is_main:
            return
        if self.run_dir is None and trainer.checkpoints is not None:
            self.run_dir = trainer.checkpoints.directory.parent
        path = self.run_dir / DIAGNOSTICS_FILE if self.run_dir is not None else None
        if path is not None:
            DiagnosticsWriter(path).resume_at(trainer.step)
        self.monitor = Monitor(
            trainer.model,
            trainer.optimizer,
            every=self.every or trainer.settings.log_every,
            instruments=self.instruments,
            window=self.window,
            loss_fn=trainer.loss_fn,
            grad_accum_steps=trainer.settings.grad_accum_steps,
            path=path,
            step=trainer.step,
            last_step=trainer.total_steps,
        )
        if self._saved_state is not None:
            self.monitor.load_state_dict(self._saved_state)

    def on_step_start(self, trainer: Any) -> None:
        monitor = self.monitor
        if monitor is None:
            return
        monitor.step = trainer.step  # the NaN guard's rollback may have gone back
        monitor.start_step()
        if monitor.needs_batch and monitor.sampled_step is not None:
            # The Hessian needs the step's targets, which only the loss function sees.
            self._loss_fn = trainer.loss_fn
            trainer.loss_fn = _RecordTargets(trainer.loss_fn, monitor.sampled_step)

    def on_after_backward(self, trainer: Any) -> None:
        monitor = self.monitor
        sampled = monitor.sampled_step if monitor is not None else None
        if monitor is None or sampled is None:
            return
        if self._loss_fn is not None:
            trainer.loss_fn, self._loss_fn = self._loss_fn, None
        accum = trainer.settings.grad_accum_steps
        loss = torch.stack(trainer._pending_losses[-accum:]).float().mean()
        scale = trainer.scaler.get_scale() if trainer.scaler.is_enabled() else 1.0
        monitor.after_backward(loss, targets=sampled.targets, grad_scale=scale)

    def on_step_end(self, trainer: Any) -> None:
        if self.monitor is not None:
            self.monitor.after_step()

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        if self.monitor is not None:
            self.monitor.flush()

    def on_fit_end(self, trainer: Any) -> None:
        if self.monitor is None:
            return
        self.monitor.close()
        if self.pictures and self.run_dir is not None and read_records(self.run_dir):
            from trainlab.diagnose.pictures import draw_pictures

            draw_pictures(self.run_dir)

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        if self._loss_fn is not None:
            trainer.loss_fn, self._loss_fn = self._loss_fn, None
        if self.monitor is not None:
            self.monitor.close()

    def state_dict(self) -> dict[str, Any]:
        return self.monitor.state_dict() if self.monitor is not None else dict(self._saved_state or {})

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._saved_state = state
        if self.monitor is not None:
            self.monitor.load_state_dict(state)


class _RecordTargets:
    """The trainer's loss function, noting the first targets of a sampled step as it passes them on."""

    def __init__(self, loss_fn: Any, sampled: Any):
        self.loss_fn = loss_fn
        self.sampled = sampled

    def __call__(self, outputs: Any, targets: Any) -> Any:
        if self.sampled.targets is None:
            self.sampled.targets = targets
        return self.loss_fn(outputs, targets)
