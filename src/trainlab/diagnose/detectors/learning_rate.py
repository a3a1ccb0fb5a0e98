"""A learning rate too high (divergence, oscillation, huge updates) or too low (tiny updates)."""

from __future__ import annotations

import math

from trainlab.diagnose.detectors._base import lr_edit, worst_layers
from trainlab.diagnose.evidence import RunEvidence, later_part, median
from trainlab.diagnose.findings import Evidence, Finding, step_range
from trainlab.registry import DETECTORS

UPDATE_RATIO_REFERENCE = "CS231n notes, Neural Networks Part 3: ratio of weights:updates (about 1e-3)"


def update_ratios(
    evidence: RunEvidence, settled_fraction: float
) -> tuple[float, list[int], dict[str, float]]:
    """The median ‖Δw‖/‖w‖ over weight matrices in the settled part of the run, its steps, and per layer.

    Biases and norm scales are left out: they start at 0 or 1, so their ratio says little about the lr.
    So are steps where a tensor's gradient was exactly zero (a dead layer): its update says nothing
    about the learning rate.
    """
    grad_norms = {layer: dict(points) for layer, points in evidence.series("param", "grad_norm").items()}
    per_layer: dict[str, float] = {}
    steps: list[int] = []
    for layer, points in evidence.series("param", "update_ratio").items():
        gradients = grad_norms.get(layer, {})
        moving = [(step, ratio) for step, ratio in points if gradients.get(step, 1.0) != 0.0]
        if layer.endswith("bias") or not moving:
            continue
        settled = later_part(moving, settled_fraction)
        per_layer[layer] = median(value for _, value in settled)
        steps += [step for step, _ in settled]
    return median(per_layer.values()), steps, per_layer


@DETECTORS.register("lr_too_high", reference=UPDATE_RATIO_REFERENCE)
class LearningRateTooHigh:
    """Learning rate too high: the loss diverges or ends above where it started, or updates are huge.

    Args:
        max_update_ratio: Flag a median update-to-weight ratio ‖Δw‖/‖w‖ above this. CS231n puts a
            healthy ratio near 1e-3; adaptive optimizers at their usual rates run near 1e-2, so the
            default flags only 10x beyond that.
        rise_factor: Flag a training loss whose median over the last quarter of the run is above its
            first logged value times this: the run went uphill (oscillation). 1.1 leaves room for the
            noise of a flat loss.
        divergence_factor: Flag a logged training loss above the first one times this: the run blew
            up on the way, even if it came back down (Goodfellow et al. 2016 §11.4.1: too large a rate
            makes the loss increase rather than decrease).
        settled_fraction: The last part of the sampled steps whose update ratios are judged.
    """

    needs = ()

    def __init__(
        self,
        max_update_ratio: float = 0.1,
        rise_factor: float = 1.1,
        divergence_factor: float = 10.0,
        settled_fraction: float = 0.5,
    ):
        self.max_update_ratio = max_update_ratio
        self.rise_factor = rise_factor
        self.divergence_factor = divergence_factor
        self.settled_fraction = settled_fraction

    def check(self, evidence: RunEvidence) -> list[Finding]:
        evidences: list[Evidence] = []
        steps: list[int] = []
        losses = evidence.train_losses()
        if len(losses) >= 4:
            end = later_part(losses, 0.25)
            end_loss = median(loss for _, loss in end)
            start = losses[0][1]
            if math.isfinite(start) and not end_loss <= start * self.rise_factor:
                evidences.append(
                    Evidence(
                        "training loss over the last quarter / first logged loss",
                        end_loss / start,
                        self.rise_factor,
                        ">",
                    )
                )
                steps += [losses[0][0], end[-1][0]]
            peak = max(losses, key=lambda point: point[1] if math.isfinite(point[1]) else -math.inf)
            if math.isfinite(start) and start > 0 and peak[1] > start * self.divergence_factor:
                evidences.append(
                    Evidence(
                        f"peak training loss (step {peak[0]}) / first logged loss",
                        peak[1] / start,
                        self.divergence_factor,
                        ">",
                    )
                )
                steps += [losses[0][0], peak[0]]
        ratio, ratio_steps, per_layer = update_ratios(evidence, self.settled_fraction)
        if ratio > self.max_update_ratio:
            evidences.append(Evidence("median update/weight ratio", ratio, self.max_update_ratio, ">"))
            steps += ratio_steps
        if not evidences:
            return []
        return [
            Finding(
                id="lr_too_high",
                severity="error",
                title="learning rate too high",
                steps=step_range(steps),
                layers=worst_layers(per_layer, count=3),
                evidence=tuple(evidences),
                cause=(
                    "Steps larger than the curvature allows overshoot the minimum, so the loss oscillates or "
                    "climbs instead of falling."
                ),
                fix=lr_edit(evidence, 0.1),
                remedy=(
                    "Lower optimizer.lr about 10x (or find it with `trainlab lr-find`), add a warmup "
                    "(schedule.warmup_steps) and gradient clipping (train.grad_clip_norm=1.0)."
                ),
                reference=f"Goodfellow et al. 2016, Deep Learning §8.1.3, §11.4.1; {UPDATE_RATIO_REFERENCE}",
                details={"median_update_ratio": per_layer},
            )
        ]


