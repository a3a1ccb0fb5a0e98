"""Runs side by side: where their recipes differ, their final metrics (best marked) and their cost."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainlab.report.run_data import RunData, read_run

# Recipe keys that differ between any two runs without making them different experiments.
IGNORED_KEYS = ("out", "name")
MISSING = "-"


@dataclass
class Row:
    key: str
    values: list[str]
    best: set[int] = field(default_factory=set)
    """Columns holding the best value of a metric row (ties all marked)."""


@dataclass
class RunComparison:
    labels: list[str]
    paths: list[Path]
    sections: dict[str, list[Row]]


def run_labels(paths: Sequence[Path]) -> list[str]:
    """Short, distinct column names: the directory names, with as many parent folders as it takes."""
    for depth in range(1, max(len(p.parts) for p in paths) + 1):
        labels = ["/".join(p.parts[-depth:]) for p in paths]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]


def _text(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value):
        return ", ".join(_component(item) for item in value) or "[]"
    return str(value)


def _component(spec: dict[str, Any]) -> str:
    """A recipe component in one line: ``label_smoothing(smoothing=0.1)``."""
    options = ", ".join(f"{key}={_text(v)}" for key, v in spec.items() if key != "name")
    return f"{spec['name']}({options})" if options else str(spec["name"])


def _direction(metric: str) -> bool | None:
    """True when higher is better, False when lower is, None for a name the metric registry does not know."""
    from trainlab.metrics.defaults import higher_is_better

    try:
        return higher_is_better(metric)
    except Exception:  # a logged value that is not a registered metric (penalty.l2, say): no "best"
        return None


def _metric_rows(runs: Sequence[RunData]) -> list[Row]:
    rows = []
    for split in ("train", "val", "test"):
        names: list[str] = []
        for run in runs:
            names.extend(name for name in run.scalar_metrics(split) if name not in names)
        for name in names:
            values = [run.scalar_metrics(split).get(name) for run in runs]
            row = Row(f"{split}.{name}", [_text(v) for v in values])
            finite = [v for v in values if v is not None and math.isfinite(v)]
            higher = _direction(name)
            if higher is not None and len(finite) > 1:
                target = max(finite) if higher else min(finite)
                row.best = {i for i, v in enumerate(values) if v == target}
            rows.append(row)
    return rows


def _recipe_rows(runs: Sequence[RunData], every_key: bool) -> list[Row]:
    from trainlab.overrides import flatten

    flat = [flatten(run.recipe) for run in runs]
    keys: list[str] = []
    for recipe in flat:
        keys.extend(key for key in recipe if key not in keys and key not in IGNORED_KEYS)
    rows = []
    for key in keys:
        values = [recipe.get(key) for recipe in flat]
        if every_key or any(value != values[0] for value in values):
            rows.append(Row(key, [_text(value) for value in values]))
    return rows


def _run_rows(runs: Sequence[RunData]) -> list[Row]:
    infos = [run.summary.get("run") or {} for run in runs]
    rows = [Row("status", [run.status for run in runs])]
    for key, label in (("steps", "steps"), ("wall_time_s", "wall time (s)"), ("parameters", "parameters")):
        rows.append(Row(label, [_text(info.get(key)) for info in infos]))
    return rows


def compare_runs(paths: Sequence[str | os.PathLike[str]], *, every_key: bool = False) -> RunComparison:
    """The runs in ``paths`` side by side: recipe differences (all keys with ``every_key``), final metrics, cost.

    Raises:
        TrainlabError: a path is not a run directory.
    """
    runs = [read_run(path) for path in paths]
    resolved = [run.path for run in runs]
    return RunComparison(
        labels=run_labels(resolved),
        paths=resolved,
        sections={
            "recipe" if every_key else "recipe differences": _recipe_rows(runs, every_key),
            "final metrics": _metric_rows(runs),
            "run": _run_rows(runs),
        },
    )
