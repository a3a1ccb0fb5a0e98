"""``diagnostics.jsonl``: one row per sampled step and layer; read into a tidy table, written line by line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import torch

from trainlab._io import write_text_atomic

DIAGNOSTICS_FILE = "diagnostics.jsonl"

# The columns every row has, first in a table; the statistics follow.
KEY_COLUMNS = ("step", "kind", "layer")


def materialize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose statistics are device tensors, as plain Python numbers and lists, in one device sync.

    Every tensor goes into one float64 buffer that is copied to the host once; scalars come back
    as floats (integers where the tensor held integers) and vectors as lists. Most statistics
    are float32 scalars: they are stacked in one operation rather than copied one by one.
    """
    tensors = [value for row in rows for value in row.values() if isinstance(value, torch.Tensor)]
    if not tensors:
        return [dict(row) for row in rows]
    scalars = [t for t in tensors if _is_float_scalar(t)]
    others = [t.detach().reshape(-1) for t in tensors if not _is_float_scalar(t)]
    parts = [torch.stack(scalars)] if scalars else []
    host = torch.cat([p.double() for p in parts + others]).cpu().tolist()
    scalar_values, other_values = iter(host[: len(scalars)]), iter(host[len(scalars) :])
    plain: list[dict[str, Any]] = []
    for row in rows:
        converted = {}
        for key, value in row.items():
            if isinstance(value, torch.Tensor):
                if _is_float_scalar(value):
                    value = next(scalar_values)
                else:
                    numbers = [next(other_values) for _ in range(value.numel())]
                    if not value.is_floating_point():
                        numbers = [int(n) for n in numbers]
                    value = numbers if value.dim() else numbers[0]
            converted[key] = value
        plain.append(converted)
    return plain


def _is_float_scalar(value: torch.Tensor) -> bool:
    return value.dim() == 0 and value.dtype == torch.float32


def read_records(run_dir: str | os.PathLike, kind: str | None = None) -> list[dict[str, Any]]:
    """The rows of ``RUN_DIR/diagnostics.jsonl`` (optionally of one ``kind``), in the order written.

    A run made without instruments has no file: the answer is an empty list. A last line cut
    short by a killed run is skipped.
    """
    path = Path(run_dir) / DIAGNOSTICS_FILE
    if not path.is_file():
        return []
    return [row for row in _whole_rows(path) if kind is None or row.get("kind") == kind]


def records_table(records: str | os.PathLike | Iterable[dict[str, Any]], kind: str | None = None) -> Any:
    """The rows as a tidy table: a pandas DataFrame when pandas is installed, else a list of dicts.

    Args:
        records: A run directory, or rows as :func:`read_records` or ``Monitor.records`` give them.
        kind: Keep only rows of this kind (``param``, ``activation``, ``output``, ``model``); the
            table then has only that kind's columns.
    """
    if isinstance(records, (str, os.PathLike)):
        rows = read_records(records, kind)
    else:
        rows = [row for row in records if kind is None or row.get("kind") == kind]
    try:
        import pandas
    except ImportError:
        return rows
    columns = list(KEY_COLUMNS)
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    return pandas.DataFrame(rows, columns=columns)


class DiagnosticsWriter:
    """Appends rows to ``diagnostics.jsonl``: each line in one ``write``, flushed, so a killed run
    leaves whole lines (and at most one torn last line, which readers skip and a resume removes)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._handle: TextIO | None = None

    def resume_at(self, step: int) -> None:
        """Keep only rows of steps up to ``step`` (a checkpoint's): a resumed run writes the later ones again."""
        if not self.path.is_file():
            return
        kept = [row for row in _whole_rows(self.path) if row.get("step", 0) <= step]
        write_text_atomic(self.path, "".join(json.dumps(row) + "\n" for row in kept))

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        for row in rows:
            self._handle.write(json.dumps(row) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _whole_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # torn by a kill mid-write
            if line.strip():
                rows.append(json.loads(line))
    return rows
