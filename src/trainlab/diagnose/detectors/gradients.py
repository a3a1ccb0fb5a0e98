"""Vanishing and exploding gradients, read from the per-parameter gradient norms."""

from __future__ import annotations

import math

from trainlab.diagnose.detectors._base import activation_name, recommended_init, worst_layers
from trainlab.diagnose.evidence import RunEvidence, later_part, median
from trainlab.diagnose.findings import Evidence, Finding, step_range
from trainlab.registry import DETECTORS

GRADIENT_REFERENCE = (
    "Glorot & Bengio 2010, Understanding the difficulty of training deep feedforward neural networks; "
    "Goodfellow et al. 2016, Deep Learning §8.2.5"
)


def first_last_ratios(evidence: RunEvidence) -> list[tuple[int, float]]:
    """``(step, first layer's gradient norm / last layer's)`` per sampled step.

    The model-level record holds the ratio; without it, it is computed from the first and last
    parameter tensors in the order the records list them (the order of ``model.parameters()``).
    """
    recorded = evidence.series("model", "grad_norm_first_last").get("model")
    if recorded:
        return recorded
    norms = evidence.series("param", "grad_norm")
    if len(norms) < 2:
        return []
    first, last = dict(norms[next(iter(norms))]), dict(norms[list(norms)[-1]])
    return [(step, first[step] / last[step]) for step in sorted(first) if last.get(step)]


def global_grad_norms(evidence: RunEvidence) -> list[tuple[int, float]]:
    """``(step, ‖g‖)`` over all parameters per sampled step, from the per-tensor norms."""
    squares: dict[int, float] = {}
    for points in evidence.series("param", "grad_norm").values():
        for step, norm in points:
            squares[step] = squares.get(step, 0.0) + norm * norm
    return [(step, math.sqrt(total)) for step, total in sorted(squares.items())]


@DETECTORS.register("vanishing_gradients", reference=GRADIENT_REFERENCE)
class VanishingGradients:
    """Vanishing gradients: the first layer's gradient is a tiny fraction of the last layer's.

    Args:
        max_first_last_ratio: Flag when the median first/last gradient-norm ratio over the settled
            part of the run is below this. Each saturating layer multiplies the backward signal by at
            most 0.25 (sigmoid) or 1 (tanh), so a ratio under 1e-2 means the first layers learn about
            100x slower than the last (Glorot & Bengio 2010 measure this ratio falling with depth).
        settled_fraction: The last part of the sampled steps that is judged (the start of a run is
            transient).
    """

    needs = ("records",)

    def __init__(self, max_first_last_ratio: float = 1e-2, settled_fraction: float = 0.5):
        self.max_first_last_ratio = max_first_last_ratio
        self.settled_fraction = settled_fraction

    def check(self, evidence: RunEvidence) -> list[Finding]:
        settled = later_part(first_last_ratios(evidence), self.settled_fraction)
        ratio = median(value for _, value in settled)
        if not settled or not ratio < self.max_first_last_ratio:
            return []
        layers = tuple(evidence.series("param", "grad_norm"))
        saturating = activation_name(evidence) in ("sigmoid", "tanh", "softsign")
        fix = ("model.activation=relu", "model.init=kaiming_normal") if saturating else ("model.norm=layer",)
        return [
            Finding(
                id="vanishing_gradients",
                severity="warn",
                title="vanishing gradients: the first layers barely learn",
                steps=step_range([step for step, _ in settled]),
                layers=(layers[0], layers[-1]) if layers else (),
                evidence=(
                    Evidence("median first/last gradient-norm ratio", ratio, self.max_first_last_ratio, "<"),
                ),
                cause=(
                    "The backward signal shrinks at every layer (saturating activations, or weights too small "
                    "for the depth), so the layers nearest the input get almost no gradient."
                ),
                fix=fix,
                remedy=(
                    "Use a non-saturating activation (ReLU family) with He initialization, add normalization "
                    "(model.norm=batch or layer), or residual connections; fewer layers also help."
                ),
                reference=GRADIENT_REFERENCE,
                details={"median_grad_norm": _median_norms(evidence)},
            )
        ]


@DETECTORS.register(
    "exploding_gradients",
    reference="Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks",
)
class ExplodingGradients:
    """Exploding gradients: a huge gradient norm, or the first layers' gradients far above the last's.

    Args:
        max_grad_norm: Flag a global gradient norm above this. A cross-entropy or unit-scaled
            regression loss on a well-initialised network has norms of order 1 to 10; 1e3 is two
            orders above (Pascanu et al. 2013 clip at thresholds of this order).
        max_first_last_ratio: Flag when the median first/last gradient-norm ratio exceeds this: the
            backward signal grows by orders of magnitude through the layers.
    """

    needs = ("records",)

    def __init__(self, max_grad_norm: float = 1e3, max_first_last_ratio: float = 1e2):
        self.max_grad_norm = max_grad_norm
        self.max_first_last_ratio = max_first_last_ratio

    def check(self, evidence: RunEvidence) -> list[Finding]:
        norms = global_grad_norms(evidence)
        ratios = first_last_ratios(evidence)
        evidences, steps = [], []
        largest = max(norms, key=lambda point: point[1], default=None)
        if largest is not None and largest[1] > self.max_grad_norm:
            evidences.append(Evidence("largest global gradient norm", largest[1], self.max_grad_norm, ">"))
            steps += [step for step, norm in norms if norm > self.max_grad_norm]
        ratio = median(value for _, value in ratios)
        if ratios and ratio > self.max_first_last_ratio:
            evidences.append(
                Evidence("median first/last gradient-norm ratio", ratio, self.max_first_last_ratio, ">")
            )
            steps += [step for step, value in ratios if value > self.max_first_last_ratio]
        if not evidences:
            return []
        per_layer = _median_norms(evidence)
        return [
            Finding(
                id="exploding_gradients",
                severity="error",
                title="exploding gradients",
                steps=step_range(steps),
                layers=worst_layers(per_layer, count=3),
                evidence=tuple(evidences),
                cause=(
                    "Weights too large for the depth multiply the backward signal at every layer, so one "
                    "update can throw the parameters far from where the loss was measured."
                ),
                fix=(f"model.init={recommended_init(evidence)}", "train.grad_clip_norm=1.0"),
                remedy=(
                    "Initialize with a variance-preserving scheme (He for ReLU, Glorot for tanh), clip the "
                    "gradient norm, add normalization, or lower the learning rate."
                ),
                reference=(
                    "Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks; "
                    "Goodfellow et al. 2016, Deep Learning §10.11.1"
                ),
                details={"median_grad_norm": per_layer},
            )
        ]


def _median_norms(evidence: RunEvidence) -> dict[str, float]:
    return {
        layer: median(v for _, v in points) for layer, points in evidence.series("param", "grad_norm").items()
    }
