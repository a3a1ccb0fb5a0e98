"""Progress a person can follow: a bar on a terminal, one plain line per log interval elsewhere, and log.txt.

Both read the same status (step, loss, lr, the latest evaluation, speed and time left), updated at
logging intervals only, never per step, so they cost the loop nothing between logs.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from trainlab.summary_tables import short_number


def _clock(seconds: float) -> str:
    return str(dt.timedelta(seconds=int(seconds)))


class TrainingStatus:
    """What a progress display shows, kept up to date by the callback hooks."""

    def __init__(self) -> None:
        self.loss = "-"
        self.lr = "-"
        self.evaluation = ""
        self._started = 0.0
        self._first_step = 0

    def start(self, trainer: Any) -> None:
        self._started = time.perf_counter()
        self._first_step = trainer.step

    def logged(self, record: dict[str, Any]) -> None:
        self.loss = short_number(record["loss"])
        self.lr = short_number(record["lr"])

    def evaluated(self, trainer: Any, split: str, metrics: dict[str, Any]) -> bool:
        """Record the monitored metric of the split evaluated during training; whether it was that split."""
        name = trainer.monitor_metric
        if split != trainer.eval_on or not isinstance(metrics.get(name), (int, float)):
            return False
        self.evaluation = f"{split} {name} {short_number(metrics[name])}"
        return True

    def timing(self, trainer: Any) -> tuple[str, str, str]:
        """``("312 steps/s", "0:00:03 elapsed", "eta 0:00:19")``: this session's speed; empty before a step."""
        elapsed = time.perf_counter() - self._started
        done = trainer.step - self._first_step
        if done <= 0 or elapsed <= 0:
            return "", f"{_clock(elapsed)} elapsed", ""
        rate = done / elapsed
        left = (trainer.total_steps - trainer.step) / rate
        return f"{rate:.0f} steps/s", f"{_clock(elapsed)} elapsed", f"eta {_clock(left)}"

    def line(self, trainer: Any) -> str:
        """``step 50/100  loss 0.5  lr 0.001  val accuracy 0.9  312 steps/s, 0:00:03 elapsed, eta 0:00:19``."""
        pieces = [
            f"step {trainer.step}/{trainer.total_steps}",
            f"loss {self.loss}",
            f"lr {self.lr}",
            self.evaluation,
        ]
        pieces.append(", ".join(piece for piece in self.timing(trainer) if piece))
        return "  ".join(piece for piece in pieces if piece)


class ProgressBar:
    """A bar on a terminal, laid out to fit its width (80 columns included)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(file=sys.stdout)
        self.status = TrainingStatus()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @staticmethod
    def wanted() -> bool:
        return sys.stdout.isatty()

    def on_fit_start(self, trainer: Any) -> None:
        self.status.start(trainer)
        # Two text columns around a bar that takes what width is left: nothing is cut to "…".
        self._progress = Progress(
            TextColumn("{task.completed}/{task.total}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[status]}"),
            console=self.console,
            transient=False,
            expand=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "train", total=trainer.total_steps, completed=trainer.step, status=self._status(trainer)
        )

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self.status.logged(record)
        self._update(trainer)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        if self.status.evaluated(trainer, split, metrics):
            self._update(trainer)

    def on_fit_end(self, trainer: Any) -> None:
        self._stop()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._stop()

    def _status(self, trainer: Any) -> str:
        """The status beside the bar, as much of it as fits the terminal, most important first.

        The step counter and a bar of at least six cells come first; then the loss, the time left,
        the latest evaluation, the lr and the speed, each only if it fits whole.
        """
        rate, _, eta = self.status.timing(trainer)
        pieces = [f"loss {self.status.loss}", eta, self.status.evaluation, f"lr {self.status.lr}", rate]
        room = self.console.width - len(f"{trainer.step}/{trainer.total_steps}") - 6 - 2
        shown: list[str] = []
        for piece in pieces:
            if piece and len(" ".join([*shown, piece])) <= room:
                shown.append(piece)
        return " ".join(shown)

    def _update(self, trainer: Any) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=trainer.step, status=self._status(trainer))

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class LogLines:
    """One plain line per log interval, to ``log.txt`` and, where there is no terminal, to the screen.

    Args:
        path: The run directory's ``log.txt`` (appended to, so a resumed run continues it), or None.
        echo: Also print each line, e.g. to a pipe, CI or nohup, where no bar can be drawn.
        stream: Where echoed lines go (stdout).
    """

    def __init__(self, path: str | Path | None, *, echo: bool, stream: TextIO | None = None):
        self.path = Path(path) if path is not None else None
        self.echo = echo
        self.stream = stream
        self.status = TrainingStatus()
        self._file: TextIO | None = None

    def on_fit_start(self, trainer: Any) -> None:
        self.status.start(trainer)
        if self.path is not None:
            self._file = self.path.open("a", encoding="utf-8")
        self._write(f"training from step {trainer.step} to {trainer.total_steps}")

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self.status.logged(record)
        self._write(self.status.line(trainer))

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self.status.evaluated(trainer, split, metrics)

    def on_fit_end(self, trainer: Any) -> None:
        for split in trainer.eval_sets:  # the final evaluation of every split, in the trainer's order
            metrics = trainer.last_eval.get(split, {})
            values = ", ".join(
                f"{k} {short_number(v)}" for k, v in metrics.items() if isinstance(v, (int, float))
            )
            self._write(f"final {split}: {values}")
        self._close()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        # Into the file only: on the screen the error itself is the last thing printed.
        self._write(f"stopped at step {trainer.step}: {type(exc).__name__}: {exc}", echo=False)
        self._close()

    def _write(self, line: str, *, echo: bool = True) -> None:
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        if self.echo and echo:
            print(line, file=self.stream or sys.stdout, flush=True)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