@DETECTORS.register("lr_too_low", reference=UPDATE_RATIO_REFERENCE)
class LearningRateTooLow:
    """Learning rate too low: weights barely move (tiny update ratio) and the loss stays flat.

    Args:
        min_update_ratio: Flag a median update-to-weight ratio below this, 100x under the ~1e-3
            CS231n calls healthy.
        settled_fraction: The last part of the sampled steps whose update ratios are judged.
        target_update_ratio: The ratio the suggested learning rate aims at (the fix scales the lr by
            target / measured, between 10x and 1000x).
        flat_loss_drop: A training loss that fell by less than this fraction over the run is shown as
            flat in the evidence.
    """

    needs = ("records",)

    def __init__(
        self,
        min_update_ratio: float = 1e-5,
        settled_fraction: float = 0.5,
        target_update_ratio: float = 1e-3,
        flat_loss_drop: float = 0.1,
    ):
        self.min_update_ratio = min_update_ratio
        self.flat_loss_drop = flat_loss_drop
        self.settled_fraction = settled_fraction
        self.target_update_ratio = target_update_ratio

    def check(self, evidence: RunEvidence) -> list[Finding]:
        ratio, steps, per_layer = update_ratios(evidence, self.settled_fraction)
        if not ratio < self.min_update_ratio:
            return []
        evidences = [Evidence("median update/weight ratio", ratio, self.min_update_ratio, "<")]
        losses = evidence.train_losses()
        if len(losses) >= 2 and losses[0][1] > 0:
            drop = 1 - losses[-1][1] / losses[0][1]
            if drop < self.flat_loss_drop:
                evidences.append(
                    Evidence("relative drop of the training loss", drop, self.flat_loss_drop, "<")
                )
        scale = min(max(self.target_update_ratio / max(ratio, 1e-30), 10.0), 1000.0)
        return [
            Finding(
                id="lr_too_low",
                severity="warn",
                title="learning rate too low: the weights barely move",
                steps=step_range(steps),
                layers=worst_layers(per_layer, largest=False, count=3),
                evidence=tuple(evidences),
                cause="Each step moves the weights by a negligible fraction of their size, so training crawls.",
                fix=lr_edit(evidence, scale),
                remedy=(
                    f"Raise optimizer.lr about {scale:.0f}x (or find it with `trainlab lr-find`); check that a "
                    "schedule or weight decay does not drive the effective rate to zero."
                ),
                reference=f"Goodfellow et al. 2016, Deep Learning §11.4.1; {UPDATE_RATIO_REFERENCE}",
                details={"median_update_ratio": per_layer},
            )
        ]
