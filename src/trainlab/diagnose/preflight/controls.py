"""Training controls: overfit one small batch, train on shuffled labels, train on zeroed inputs."""

from __future__ import annotations

import math
from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.diagnose.preflight._base import CheckResult, PreflightContext, batch_loss
from trainlab.registry import PREFLIGHT_CHECKS

_RECIPE = "Karpathy 2019, A Recipe for Training Neural Networks"


@PREFLIGHT_CHECKS.register(
    "overfit_batch",
    reference=f"{_RECIPE} (overfit one batch); Goodfellow, Bengio & Courville 2016, Deep Learning §11.5 "
    "(fit a tiny dataset)",
)
class OverfitBatchCheck:
    """Fit a few training samples to near-zero loss; a model that cannot is wired wrong.

    Regularization is off (eval mode: no dropout, batch norm on its running statistics, no
    penalties), and Adam drives the recipe's loss on one fixed batch.

    Args:
        batch_size: Samples in the batch.
        steps: The most optimizer steps allowed.
        lr: Adam's learning rate.
        target_fraction: Done when the loss falls to this fraction of its initial value (and, for
            classification, every sample is predicted right).
    """

    def __init__(
        self,
        batch_size: Annotated[int, Field(ge=1)] = 8,
        steps: Annotated[int, Field(ge=1)] = 300,
        lr: Annotated[float, Field(gt=0)] = 1e-2,
        target_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.02,
    ):
        self.batch_size = batch_size
        self.steps = steps
        self.lr = lr
        self.target_fraction = target_fraction

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("overfit_batch")
        if skipped is not None:
            return [skipped]
        inputs, targets = context.train_sample(self.batch_size, stream=1)
        model = context.fresh_model().eval()
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        with torch.no_grad():
            initial = loss = float(batch_loss(context, model, inputs, targets))
        for step in range(1, self.steps + 1):
            optimizer.zero_grad()
            objective = batch_loss(context, model, inputs, targets)
            objective.backward()
            optimizer.step()
            with torch.no_grad():
                outputs = model(inputs)
                loss = float(context.loss_fn(outputs, targets))
            if self._fitted(context, loss, initial, outputs, targets):
                return [
                    CheckResult(
                        "overfit_batch",
                        "pass",
                        f"loss {initial:.3g} → {loss:.3g} on {len(inputs)} samples in {step} steps",
                    )
                ]
        return [
            CheckResult(
                "overfit_batch",
                "fail",
                f"loss {initial:.3g} → {loss:.3g} on {len(inputs)} samples after {self.steps} steps "
                f"(target {self.target_fraction:g}× the initial loss)",
                fix="check that the output depends on the input and the loss compares outputs with targets "
                "(a detach(), a frozen layer, a wrong view/reshape, labels shifted by one); a too small "
                "model cannot fit either",
                meaning="a model that cannot memorize a handful of samples will not learn the whole set: "
                "the wiring between inputs, model, loss and optimizer is broken",
            )
        ]

    def _fitted(
        self,
        context: PreflightContext,
        loss: float,
        initial: float,
        outputs: torch.Tensor,
        targets: torch.Tensor,
    ) -> bool:
        if not math.isfinite(loss) or loss > self.target_fraction * abs(initial):
            return False
        if context.classification and targets.dim() == 1:
            return bool((outputs.argmax(1) == targets).all())
        return True


