"""Appends every logged step and evaluation to ``metrics.jsonl``, one JSON object per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO


class JsonlLogger:
    """Writes ``{"type": "step"|"eval", "step": ..., "split": "train"|"val"|"test", ...}`` records.

    ``step`` records carry the mean training loss and lr of the logging interval; ``eval``
    records carry a split's loss and metrics.

    Each record is written with a single ``write`` and flushed, so a run killed mid-way leaves
    every earlier line whole. Timing is kept out of the file so that two runs with the same
    seed produce identical files.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._handle: TextIO | None = None

    def on_fit_start(self, trainer: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")

    def on_log(self, trainer: Any, record: dict[str, Any]) -> None:
        self._write(
            {"type": "step", "step": trainer.step, "epoch": trainer.epoch, "split": "train", **record}
        )

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self._write({"type": "eval", "step": trainer.step, "epoch": trainer.epoch, "split": split, **metrics})

    def on_fit_end(self, trainer: Any) -> None:
        self._close()

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._close()

    def _write(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            return
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
