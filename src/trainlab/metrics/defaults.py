"""The metrics a run reports when its recipe names none."""

from __future__ import annotations

DEFAULT_METRICS = {
    "classification": ["accuracy", "f1_macro", "confusion_matrix"],
    "regression": ["mse", "mae", "r2"],
    # Representation tasks report their loss terms and the representation's evaluation instead.
    "reconstruction": [],
    "generative": [],
}


def default_metrics(task: str) -> list[str]:
    return list(DEFAULT_METRICS[task])


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is better: the loss goes down, most metrics go up (their registry flag says)."""
    from trainlab.registry import METRICS

    return metric != "loss" and bool(METRICS.get(metric).flags.get("higher_is_better"))