@PREFLIGHT_CHECKS.register(
    "shuffled_labels",
    reference="Zhang, Bengio, Hardt, Recht & Vinyals 2017, Understanding Deep Learning Requires Rethinking "
    f"Generalization (random labels); {_RECIPE}",
)
class ShuffledLabelsCheck:
    """Train briefly on shuffled training labels: validation accuracy must stay at chance.

    Chance is the validation accuracy of always predicting the most frequent training class. A
    model that beats it by more than sampling noise (three standard errors plus ``slack``) gets
    label information from somewhere other than the training pairs: the label leaks into the
    inputs or the evaluation.

    Args:
        steps: Optimizer steps of the brief training.
        lr: Adam's learning rate.
        batch_size: Samples per step.
        samples: Training samples used.
        slack: Accuracy above chance (beyond sampling noise) that still passes.
    """

    def __init__(
        self,
        steps: Annotated[int, Field(ge=1)] = 50,
        lr: Annotated[float, Field(gt=0)] = 3e-3,
        batch_size: Annotated[int, Field(ge=1)] = 32,
        samples: Annotated[int, Field(ge=2)] = 1024,
        slack: Annotated[float, Field(ge=0, le=1)] = 0.02,
    ):
        self.steps = steps
        self.lr = lr
        self.batch_size = batch_size
        self.samples = samples
        self.slack = slack

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("shuffled_labels")
        if skipped is not None:
            return [skipped]
        if not context.classification:
            return [CheckResult("shuffled_labels", "skip", "regression: no accuracy to compare with chance")]
        held_out = context.split("val") or context.split("test")
        if held_out is None:
            return [CheckResult("shuffled_labels", "skip", "no validation or test split")]
        inputs, targets = context.train_sample(self.samples, stream=2)
        generator = torch.Generator().manual_seed(context.seed)
        shuffled = targets[torch.randperm(len(targets), generator=generator)]
        model = train_briefly(context, inputs, shuffled, self.steps, self.lr, self.batch_size)
        val_inputs, val_targets = held_out
        with torch.no_grad():
            accuracy = float((model.eval()(val_inputs).argmax(1) == val_targets).double().mean())
        majority = int(torch.bincount(targets, minlength=context.bundle.num_outputs).argmax())
        chance = float((val_targets == majority).double().mean())
        noise = 3 * math.sqrt(max(chance * (1 - chance), 1e-12) / len(val_targets))
        measured = (
            f"held-out accuracy {accuracy:.3f} after {self.steps} steps on shuffled labels; chance "
            f"{chance:.3f} (± {noise:.3f} noise)"
        )
        if accuracy <= chance + noise + self.slack:
            return [CheckResult("shuffled_labels", "pass", measured)]
        return [
            CheckResult(
                "shuffled_labels",
                "fail",
                measured,
                fix="look for a feature computed from the label (an id, a target encoding fitted on all data, "
                "a file order) and for evaluation code that reads the training labels",
                meaning="with the training labels shuffled nothing learnable links inputs to labels, so "
                "beating chance means label information leaks into the model by another path",
            )
        ]


@PREFLIGHT_CHECKS.register("zeroed_inputs", reference=f"{_RECIPE} (input-independent baseline)")
class ZeroedInputsCheck:
    """Train briefly on real inputs and, from the same start, on all-zero inputs: the real ones must win.

    Both models are scored on the samples they trained on (each with its own kind of input): the
    zeroed-input model can learn only the label prior, so a model that uses its inputs ends lower.
    Scoring on the training samples keeps generalization out of it: the question is only whether
    the inputs reach the model.

    Args:
        steps: Optimizer steps of each brief training.
        lr: Adam's learning rate.
        batch_size: Samples per step.
        samples: Training samples used.
        min_gain: The real inputs' loss must be at least this fraction below the zeroed inputs'.
    """

    def __init__(
        self,
        steps: Annotated[int, Field(ge=1)] = 50,
        lr: Annotated[float, Field(gt=0)] = 3e-3,
        batch_size: Annotated[int, Field(ge=1)] = 32,
        samples: Annotated[int, Field(ge=2)] = 256,
        min_gain: Annotated[float, Field(ge=0, lt=1)] = 0.05,
    ):
        self.steps = steps
        self.lr = lr
        self.batch_size = batch_size
        self.samples = samples
        self.min_gain = min_gain

    def run(self, context: PreflightContext) -> list[CheckResult]:
        skipped = context.needs_model("zeroed_inputs")
        if skipped is not None:
            return [skipped]
        inputs, targets = context.train_sample(self.samples, stream=3)
        losses = {}
        for kind, scale in (("real", 1.0), ("zeroed", 0.0)):
            model = train_briefly(context, inputs * scale, targets, self.steps, self.lr, self.batch_size)
            with torch.no_grad():
                losses[kind] = float(batch_loss(context, model.eval(), inputs * scale, targets))
        real, zeroed = losses["real"], losses["zeroed"]
        measured = (
            f"loss {real:.4g} with real inputs vs {zeroed:.4g} with zeroed inputs after {self.steps} steps "
            f"on {len(inputs)} samples"
        )
        if math.isfinite(real) and real <= (1 - self.min_gain) * zeroed:
            return [CheckResult("zeroed_inputs", "pass", measured)]
        return [
            CheckResult(
                "zeroed_inputs",
                "fail",
                measured + f" (needs {self.min_gain:.0%} lower)",
                fix="check that the inputs reach the model (a wrong column, a transform that blanks them, a "
                "detach) and that they carry signal about the labels",
                meaning="the model does no better with the data than without it: it learns only the label prior",
            )
        ]


def train_briefly(
    context: PreflightContext,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    steps: int,
    lr: float,
    batch_size: int,
) -> nn.Module:
    """A fresh model trained with Adam on random batches of ``(inputs, targets)`` (train mode, no penalties)."""
    model = context.fresh_model().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(context.seed)
    for _ in range(steps):
        batch = torch.randint(len(inputs), (min(batch_size, len(inputs)),), generator=generator)
        optimizer.zero_grad()
        batch_loss(context, model, inputs[batch], targets[batch]).backward()
        optimizer.step()
    return model
