"""A rich progress bar with step, loss, lr, the latest eval metric and ETA."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBar:
    """Shown only on a terminal; updated at logging intervals, never per step."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(file=sys.stdout)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._fields: dict[str, Any] = {"loss": "-", "lr": "-", "eval": ""}

    @staticmethod
    def wanted() -> bool:
        return sys.stdout.isatty()

    def on_fit_start(self, trainer: Any) -> None:
        self._progress = Progress(
            TextColumn("[bold]step"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}  lr {task.fields[lr]}  {task.fields[eval]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "train", total=trainer.total_steps, completed=trainer.step, **self._fields
        )

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self._fields["loss"] = f"{record['loss']:.4f}"
        self._fields["lr"] = f"{record['lr']:.3g}"
        self._update(trainer)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        name = trainer.monitor_metric
        if split == trainer.eval_on and name in metrics:
            self._fields["eval"] = f"{split} {name} {metrics[name]:.4f}"
            self._update(trainer)

    def on_fit_end(self, trainer: Any) -> None:
        self._stop()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._stop()

    def _update(self, trainer: Any) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=trainer.step, **self._fields)

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
