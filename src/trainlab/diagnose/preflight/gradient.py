"""The gradient check as a pre-flight row: autograd against central differences on a tiny batch."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from trainlab.diagnose.gradcheck import RIGHT_BELOW, WRONG_ABOVE, gradcheck
from trainlab.diagnose.preflight._base import CheckResult, PreflightContext
from trainlab.registry import PREFLIGHT_CHECKS


@PREFLIGHT_CHECKS.register(
    "gradcheck",
    reference="CS231n, Neural Networks Part 3: gradient checks; Goodfellow, Bengio & Courville 2016, "
    "Deep Learning §11.5",
)
class GradientCheck:
    """Autograd's gradient against central differences, in float64, on a few entries per tensor.

    See :func:`trainlab.diagnose.gradcheck`; ``trainlab gradcheck RECIPE`` shows every tensor.

    Args:
        batch_size: Samples in the batch.
        entries_per_tensor: Entries perturbed per parameter tensor.
    """

    def __init__(
        self,
        batch_size: Annotated[int, Field(ge=1)] = 4,
        entries_per_tensor: Annotated[int, Field(ge=1)] = 4,
    ):
        self.batch_size = batch_size
        self.entries_per_tensor = entries_per_tensor

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("gradcheck")
        if skipped is not None:
            return [skipped]
        batch = context.train_sample(self.batch_size, stream=5)
        report = gradcheck(
            context.fresh_model(),
            context.loss_fn,
            batch,
            entries_per_tensor=self.entries_per_tensor,
            seed=context.seed,
        )
        worst = report.worst
        kinks = sum(len(t.kinks) for t in report.tensors)
        kink_note = f"; {kinks} entries crossed a kink (not counted)" if kinks else ""
        if worst is None:
            return [CheckResult("gradcheck", "skip", "the model has no trainable parameters")]
        measured = (
            f"{len(report.tensors)} tensors; largest relative error {worst.max_relative_error:.1e} "
            f"({worst.name}){kink_note}"
        )
        wrong = [t.name for t in report.tensors if t.verdict == "wrong"]
        if wrong:
            return [
                CheckResult(
                    "gradcheck",
                    "fail",
                    measured + f"; wrong (> {WRONG_ABOVE:g}) in {', '.join(wrong[:3])}",
                    fix="a custom backward or a non-differentiable op (argmax, round, in-place edit, .data) "
                    "breaks the gradient there; run `trainlab gradcheck RECIPE` for every tensor",
                    meaning="the optimizer follows a gradient that is not the loss's",
                )
            ]
        doubtful = [t.name for t in report.tensors if t.verdict != "right"]
        if doubtful:
            return [
                CheckResult(
                    "gradcheck",
                    "warn",
                    measured + f"; between {RIGHT_BELOW:g} and {WRONG_ABOVE:g} in {', '.join(doubtful[:3])}",
                    fix="run `trainlab gradcheck RECIPE`: kinks (ReLU, max) explain such errors, smooth layers do not",
                    meaning="the gradient is close but not exact",
                )
            ]
        return [CheckResult("gradcheck", "pass", measured)]
