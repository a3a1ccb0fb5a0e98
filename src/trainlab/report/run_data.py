"""What a report reads from one run directory: the recipe, metrics.jsonl, summary.json and the diagnostics."""

from __future__ import annotations

import base64
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainlab.errors import TrainlabError

RECIPE = "recipe.yaml"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
DIAGNOSIS = "diagnosis.json"
DIAGNOSTIC_PICTURES = "diagnostics"


@dataclass
class RunData:
    """One run as the report sees it; every part is optional, since a failed run has only some of them."""

    path: Path
    recipe_text: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    diagnosis: dict[str, Any] | None = None
    pictures: dict[str, str] = field(default_factory=dict)
    """Diagnostic picture name -> its PNG as a data: URI."""

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "running" if self.records else "not started"))

    @property
    def task(self) -> str | None:
        return self.summary.get("data", {}).get("task")

    @property
    def classes(self) -> list[str]:
        return [str(name) for name in self.summary.get("data", {}).get("classes") or []]

    def final(self, split: str) -> dict[str, Any]:
        """The split's final evaluation from summary.json (``{}`` when it has none)."""
        value = self.summary.get(split)
        return value if isinstance(value, dict) else {}

    def scalar_metrics(self, split: str) -> dict[str, float]:
        """The split's final scalar metrics (the confusion matrix and other lists left out)."""
        return {key: float(v) for key, v in self.final(split).items() if _is_number(v)}

    def series(self, kind: str, split: str, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of ``key`` in the metrics.jsonl records of this kind (step/eval) and split."""
        steps, values = [], []
        for record in self.records:
            if record.get("type") == kind and record.get("split") == split and _is_number(record.get(key)):
                steps.append(int(record["step"]))
                values.append(float(record[key]))
        return steps, values

    def eval_keys(self, split: str) -> list[str]:
        """The scalar keys logged for ``split``'s evaluations, in first-seen order."""
        keys: dict[str, None] = {}
        for record in self.records:
            if record.get("type") == "eval" and record.get("split") == split:
                keys.update((key, None) for key, value in record.items() if _is_number(value))
        return [key for key in keys if key not in ("step", "epoch")]

    def eval_splits(self) -> list[str]:
        found = {record.get("split") for record in self.records if record.get("type") == "eval"}
        return [split for split in ("val", "test", "train") if split in found]

    @property
    def confusion_split(self) -> str | None:
        """The split whose final confusion matrix the report shows: test, else val, else train."""
        return next((s for s in ("test", "val", "train") if "confusion_matrix" in self.final(s)), None)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list((self.diagnosis or {}).get("findings") or [])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_run_dir(path: Path) -> bool:
    """A directory that ``trainlab fit`` wrote: it holds a recipe.yaml and a summary or metrics."""
    return (path / RECIPE).is_file() and ((path / SUMMARY).is_file() or (path / METRICS).is_file())


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TrainlabError(
            f"'{path}' cannot be read as JSON ({exc}); was the run directory edited?"
        ) from None


def read_records(path: Path) -> list[dict[str, Any]]:
    """metrics.jsonl's records; a last line cut short by a killed run is skipped (the file is append-only)."""
    records: list[dict[str, Any]] = []
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_run(path: str | os.PathLike[str]) -> RunData:
    """Everything a report shows about the run in ``path``.

    Raises:
        TrainlabError: ``path`` is not a run directory, or one of its files is damaged.
    """
    path = Path(path)
    if not is_run_dir(path):
        raise TrainlabError(
            f"'{path}' is not a run directory (it needs {RECIPE} and {SUMMARY} or {METRICS}); "
            "give a directory written by `trainlab fit`"
        )
    recipe_text = (path / RECIPE).read_text(encoding="utf-8")
    try:
        recipe = yaml.safe_load(recipe_text) or {}
    except yaml.YAMLError as exc:
        raise TrainlabError(f"'{path / RECIPE}' is not valid YAML ({exc})") from None
    summary = _read_json(path / SUMMARY) if (path / SUMMARY).is_file() else {}
    diagnosis = _read_json(path / DIAGNOSIS) if (path / DIAGNOSIS).is_file() else None
    pictures = {
        picture.stem: "data:image/png;base64," + base64.b64encode(picture.read_bytes()).decode("ascii")
        for picture in sorted((path / DIAGNOSTIC_PICTURES).glob("*.png"))
    }
    return RunData(
        path=path,
        recipe_text=recipe_text,
        recipe=recipe if isinstance(recipe, dict) else {},
        records=read_records(path / METRICS),
        summary=summary if isinstance(summary, dict) else {},
        diagnosis=diagnosis if isinstance(diagnosis, dict) else None,
        pictures=pictures,
    )


def per_class_metrics(confusion: list[list[float]], classes: list[str]) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of each class from a confusion matrix (rows: true, columns: predicted)."""
    rows = []
    size = len(confusion)
    names = classes if len(classes) == size else [str(i) for i in range(size)]
    for index in range(size):
        true_positive = float(confusion[index][index])
        support = float(sum(confusion[index]))
        predicted = float(sum(row[index] for row in confusion))
        precision = true_positive / predicted if predicted else math.nan
        recall = true_positive / support if support else math.nan
        # 2TP / (2TP + FP + FN): defined whenever the class was predicted or present (as scikit-learn's)
        f1_denominator = predicted + support
        f1 = 2 * true_positive / f1_denominator if f1_denominator else math.nan
        rows.append(
            {
                "class": names[index],
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": int(support),
            }
        )
    return rows
