"""Measurements read from a run's summary.json: a final metric, and the generalization gap."""

from __future__ import annotations

from pathlib import Path

from trainlab.errors import TrainlabError
from trainlab.studies.measures._run_files import read_summary
from trainlab.studies.registries import MEASURES

SPLITS = ("train", "val", "test")


def summary_value(run_dir: Path, split: str, metric: str) -> float:
    summary = read_summary(run_dir)
    values = summary.get(split)
    if not isinstance(values, dict) or metric not in values:
        have = sorted(values) if isinstance(values, dict) else []
        raise TrainlabError(
            f"measure: the run '{run_dir}' has no {split}.{metric} in its summary (it has {have}); "
            "add the metric to the base recipe's metrics"
        )
    return float(values[metric])


@MEASURES.register(
    "final_metric",
    reference="The run's summary.json, written by the trainer after the last step",
)
class FinalMetric:
    """A metric of the finished run on one split, e.g. test accuracy or train loss."""

    def __init__(self, metric: str = "accuracy", split: str = "test"):
        """Options of the measure.

        Args:
            metric: A metric the run reports (``loss``, ``accuracy``, ``f1_macro``, ``ece``, ...).
            split: ``train``, ``val`` or ``test``.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)} (got {split!r})")
        self.metric, self.split = metric, split

    def __call__(self, run_dir: Path) -> float:
        return summary_value(run_dir, self.split, self.metric)


@MEASURES.register(
    "generalization_gap",
    reference="Hastie, Tibshirani & Friedman 2009, The Elements of Statistical Learning, sec. 7.2 "
    "(training error vs test error)",
)
class GeneralizationGap:
    """How much better the model does on its training split than on a held-out one (train - test for accuracy)."""

    def __init__(self, metric: str = "accuracy", held_out: str = "test"):
        """Options of the measure.

        Args:
            metric: The metric compared; for the loss the gap is held-out minus train, so that a
                larger gap always means more overfitting.
            held_out: ``val`` or ``test``.
        """
        if held_out not in ("val", "test"):
            raise ValueError(f"held_out must be val or test (got {held_out!r})")
        self.metric, self.held_out = metric, held_out

    def __call__(self, run_dir: Path) -> float:
        from trainlab.metrics.defaults import higher_is_better

        train = summary_value(run_dir, "train", self.metric)
        held_out = summary_value(run_dir, self.held_out, self.metric)
        return train - held_out if higher_is_better(self.metric) else held_out - train


@MEASURES.register(
    "diverged",
    reference="trainlab's run status: summary.json's status and run.diverged, NaN/Inf losses",
)
class Diverged:
    """1 when the run diverged or failed (non-finite loss, a failed status), else 0: a divergence count per arm."""

    def __init__(self, split: str = "train"):
        """Options of the measure.

        Args:
            split: The split whose final loss must be finite for the run to count as converged.
        """
        self.split = split

    def __call__(self, run_dir: Path) -> float:
        import math

        summary = read_summary(run_dir)
        if summary.get("status") != "finished" or (summary.get("run") or {}).get("diverged"):
            return 1.0
        loss = (summary.get(self.split) or {}).get("loss")
        return 0.0 if isinstance(loss, (int, float)) and math.isfinite(loss) else 1.0
