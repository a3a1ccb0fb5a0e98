"""Initial loss: at initialization a model should predict no class over another, so its loss is ln C."""

from __future__ import annotations

import math
from typing import Annotated

import torch
from pydantic import Field

from trainlab.diagnose.preflight._base import CheckResult, PreflightContext
from trainlab.registry import PREFLIGHT_CHECKS


@PREFLIGHT_CHECKS.register(
    "init_loss",
    reference="Karpathy 2019, A Recipe for Training Neural Networks (verify loss @ init: -log(1/C)); "
    "CS231n, Neural Networks Part 3 (look for the correct loss at chance performance)",
)
class InitialLossCheck:
    """The loss of the untrained model against the loss of predicting every class equally.

    The reference is the recipe's own loss evaluated on all-zero outputs (uniform predictions):
    ln C for cross-entropy on C classes, and the right chance level for any other loss (focal,
    label smoothing, LDAM's margins, MSE on one-hot targets). With imbalanced classes a bias set
    to the log class priors starts lower, at the labels' entropy; that is reported, not failed.

    Args:
        tolerance: Relative distance from the reference that still passes.
        fail_ratio: The initial loss this many times the reference is a failure, not a warning.
        samples: Training samples the loss is averaged over.
    """

    def __init__(
        self,
        tolerance: Annotated[float, Field(gt=0)] = 0.15,
        fail_ratio: Annotated[float, Field(gt=1)] = 3.0,
        samples: Annotated[int, Field(ge=1)] = 512,
    ):
        self.tolerance = tolerance
        self.fail_ratio = fail_ratio
        self.samples = samples

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("init_loss")
        if skipped is not None:
            return [skipped]
        if not context.classification:
            return [CheckResult("init_loss", "skip", "regression: no chance level to compare with")]
        inputs, targets = context.train_sample(self.samples)
        model = context.fresh_model().eval()
        with torch.no_grad():
            outputs = model(inputs)
            initial = float(context.loss_fn(outputs, targets))
            uniform = float(context.loss_fn(torch.zeros_like(outputs), targets))
        classes = context.bundle.num_outputs
        entropy = _label_entropy(targets, classes)
        reference = f"{uniform:.4g} for uniform predictions" + (
            f" (= ln {classes})" if math.isclose(uniform, math.log(classes), rel_tol=1e-4) else ""
        )
        measured = f"initial loss {initial:.4g} vs {reference}"
        if not math.isfinite(initial):
            return [
                CheckResult(
                    "init_loss",
                    "fail",
                    measured,
                    fix="find the first non-finite layer: trainlab fit ... --set train.nan_policy=raise names it",
                    meaning="the untrained model already produces a non-finite loss",
                )
            ]
        if abs(initial - uniform) <= self.tolerance * uniform:
            return [CheckResult("init_loss", "pass", measured)]
        if initial > uniform:
            return [
                CheckResult(
                    "init_loss",
                    "fail" if initial > self.fail_ratio * uniform else "warn",
                    measured,
                    fix="scale the output layer down at init (e.g. --set init.name=xavier_normal, or zero the last "
                    "layer's weights) and standardize the inputs (--set data.scaling=standardize)",
                    meaning="the model starts confident and wrong: its logits are too large at init, so the first "
                    "steps are spent shrinking them (the 'hockey stick' loss curve)",
                )
            ]
        if initial >= entropy - self.tolerance * uniform:
            return [
                CheckResult(
                    "init_loss",
                    "pass",
                    measured + f"; above the labels' entropy {entropy:.4g} (a prior-initialized bias)",
                )
            ]
        return [
            CheckResult(
                "init_loss",
                "warn",
                measured + f"; below even the labels' entropy {entropy:.4g}",
                fix="check that the inputs do not contain the label and that the loss compares outputs with "
                "the right targets",
                meaning="an untrained model should not beat chance: the label may leak into the inputs",
            )
        ]


def _label_entropy(targets: torch.Tensor, classes: int) -> float:
    """Entropy of the label distribution, in nats: the lowest loss an input-blind model can reach."""
    if targets.dim() != 1 or targets.is_floating_point():
        return 0.0
    frequencies = torch.bincount(targets, minlength=classes).double() / len(targets)
    present = frequencies[frequencies > 0]
    return float(-(present * present.log()).sum())
