"""Extra loggers a recipe turns on with ``train.loggers: [tensorboard, csv]``: each mirrors metrics.jsonl.

Only the main process of a data-parallel run logs (the caller adds them there), and a run without
``train.loggers`` creates none, so they cost nothing when off. Both follow a resumed run: records
after the step it resumes from (logged by the interrupted session) are dropped, as metrics.jsonl's are.
"""

from __future__ import annotations

import csv
import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from trainlab._io import write_text_atomic
from trainlab.errors import TrainlabError

LOGGERS = ("tensorboard", "csv")
CSV_FILE = "metrics.csv"
TENSORBOARD_DIR = "tensorboard"
CSV_COLUMNS = ("step", "epoch", "type", "split", "metric", "value")


def _scalars(record: dict[str, Any]) -> dict[str, float]:
    """The record's numeric values (a confusion matrix or a string is not a scalar to plot)."""
    return {
        key: float(value)
        for key, value in record.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in ("step", "epoch")
    }


class CsvLogger:
    """``metrics.csv`` in long form: one ``step, epoch, type, split, metric, value`` row per logged number.

    ``type`` is metrics.jsonl's: ``step`` (the training interval's mean loss, lr) or ``eval`` (a split's
    evaluation; the final one evaluates the train split too).

    Long form keeps every row's columns fixed, so the file can be appended to (and survive a kill)
    while metrics appear at different steps; ``pandas.read_csv(...).pivot_table`` widens it.

    Args:
        path: The CSV file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._handle: TextIO | None = None
        self._writer: Any = None

    def on_fit_start(self, trainer: Any) -> None:
        if self.path.exists() and trainer.step > 0:
            self._drop_rows_after(trainer.step)
        new = not self.path.exists()
        self._handle = self.path.open("a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        if new:
            self._writer.writerow(CSV_COLUMNS)

    def _drop_rows_after(self, step: int) -> None:
        with self.path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        kept = [rows[0]] + [row for row in rows[1:] if row and int(row[0]) <= step]
        write_text_atomic(self.path, "".join(",".join(row) + "\r\n" for row in kept))

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self._write(trainer, "step", "train", record)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self._write(trainer, "eval", split, metrics)

    def _write(self, trainer: Any, kind: str, split: str, record: dict[str, Any]) -> None:
        if self._writer is None or self._handle is None:
            return
        for name, value in _scalars(record).items():
            self._writer.writerow((trainer.step, trainer.epoch, kind, split, name, repr(value)))
        self._handle.flush()

    def on_fit_end(self, trainer: Any) -> None:
        self._close()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._writer = None


class TensorBoardLogger:
    """TensorBoard event files under ``tensorboard/``: scalars against the step, tagged ``train/<key>`` for the
    training intervals (mean loss, lr) and ``eval/<split>/<metric>`` for evaluations (the final evaluation of
    the train split must not land on the training loss's curve).

    ``tensorboard --logdir RUN_DIR/tensorboard`` shows them. A resumed run purges the events after
    its checkpoint's step (``SummaryWriter(purge_step=...)``), so the curves have no doubled tail.

    Args:
        directory: The event files' directory.

    Raises:
        TrainlabError: the tensorboard package is not installed.
    """

    def __init__(self, directory: str | Path):
        require_loggers(["tensorboard"])
        self.directory = Path(directory)
        self._writer: Any = None

    def on_fit_start(self, trainer: Any) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(str(self.directory), purge_step=trainer.step or None)

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self._write(trainer, "train", record)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self._write(trainer, f"eval/{split}", metrics)
        if self._writer is not None:
            self._writer.flush()  # evaluations are rare; a crash after one still shows it

    def _write(self, trainer: Any, split: str, record: dict[str, Any]) -> None:
        if self._writer is None:
            return
        for name, value in _scalars(record).items():
            if math.isfinite(
                value
            ):  # TensorBoard draws NaN as a gap at best; the run's NaN is in metrics.jsonl
                self._writer.add_scalar(f"{split}/{name}", value, trainer.step)

    def on_fit_end(self, trainer: Any) -> None:
        self._close()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def require_loggers(names: Sequence[str]) -> None:
    """Check, before the run starts, that every logger in ``names`` can run here.

    Raises:
        TrainlabError: tensorboard is asked for but not installed.
    """
    if "tensorboard" in names and importlib.util.find_spec("tensorboard") is None:
        raise TrainlabError(
            "train.loggers: tensorboard needs the tensorboard package, which is not installed; "
            "pip install 'trainlab[tensorboard]' (or pip install tensorboard), or drop it from train.loggers"
        )


def build_loggers(names: Sequence[str], run_dir: str | Path) -> list[Any]:
    """The logger callbacks ``train.loggers`` names, writing into ``run_dir`` (none for an empty list)."""
    run_dir = Path(run_dir)
    made: dict[str, Any] = {}
    for name in names:
        if name == "csv":
            made[name] = CsvLogger(run_dir / CSV_FILE)
        elif name == "tensorboard":
            made[name] = TensorBoardLogger(run_dir / TENSORBOARD_DIR)
    return list(made.values())
