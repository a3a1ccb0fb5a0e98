"""The metrics a run reports when its recipe names none."""

from __future__ import annotations

DEFAULT_METRICS = {
    "classification": ["accuracy", "f1_macro", "confusion_matrix"],
    "regression": ["mse", "mae", "r2"],
}


def default_metrics(task: str) -> list[str]:
    return list(DEFAULT_METRICS[task])
