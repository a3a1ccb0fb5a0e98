"""Hand-written run evidence in the diagnostics.jsonl / metrics.jsonl formats, for the doctor's tests."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from trainlab.diagnose.evidence import RunEvidence

STEPS = list(range(10, 210, 10))
WEIGHTS = ("net.0.weight", "net.2.weight", "net.4.weight")


def param_rows(
    *, grad_norm: float | list[float] = 1.0, update_ratio: float = 1e-3, first_last: float = 1.0
) -> list[dict[str, Any]]:
    """One row per step and weight; ``grad_norm`` per layer (first to last) or one for all."""
    norms = grad_norm if isinstance(grad_norm, list) else [grad_norm] * len(WEIGHTS)
    rows: list[dict[str, Any]] = []
    for step in STEPS:
        rows += [
            {
                "step": step,
                "kind": "param",
                "layer": layer,
                "grad_norm": norm,
                "weight_norm": 5.0,
                "update_ratio": update_ratio,
            }
            for layer, norm in zip(WEIGHTS, norms, strict=True)
        ]
        rows.append(
            {"step": step, "kind": "model", "layer": "model", "grad_norm_first_last": first_last, "loss": 1.0}
        )
    return rows


def activation_rows(
    module: str = "ReLU",
    *,
    std: list[float] | None = None,
    dead: float | None = 0.05,
    saturated: float | None = None,
) -> list[dict[str, Any]]:
    stds = std or [1.0, 1.0]
    return [
        {
            "step": step,
            "kind": "activation",
            "layer": f"net.{2 * depth + 1}",
            "module": module,
            "depth": depth,
            "mean": 0.3,
            "std": s,
            "zero_frac": 0.5,
            "dead_frac": dead,
            "saturated_frac": saturated,
        }
        for step in STEPS
        for depth, s in enumerate(stds)
    ]


def falling_losses(start: float = 2.3, end: float = 0.1) -> list[dict[str, Any]]:
    """Training-loss records falling geometrically from ``start`` to ``end`` over STEPS."""
    ratio = (end / start) ** (1 / (len(STEPS) - 1))
    return [
        {"type": "step", "step": step, "epoch": 0, "split": "train", "loss": start * ratio**i, "lr": 1e-3}
        for i, step in enumerate(STEPS)
    ]


def eval_record(
    step: int, loss: float, accuracy: float, matrix: list[list[int]] | None = None
) -> dict[str, Any]:
    record = {"type": "eval", "step": step, "epoch": 0, "split": "val", "loss": loss, "accuracy": accuracy}
    if matrix is not None:
        record["confusion_matrix"] = matrix
    return record


def recipe(**sections: Any) -> dict[str, Any]:
    """A resolved recipe with an mlp and adamw, its sections replaced by ``sections``."""
    base: dict[str, Any] = {
        "name": "t",
        "data": {"name": "digits", "scaling": "standardize"},
        "model": {
            "name": "mlp",
            "depth": 2,
            "width": 128,
            "activation": "relu",
            "dropout": 0.0,
            "norm": "none",
        },
        "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adamw", "lr": 3e-3, "weight_decay": 0.01},
        "schedule": {"name": "cosine", "warmup_steps": 50},
        "train": {"steps": 200, "batch_size": 64, "log_every": 10},
    }
    for key, value in sections.items():
        base[key] = (
            {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return base


def summary(train_accuracy: float = 0.99, val_accuracy: float = 0.95, classes: int = 10) -> dict[str, Any]:
    return {
        "status": "finished",
        "train": {"loss": 0.05, "accuracy": train_accuracy},
        "val": {"loss": 0.2, "accuracy": val_accuracy},
        "data": {
            "task": "classification",
            "num_classes": classes,
            "classes": [str(c) for c in range(classes)],
        },
    }


def healthy_evidence(**changes: Any) -> RunEvidence:
    """A run with nothing wrong: falling loss, update ratio 1e-3, balanced predictions."""
    matrix = [[10 if i == j else 0 for j in range(10)] for i in range(10)]
    fields: dict[str, Any] = {
        "history": [
            *falling_losses(),
            eval_record(100, 0.3, 0.9, matrix),
            eval_record(200, 0.25, 0.93, matrix),
        ],
        "recipe": recipe(),
        "records": [*param_rows(), *activation_rows()],
        "summary": summary(),
    }
    fields.update(changes)
    return RunEvidence(**fields)


def write_run(path: Path, evidence: RunEvidence) -> Path:
    """A run directory holding ``evidence`` as trainlab writes it."""
    import yaml

    path.mkdir(parents=True, exist_ok=True)
    (path / "recipe.yaml").write_text(yaml.safe_dump(evidence.recipe))
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evidence.history))
    if evidence.records is not None:
        (path / "diagnostics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evidence.records))
    if evidence.summary is not None:
        (path / "summary.json").write_text(json.dumps(evidence.summary))
    if evidence.error is not None:
        (path / "error.txt").write_text(evidence.error)
    if evidence.data is not None:
        (path / "preprocessing.json").write_text(json.dumps(evidence.data))
    return path


def ln(classes: int) -> float:
    return math.log(classes)
