"""Gradual magnitude pruning during training, on Zhu & Gupta's cubic sparsity schedule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import torch
from pydantic import Field

from trainlab.compress.prune.magnitude import magnitude_masks
from trainlab.compress.prune.masks import MaskedTraining, prunable_weights
from trainlab.errors import ConfigError, Problem
from trainlab.registry import CALLBACKS


def polynomial_sparsity(step: int, *, initial: float, final: float, start: int, end: int) -> float:
    """Zhu & Gupta's s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3, held at s_i before t0 and s_f after t0 + n dt."""
    progress = min(max((step - start) / (end - start), 0.0), 1.0)
    return final + (initial - final) * (1.0 - progress) ** 3


@CALLBACKS.register(
    "gradual_pruning",
    reference="Zhu & Gupta 2017, To prune, or not to prune: exploring the efficacy of pruning for model "
    "compression, arXiv:1710.01878",
)
class GradualPruning:
    """Prune the smallest weights step by step while training, up to ``final_sparsity``.

    Every ``every`` steps from ``start_step`` to ``end_step`` the Linear and Conv weights are
    pruned by magnitude to s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3: fast at first, while
    there are many redundant weights, then slowly, so that the network recovers between prunings.
    Pruned weights stay exactly zero until the end of training (their gradients and values are
    masked), and the masks are checkpointed, so a resumed run prunes exactly as an unbroken one.
    The saved model is the dense architecture with zeros, and loads like any run.

    Args:
        final_sparsity: s_f, the fraction of weights pruned from ``end_step`` on.
        initial_sparsity: s_i, the fraction pruned at ``start_step``.
        start_step: t0, the first pruning step (a step counts once its update is done).
        end_step: t0 + n dt, the last pruning step; train some steps beyond it to recover.
        every: dt, steps between prunings (Zhu & Gupta use 100 to 1000).
        scope: ``layer`` prunes each layer to s_t (as in the paper); ``global`` ranks all weights together.
    """

    def __init__(
        self,
        final_sparsity: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.8,
        initial_sparsity: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0,
        start_step: Annotated[int, Field(ge=0)] = 0,
        end_step: Annotated[int, Field(ge=1)] = 1000,
        every: Annotated[int, Field(ge=1)] = 100,
        scope: Literal["layer", "global"] = "layer",
    ):
        problems = []
        if end_step <= start_step:
            problems.append(Problem("end_step", f"({end_step}) must come after start_step ({start_step})"))
        if initial_sparsity > final_sparsity:
            problems.append(
                Problem(
                    "initial_sparsity", f"({initial_sparsity}) is above final_sparsity ({final_sparsity})"
                )
            )
        if problems:
            raise ConfigError(problems, source="callback 'gradual_pruning'")
        self.final_sparsity, self.initial_sparsity = final_sparsity, initial_sparsity
        self.start_step, self.end_step, self.every, self.scope = start_step, end_step, every, scope
        self.masked = MaskedTraining()

    def sparsity_at(self, step: int) -> float:
        return polynomial_sparsity(
            step,
            initial=self.initial_sparsity,
            final=self.final_sparsity,
            start=self.start_step,
            end=self.end_step,
        )

    def on_fit_start(self, trainer: Any) -> None:
        if (
            not self.masked.masks
        ):  # before the first pruning every weight is kept (a resume restores the masks)
            self.masked.masks = {
                name: torch.ones_like(weight, dtype=torch.bool)
                for name, weight in prunable_weights(trainer.model).items()
            }
        self.masked.on_fit_start(trainer)

    def on_after_backward(self, trainer: Any) -> None:
        self.masked.on_after_backward(trainer)

    def on_step_end(self, trainer: Any) -> None:
        step = trainer.step
        if self.start_step <= step <= self.end_step and (step - self.start_step) % self.every == 0:
            # Weights pruned before are zero, so they stay among the smallest: the masks only grow.
            weights = prunable_weights(trainer.model)
            self.masked.masks = magnitude_masks(weights, self.sparsity_at(step), self.scope)
        self.masked.on_step_end(trainer)

    def state_dict(self) -> dict[str, Any]:
        return self.masked.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.masked.load_state_dict(state)
