"""Dead ReLU units, saturated sigmoid/tanh units, and activation scale that collapses or explodes with depth."""

from __future__ import annotations

from trainlab.diagnose.detectors._base import activation_name, lr_edit, recommended_init, worst_layers
from trainlab.diagnose.evidence import RunEvidence, later_part, median
from trainlab.diagnose.findings import Evidence, Finding, step_range
from trainlab.registry import DETECTORS

RECTIFIERS = ("ReLU", "ReLU6")
SATURATING = ("Sigmoid", "Tanh", "Hardtanh", "Softsign")


def _modules_of(evidence: RunEvidence, classes: tuple[str, ...]) -> set[str]:
    return {str(r["layer"]) for r in evidence.rows("activation") if r.get("module") in classes}


@DETECTORS.register(
    "dead_relu",
    reference="Lu et al. 2019, Dying ReLU and Initialization: Theory and Numerical Examples; CS231n notes, Commonly used activation functions",
)
class DeadUnits:
    """Dead ReLU units: a large fraction of a layer's units output zero for every input in the window.

    Args:
        max_dead_fraction: Flag a ReLU layer whose dead-unit fraction at the end of the run exceeds
            this. CS231n warns that "as much as 40% of your network can be dead" after a too-large
            update; half the units of a layer is past that.
    """

    needs = ("records", "activations")

    def __init__(self, max_dead_fraction: float = 0.5):
        self.max_dead_fraction = max_dead_fraction

    def check(self, evidence: RunEvidence) -> list[Finding]:
        rectifiers = _modules_of(evidence, RECTIFIERS)
        latest = {
            layer: points[-1]
            for layer, points in evidence.series("activation", "dead_frac").items()
            if layer in rectifiers
        }
        dead = {layer: point for layer, point in latest.items() if point[1] > self.max_dead_fraction}
        if not dead:
            return []
        worst = max(dead, key=lambda layer: dead[layer][1])
        return [
            Finding(
                id="dead_relu",
                severity="warn",
                title=f"dead ReLU units in {len(dead)} layer(s)",
                steps=step_range([point[0] for point in dead.values()]),
                layers=worst_layers({layer: point[1] for layer, point in dead.items()}),
                evidence=(
                    Evidence(f"dead-unit fraction of {worst}", dead[worst][1], self.max_dead_fraction, ">"),
                ),
                cause=(
                    "A ReLU whose pre-activation is negative for every input has zero gradient, so once a large "
                    "update or a negative bias pushes it there it never recovers."
                ),
                fix=("model.activation=leaky_relu",),
                remedy=(
                    "Use Leaky ReLU, ELU or GELU, lower the learning rate "
                    f"({' '.join(lr_edit(evidence, 0.1)) or 'optimizer.lr / 10'}), keep biases at zero and use He "
                    "initialization."
                ),
                reference="Lu et al. 2019, Dying ReLU and Initialization; Maas et al. 2013 (Leaky ReLU); CS231n notes",
                details={"dead_fraction": {layer: point[1] for layer, point in latest.items()}},
            )
        ]


