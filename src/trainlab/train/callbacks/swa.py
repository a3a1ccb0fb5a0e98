"""Stochastic weight averaging: the equal-weight mean of the weights along the end of training."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field
from torch import nn

from trainlab.registry import CALLBACKS
from trainlab.train.callbacks._swap import WeightSwap, averageable


@torch.no_grad()
def recompute_batch_norm(model: nn.Module, dataset: Any, batch_size: int = 256) -> None:
    """Re-estimate batch-norm running statistics of ``model`` with one pass over ``dataset`` (cumulative)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    from trainlab.train.evaluator import iterate_in_order

    momenta = {m: m.momentum for m in norms}
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the pass
    was_training = model.training
    model.train()
    device = next(model.parameters()).device
    for inputs, _ in iterate_in_order(dataset, batch_size):
        model(inputs.to(device))
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


@CALLBACKS.register(
    "swa",
    reference="Izmailov, Podoprikhin, Garipov, Vetrov & Wilson 2018, Averaging Weights Leads to Wider Optima and "
    "Better Generalization, arXiv:1803.05407",
)
class SWA(WeightSwap):
    """Stochastic weight averaging: the mean of the weights from ``start`` of training on, used for evaluation.

    Averages the weights every ``every`` steps once a fraction ``start`` of training is done.
    Evaluations after the start see the averaged weights, with batch-norm statistics recomputed
    on the training split (Izmailov et al., Sec. 3.2); the final model is the average.

    Args:
        start: Fraction of training after which averaging begins.
        every: Average every N optimizer steps.
    """

    def __init__(
        self, start: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.75, every: Annotated[int, Field(ge=1)] = 1
    ):
        super().__init__()
        self.start, self.every = start, every
        self.count = 0

    @torch.no_grad()
    def on_step_end(self, trainer: Any) -> None:
        if trainer.step < self.start * trainer.total_steps or trainer.step % self.every:
            return
        current = averageable(trainer.model)
        if not self.average:
            self.average = {n: t.detach().clone() for n, t in current.items()}
        else:
            names = list(self.average)
            torch._foreach_lerp_(
                [self.average[n] for n in names], [current[n] for n in names], 1.0 / (self.count + 1)
            )
        self.count += 1

    def on_eval_start(self, trainer: Any, split: str) -> None:
        if self.average:
            self.swap_in(trainer.model)
            recompute_batch_norm(trainer.model, trainer.eval_sets["train"])

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self.swap_out(trainer.model)

    def on_fit_end(self, trainer: Any) -> None:
        if self.average:
            self.swap_in(trainer.model)
            recompute_batch_norm(trainer.model, trainer.eval_sets["train"])
            self._live = None

    def state_dict(self) -> dict[str, Any]:
        return {"average": {n: t.clone() for n, t in self.average.items()}, "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.average = {n: t.clone() for n, t in state["average"].items()}
        self.count = state["count"]
