"""Exponential moving average of the weights, evaluated in place of the live weights."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field

from trainlab.registry import CALLBACKS
from trainlab.train.callbacks._swap import WeightSwap, averageable


@CALLBACKS.register(
    "ema",
    reference="Polyak & Juditsky 1992, Acceleration of Stochastic Approximation by Averaging; "
    "https://www.tensorflow.org/api_docs/python/tf/train/ExponentialMovingAverage",
)
class EMA(WeightSwap):
    """Exponential moving average of the weights; evaluation and the saved model use the averaged weights.

    Keeps ema = d * ema + (1 - d) * w after every ``every`` steps. With ``warmup``, the decay at
    update t is min(decay, (1 + t) / (10 + t)) (TensorFlow's ``num_updates`` rule), so early
    averages are not dominated by the random initialisation. Float buffers (batch-norm
    statistics) are averaged too. The live weights are in the model's state and the EMA weights
    in this callback's ``state_dict``, so a checkpoint keeps both.

    Args:
        decay: Weight of the old average per update.
        warmup: Ramp the decay as min(decay, (1 + t) / (10 + t)).
        every: Update every N optimizer steps.
    """

    def __init__(
        self,
        decay: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.999,
        warmup: bool = True,
        every: Annotated[int, Field(ge=1)] = 1,
    ):
        super().__init__()
        self.decay, self.warmup, self.every = decay, warmup, every
        self.updates = 0

    def current_decay(self) -> float:
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    def on_fit_start(self, trainer: Any) -> None:
        if not self.average:
            self.average = {name: t.detach().clone() for name, t in averageable(trainer.model).items()}

    @torch.no_grad()
    def on_step_end(self, trainer: Any) -> None:
        if trainer.step % self.every:
            return
        decay = self.current_decay()
        names = list(self.average)
        current = averageable(trainer.model)
        torch._foreach_lerp_([self.average[n] for n in names], [current[n] for n in names], 1.0 - decay)
        self.updates += 1

    def on_eval_start(self, trainer: Any, split: str) -> None:
        self.swap_in(trainer.model)

    def on_eval_end(self, trainer: Any, split: str, metrics: dict[str, Any]) -> None:
        self.swap_out(trainer.model)

    def on_fit_end(self, trainer: Any) -> None:
        # The trained model is the averaged one: that is what was evaluated and what gets saved.
        self.swap_in(trainer.model)
        self._live = None

    def state_dict(self) -> dict[str, Any]:
        return {"average": {n: t.clone() for n, t in self.average.items()}, "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.average = {n: t.clone() for n, t in state["average"].items()}
        self.updates = state["updates"]
