"""Prediction files: one row per input sample, as CSV or JSON lines, with its row id, label and probabilities."""

from __future__ import annotations

import csv
import json
from typing import IO, Any

import numpy as np
import torch

FORMATS = ("csv", "jsonl")


class PredictionWriter:
    """Writes scored batches to an open text stream.

    Classification rows hold the row id (the sample's 0-based position in the input), the label,
    then either every class's probability (``probability_<label>``) or, with ``top_k``, the ``k``
    most probable labels and their probabilities, best first. Regression rows hold the row id and
    the predicted value(s).

    Args:
        stream: Where the lines go (a file opened by the caller, or stdout).
        fmt: ``csv`` or ``jsonl``.
        classes: The user's labels in index order, or None for regression.
        top_k: Keep only the ``k`` most probable classes; None keeps all.
    """

    def __init__(self, stream: IO[str], fmt: str, classes: list[Any] | None, top_k: int | None = None):
        self.stream = stream
        self.fmt = fmt
        self.classes = classes
        self.top_k = None if classes is None or top_k is None else min(top_k, len(classes))
        self._csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
        self._header_written = False

    def write(self, first_row: int, scores: torch.Tensor) -> None:
        """One output row per sample of ``scores`` (probabilities ``(N, K)`` or values ``(N, ...)``)."""
        values = scores.numpy()
        rows = range(first_row, first_row + len(values))
        if self.classes is None:
            self._write_values(rows, values.reshape(len(values), -1))
        else:
            self._write_classes(rows, values)

    def _write_classes(self, rows: range, probabilities: np.ndarray) -> None:
        labels = [_plain(label) for label in self.classes or ()]
        order = np.argsort(-probabilities, axis=1, kind="stable")
        for row, probs, ranked in zip(rows, probabilities, order, strict=True):
            best = labels[int(ranked[0])]
            if self.top_k is None:
                shown = [(labels[i], float(probs[i])) for i in range(len(labels))]
            else:
                shown = [(labels[int(i)], float(probs[int(i)])) for i in ranked[: self.top_k]]
            if self._csv is None:
                key = "probabilities" if self.top_k is None else "top_k"
                record = (
                    dict(shown)
                    if self.top_k is None
                    else [{"label": lab, "probability": p} for lab, p in shown]
                )
                self.stream.write(json.dumps({"row": row, "label": best, key: record}) + "\n")
                continue
            if not self._header_written:
                columns = (
                    [f"probability_{label}" for label, _ in shown]
                    if self.top_k is None
                    else [
                        name
                        for k in range(1, self.top_k + 1)
                        for name in (f"top{k}_label", f"top{k}_probability")
                    ]
                )
                self._csv.writerow(["row", "label", *columns])
                self._header_written = True
            cells = [p for _, p in shown] if self.top_k is None else [cell for pair in shown for cell in pair]
            self._csv.writerow([row, best, *cells])

    def _write_values(self, rows: range, values: np.ndarray) -> None:
        names = ["value"] if values.shape[1] == 1 else [f"value_{i}" for i in range(values.shape[1])]
        for row, value in zip(rows, values.tolist(), strict=True):
            if self._csv is None:
                self.stream.write(
                    json.dumps({"row": row, "value": value[0] if len(value) == 1 else value}) + "\n"
                )
                continue
            if not self._header_written:
                self._csv.writerow(["row", *names])
                self._header_written = True
            self._csv.writerow([row, *value])


def _plain(label: Any) -> Any:
    """A label as JSON writes it: numpy scalars become Python numbers."""
    return label.item() if isinstance(label, np.generic) else label
