"""Reading a finished run directory for a measurement: summary, logged history, weights."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from trainlab.errors import TrainlabError
from trainlab.run_dir import METRICS, SUMMARY, WEIGHTS


def read_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SUMMARY
    if not path.is_file():
        raise TrainlabError(f"'{run_dir}' has no {SUMMARY}: the run did not finish")
    summary: dict[str, Any] = json.loads(path.read_text())
    return summary


def history(run_dir: Path, record_type: str, split: str | None = None) -> list[dict[str, Any]]:
    """The ``step`` or ``eval`` records of metrics.jsonl (of one split), in step order."""
    path = run_dir / METRICS
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a last line cut short by a killed run
            continue
        if row.get("type") == record_type and (split is None or row.get("split") == split):
            rows.append(row)
    return sorted(rows, key=lambda row: row["step"])


def run_steps(run_dir: Path) -> int:
    return int(read_summary(run_dir)["run"]["steps"])


def weight_tensors(run_dir: Path) -> dict[str, Any]:
    """The run's saved tensors by name, read from model.safetensors (nothing unpickled)."""
    from safetensors import safe_open

    path = run_dir / WEIGHTS
    if not path.is_file():
        raise TrainlabError(f"'{run_dir}' has no {WEIGHTS}: the run did not save its weights")
    with safe_open(os.fspath(path), framework="pt") as file:
        return {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118 (not a mapping)


def matrix(run_dir: Path, parameter: str) -> Any:
    """One saved weight as a 2-D matrix (a conv kernel flattened to out x rest)."""
    tensors = weight_tensors(run_dir)
    if parameter not in tensors:
        from trainlab.errors import did_you_mean

        hint = did_you_mean(parameter, tensors) or "; saved: " + ", ".join(sorted(tensors)[:8])
        raise TrainlabError(f"measure.parameter: '{parameter}' is not a saved weight of '{run_dir}'{hint}")
    weight = tensors[parameter].double()
    if weight.dim() < 2:
        raise TrainlabError(f"measure.parameter: '{parameter}' is a vector, not a weight matrix")
    return weight.reshape(weight.shape[0], -1)
