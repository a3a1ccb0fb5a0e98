"""Run and experiment directories written by hand, shaped like trainlab fit's, for the report tests (no training)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

CLASSES = ["cat", "dog", "fox"]


def confusion(accuracy: float, per_class: int = 20) -> list[list[int]]:
    """A 3-class confusion matrix whose diagonal holds about ``accuracy`` of each row."""
    right = round(accuracy * per_class)
    return [
        [right if i == j else (per_class - right if j == (i + 1) % 3 else 0) for j in range(3)]
        for i in range(3)
    ]


def make_run(
    path: Path,
    *,
    seed: int = 0,
    accuracy: float = 0.8,
    steps: int = 100,
    diverged: bool = False,
    diagnosis: list[dict] | None = None,
) -> Path:
    """A finished run (or one that diverged at step 40) with step, eval and final records."""
    path.mkdir(parents=True, exist_ok=True)
    recipe = {
        "name": "toy",
        "data": {"name": "iris"},
        "model": {"name": "mlp"},
        "train": {"steps": steps, "seed": seed},
    }
    (path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    records = []
    last = 40 if diverged else steps
    for step in range(10, last + 1, 10):
        loss = math.nan if diverged and step == last else 1.0 / (1 + step / 20) + 0.01 * seed
        records.append(
            {
                "type": "step",
                "step": step,
                "epoch": 0,
                "split": "train",
                "loss": loss,
                "lr": 0.1 * (1 - step / (steps + 1)),
            }
        )
        if step % 20 == 0:
            value = accuracy * step / steps
            records.append(
                {
                    "type": "eval",
                    "step": step,
                    "epoch": 0,
                    "split": "val",
                    "loss": 1 - value,
                    "accuracy": value,
                    "confusion_matrix": confusion(value),
                }
            )
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    final = {"loss": 1 - accuracy, "accuracy": accuracy, "confusion_matrix": confusion(accuracy)}
    summary: dict = {
        "status": "failed" if diverged else "finished",
        "run": {"name": "toy", "steps": last, "wall_time_s": 1.5, "parameters": 123, "device": "cpu"},
        "data": {
            "name": "iris",
            "task": "classification",
            "classes": CLASSES,
            "sizes": {"train": 90, "val": 30, "test": 60},
        },
    }
    if diverged:
        summary["error"] = "NonFiniteLossError: the loss is nan at step 40"
    else:
        summary |= {"val": final, "test": final}
    (path / "summary.json").write_text(json.dumps(summary))
    if diagnosis is not None:
        (path / "diagnosis.json").write_text(json.dumps({"healthy": not diagnosis, "findings": diagnosis}))
    return path


FINDING = {
    "id": "dead_relu",
    "severity": "warn",
    "title": "dead ReLU units in 2 layer(s)",
    "cause": "A ReLU whose pre-activation is negative for every input has zero gradient.",
    "remedy": "Use Leaky ReLU.",
    "fix": ["model.activation=leaky_relu"],
}


def make_experiment(
    root: Path,
    accuracies: dict[str, list[float]],
    baseline: str,
    *,
    diverged: dict | None = None,
    metrics: list[dict] | None = None,
) -> Path:
    """An experiment directory: experiment.yaml and DIR/runs/<variant>/seed-<k> run directories."""
    seeds = len(next(iter(accuracies.values())))
    spec = {
        "name": "toy-ablation",
        "base": {"data": {"name": "iris"}, "model": {"name": "mlp"}, "train": {"steps": 100}},
        "variants": {variant: {} for variant in accuracies},
        "seeds": seeds,
        "metrics": metrics or [{"name": "accuracy", "direction": "maximize"}],
        "baseline": baseline,
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "experiment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for variant, values in accuracies.items():
        for seed, value in enumerate(values):
            broken = seed in (diverged or {}).get(variant, ())
            make_run(
                root / "runs" / variant / f"seed-{seed}",
                seed=seed,
                accuracy=value,
                diverged=broken,
                diagnosis=[FINDING] if variant == baseline and seed == 0 else None,
            )
    return root
