"""Risks in the recipe itself: batch norm on tiny batches, a large Adam learning rate without warmup."""

from __future__ import annotations

import math
from typing import Any

from trainlab.diagnose.detectors._base import learning_rate
from trainlab.diagnose.evidence import RunEvidence
from trainlab.diagnose.findings import Evidence, Finding
from trainlab.registry import DETECTORS

ADAM_FAMILY = ("adam", "adamw", "amsgrad", "nadam", "adamax", "lamb", "adabelief")


def _uses_batch_norm(node: Any) -> bool:
    """Whether any ``norm`` in the model section is batch norm."""
    if isinstance(node, dict):
        return any(
            (
                key == "norm"
                and (value == "batch" or (isinstance(value, dict) and value.get("name") == "batch"))
            )
            or _uses_batch_norm(value)
            for key, value in node.items()
        )
    return False


@DETECTORS.register(
    "batchnorm_tiny_batch",
    reference="Wu & He 2018, Group Normalization; Ioffe 2017, Batch Renormalization",
)
class BatchNormTinyBatch:
    """Batch norm with tiny batches: the batch statistics are too noisy to normalize with.

    Args:
        min_batch_size: Flag batch norm when ``train.batch_size`` (the batch each forward pass sees)
            is below this. Wu & He 2018 (Fig. 1) show batch norm's error rising steeply below 8
            images per batch, while group norm stays flat.
    """

    needs = ("recipe",)

    def __init__(self, min_batch_size: int = 8):
        self.min_batch_size = min_batch_size

    def check(self, evidence: RunEvidence) -> list[Finding]:
        batch = evidence.setting("train.batch_size")
        if not (_uses_batch_norm(evidence.setting("model")) and isinstance(batch, int)):
            return []
        if batch >= self.min_batch_size:
            return []
        return [
            Finding(
                id="batchnorm_tiny_batch",
                severity="warn",
                title=f"batch norm with batches of {batch}",
                steps=None,
                layers=(),
                evidence=(
                    Evidence("train.batch_size with model norm batch", batch, self.min_batch_size, "<"),
                ),
                cause=(
                    "Batch norm normalizes with the mean and variance of the batch; over a few samples they are "
                    "so noisy that training and evaluation (running averages) see different networks."
                ),
                fix=("model.norm=layer",),
                remedy=(
                    f"Use a normalization that does not depend on the batch (model.norm=layer or group), or "
                    f"batches of at least {self.min_batch_size} (train.batch_size, with train.grad_accum_steps to "
                    "keep the effective batch)."
                ),
                reference="Wu & He 2018, Group Normalization §1, Fig. 1; Ioffe 2017, Batch Renormalization",
            )
        ]


@DETECTORS.register(
    "adam_no_warmup",
    reference="Liu et al. 2020, On the Variance of the Adaptive Learning Rate and Beyond (RAdam)",
)
class AdamWithoutWarmup:
    """A large Adam learning rate without warmup: early updates are large while the second moment is unreliable.

    The recipe alone makes it ``info``; it is a ``warn`` when the run shows it: one of the first
    logged training losses is above the loss at initialization (ln C for classification, where a
    standard init predicts near uniformly; else the first logged loss).

    Args:
        max_lr: Adam-family learning rates above this count as large: Kingma & Ba 2015 use 1e-3, and
            Liu et al. 2020 find warmup necessary at the larger rates.
        early_points: How many of the first logged training losses show an unstable start.
        early_rise: The start is unstable when one of those losses is above the loss at
            initialization by this fraction.
    """

    needs = ("recipe",)

    def __init__(self, max_lr: float = 5e-3, early_points: int = 5, early_rise: float = 0.1):
        self.max_lr = max_lr
        self.early_points = early_points
        self.early_rise = early_rise

    def check(self, evidence: RunEvidence) -> list[Finding]:
        optimizer = str(evidence.setting("optimizer.name", "")).lower()
        lr = learning_rate(evidence)
        warmup = evidence.setting("schedule.warmup_steps", 0) or 0
        if optimizer not in ADAM_FAMILY or lr is None or lr <= self.max_lr or warmup > 0:
            return []
        early = evidence.train_losses()[: self.early_points]
        classes = evidence.num_classes()
        initial = math.log(classes) if classes else (early[0][1] if early else math.nan)
        peak = max(early if classes else early[1:], key=lambda point: point[1], default=None)
        unstable = peak is not None and peak[1] > initial * (1 + self.early_rise)
        evidences = [Evidence(f"{optimizer} lr with no warmup", lr, self.max_lr, ">")]
        if unstable and peak is not None:
            reference = f"ln {classes}" if classes else "first logged loss"
            evidences.append(
                Evidence(
                    f"early loss (step {peak[0]}) / {reference} - 1",
                    peak[1] / initial - 1,
                    self.early_rise,
                    ">",
                )
            )
        steps = evidence.setting("train.steps")
        warmup_steps = max(10, int(0.05 * steps)) if isinstance(steps, int) else 100
        schedule = evidence.setting("schedule")
        fix = (
            (f"schedule.warmup_steps={warmup_steps}",)
            if schedule
            else ("schedule.name=constant", f"schedule.warmup_steps={warmup_steps}")
        )
        return [
            Finding(
                id="adam_no_warmup",
                severity="warn" if unstable else "info",
                title=f"{optimizer} at lr {lr:g} without warmup",
                steps=(early[0][0], peak[0]) if unstable and peak is not None else None,
                layers=(),
                evidence=tuple(evidences),
                cause=(
                    "In its first steps Adam's second-moment estimate rests on a handful of gradients, so the "
                    "adaptive step sizes are large and erratic; at a large lr that can wreck the early weights."
                ),
                fix=fix,
                remedy="Warm the learning rate up over the first ~5% of steps, or use RAdam (optimizer.name=radam).",
                reference="Liu et al. 2020 (RAdam) §3; Goyal et al. 2017, Accurate, Large Minibatch SGD §2.2",
            )
        ]