@DETECTORS.register(
    "saturated_activations",
    reference="LeCun et al. 1998, Efficient BackProp; Glorot & Bengio 2010",
)
class SaturatedUnits:
    """Saturated sigmoid/tanh units: most outputs sit on the flat tails, where the derivative is near 0.

    Args:
        max_saturated_fraction: Flag a sigmoid/tanh layer whose median saturated fraction over the
            settled part of the run exceeds this. Glorot & Bengio 2010 show top-layer sigmoids stuck at
            0 for most of training; LeCun et al. 1998 (Efficient BackProp §4.4) choose inputs and
            weights so that units stay in the linear range.
        settled_fraction: The last part of the sampled steps that is judged.
    """

    needs = ("records", "activations")

    def __init__(self, max_saturated_fraction: float = 0.5, settled_fraction: float = 0.5):
        self.max_saturated_fraction = max_saturated_fraction
        self.settled_fraction = settled_fraction

    def check(self, evidence: RunEvidence) -> list[Finding]:
        saturating = _modules_of(evidence, SATURATING)
        fractions: dict[str, float] = {}
        steps: list[int] = []
        for layer, points in evidence.series("activation", "saturated_frac").items():
            settled = later_part(points, self.settled_fraction)
            if layer in saturating and settled:
                fractions[layer] = median(value for _, value in settled)
                steps += [step for step, _ in settled]
        saturated = {
            layer: value for layer, value in fractions.items() if value > self.max_saturated_fraction
        }
        if not saturated:
            return []
        worst = max(saturated, key=lambda layer: saturated[layer])
        unscaled = str(evidence.setting("data.scaling", "")) == "none"
        fix = ("data.scaling=standardize",) if unscaled else (f"model.init={recommended_init(evidence)}",)
        return [
            Finding(
                id="saturated_activations",
                severity="warn",
                title=f"saturated {activation_name(evidence) or 'sigmoid/tanh'} units in {len(saturated)} layer(s)",
                steps=step_range(steps),
                layers=worst_layers(saturated),
                evidence=(
                    Evidence(
                        f"median saturated fraction of {worst}",
                        saturated[worst],
                        self.max_saturated_fraction,
                        ">",
                    ),
                ),
                cause=(
                    "Pre-activations too large in magnitude (unscaled inputs or large weights) put sigmoid/tanh "
                    "units on their flat tails, where the gradient is almost zero."
                ),
                fix=fix,
                remedy=(
                    "Standardize the inputs, initialize with Glorot (xavier) scaling, add normalization, or "
                    "switch to a ReLU-family activation."
                ),
                reference="LeCun et al. 1998, Efficient BackProp §4.3-4.6; Glorot & Bengio 2010",
                details={"saturated_fraction": fractions},
            )
        ]


@DETECTORS.register(
    "activation_scale",
    reference="He et al. 2015, Delving Deep into Rectifiers; Glorot & Bengio 2010; Mishkin & Matas 2016, All you need is a good init",
)
class ActivationScale:
    """Bad initialization: the activation std collapses or explodes from the first layer to the last.

    Args:
        min_depth_ratio: Flag when the deepest activation's std at the first sampled step is below
            this fraction of the first activation's: the signal dies away with depth (He et al.
            2015, Fig. 2/3: a variance-preserving init keeps the ratio near 1).
        max_depth_ratio: Flag when it is above this multiple: the signal blows up with depth.
    """

    needs = ("records", "activations")

    def __init__(self, min_depth_ratio: float = 1e-2, max_depth_ratio: float = 1e2):
        self.min_depth_ratio = min_depth_ratio
        self.max_depth_ratio = max_depth_ratio

    def check(self, evidence: RunEvidence) -> list[Finding]:
        rows = evidence.rows("activation")
        if not rows:
            return []
        first_step = min(int(r["step"]) for r in rows)
        std_by_depth = {
            str(r["layer"]): float(r["std"])
            for r in sorted(rows, key=lambda r: r.get("depth", 0))
            if int(r["step"]) == first_step and isinstance(r.get("std"), (int, float))
        }
        if len(std_by_depth) < 2:
            return []
        layers = list(std_by_depth)
        first, last = std_by_depth[layers[0]], std_by_depth[layers[-1]]
        if first <= 0:  # a constant first layer (zero init, dead units) has no scale to compare with
            return []
        ratio = last / first
        if self.min_depth_ratio <= ratio <= self.max_depth_ratio:
            return []
        collapsing = ratio < self.min_depth_ratio
        threshold = self.min_depth_ratio if collapsing else self.max_depth_ratio
        return [
            Finding(
                id="activation_scale",
                severity="warn",
                title=f"activation scale {'collapses' if collapsing else 'explodes'} with depth (bad init)",
                steps=(first_step, first_step),
                layers=(layers[0], layers[-1]),
                evidence=(
                    Evidence(
                        "deepest/first activation std at the first sampled step",
                        ratio,
                        threshold,
                        "<" if collapsing else ">",
                    ),
                ),
                cause=(
                    "The initial weights do not preserve the variance of the signal, so each layer scales it "
                    f"by a constant factor and after {len(layers)} layers it has "
                    f"{'vanished' if collapsing else 'exploded'}."
                ),
                fix=(f"model.init={recommended_init(evidence)}",),
                remedy=(
                    "Use He (kaiming) initialization for ReLU-family layers and Glorot (xavier) for tanh/sigmoid, "
                    "or add normalization layers (model.norm=batch or layer)."
                ),
                reference="He et al. 2015, Delving Deep into Rectifiers §2.2; Glorot & Bengio 2010 §4.2",
                details={"std_per_layer": std_by_depth},
            )
        ]
