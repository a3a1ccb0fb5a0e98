"""The multi-task loss: each task's loss, weighted by fixed weights or by learned homoscedastic uncertainty.

With ``weighting: uncertainty`` (Kendall, Gal & Cipolla 2018), each task t has a learned
s_t = log sigma_t^2 and contributes

    classification:  exp(-s_t) L_t + s_t / 2          (Eq. 10: L / sigma^2 + log sigma)
    regression:      exp(-s_t) L_t / 2 + s_t / 2      (Eq. 7:  L / (2 sigma^2) + log sigma)

so a noisy or hard task is down-weighted by a larger sigma instead of a hand-tuned weight, and the
s_t terms stop every sigma from growing without bound. The s_t are parameters of the loss, which
trainlab optimizes with the model's and checkpoints. Each task's loss and accuracy (and sigma) are
logged as ``loss.<task>``, ``loss.accuracy_<task>`` and ``loss.sigma_<task>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.losses.terms import LossTerms
from trainlab.models.multitask import MAIN, MultiTaskNetwork, auxiliary_target
from trainlab.registry import LOSSES


@LOSSES.register(
    "multitask",
    reference="Kendall, Gal & Cipolla 2018, Multi-Task Learning Using Uncertainty to Weigh Losses for Scene "
    "Geometry and Semantics, arXiv:1705.07115",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
class MultiTaskLoss(nn.Module):
    """Cross-entropy on the main task plus each auxiliary head's loss, weighted fixed or by learned uncertainty.

    Needs the ``multitask`` model, whose heads it reads (checked when the run is built).

    Args:
        weighting: ``fixed`` (the ``weights``) or ``uncertainty`` (learned sigma per task, Kendall et al.).
        weights: Fixed weight per task name (``main`` and the model's auxiliary tasks); missing ones are 1.
    """

    def __init__(
        self,
        weighting: Literal["fixed", "uncertainty"] = "uncertainty",
        weights: dict[str, Annotated[float, Field(ge=0.0)]] | None = None,
    ):
        super().__init__()
        self.weighting = weighting
        self.weights = dict(weights or {})
        self.tasks: list[str] = []
        self.log_variance = nn.ParameterDict()
        self._inputs: torch.Tensor | None = None
        self._auxiliary: dict[str, torch.Tensor] | None = None

    def attach(self, model: nn.Module) -> None:
        if not isinstance(model, MultiTaskNetwork):
            raise ConfigError(
                [
                    Problem(
                        "loss.name",
                        "multitask reads the heads of the 'multitask' model; set model.name: multitask",
                    )
                ]
            )
        self.tasks = [MAIN, *model.heads]
        unknown = sorted(set(self.weights) - set(self.tasks))
        if unknown:
            raise ConfigError(
                [
                    Problem(
                        "loss.weights",
                        f"names tasks {unknown} that the model has no head for; its heads are {self.tasks} "
                        "(add them to model.auxiliary, or remove their weights)",
                    )
                ]
            )
        if self.weighting == "uncertainty":
            self.log_variance = nn.ParameterDict({task: nn.Parameter(torch.zeros(())) for task in self.tasks})
        # Hooks rather than a reference to the model: a module stored on the loss would become part of
        # it, and its weights would be optimized twice.
        model.register_forward_hook(self._keep_batch)

    def _keep_batch(self, module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        self._inputs = inputs[0]
        assert isinstance(module, MultiTaskNetwork)  # attach checked it
        self._auxiliary = dict(module.last_auxiliary)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> LossTerms:
        if self._auxiliary is None or self._inputs is None:
            raise RuntimeError("multitask loss: call attach(model) before the first forward pass")
        targets = targets.long()
        outputs = {MAIN: logits, **self._auxiliary}
        terms: dict[str, torch.Tensor] = {}
        total = logits.new_zeros(())
        for task in self.tasks:
            output = outputs[task]
            if task == MAIN:
                target = targets
            else:
                target = auxiliary_target(task, self._inputs, targets, logits.shape[1]).to(output.device)
            regression = output.shape == target.shape and target.is_floating_point()
            loss = F.mse_loss(output, target) if regression else F.cross_entropy(output, target)
            terms[task] = loss.detach()
            if not regression:
                terms[f"accuracy_{task}"] = (output.argmax(dim=1) == target).float().mean().detach()
            total = total + self._weighted(task, loss, regression, terms)
        return LossTerms(total, terms)

    def _weighted(
        self, task: str, loss: torch.Tensor, regression: bool, terms: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        if self.weighting == "fixed":
            return self.weights.get(task, 1.0) * loss
        s = self.log_variance[task]
        terms[f"sigma_{task}"] = torch.exp(0.5 * s).detach()
        precision = torch.exp(-s) * (0.5 if regression else 1.0)
        return precision * loss + 0.5 * s
