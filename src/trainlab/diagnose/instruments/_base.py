"""What every instrument sees of a sampled step, and the rows it leaves there (still on the device)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


@dataclass
class SampledStep:
    """One sampled step, as the instruments see it.

    Attributes:
        step: The step's number as the trainer counts it after the update (1 for the first step).
        model: The model being trained (unwrapped from DistributedDataParallel).
        optimizer: Its optimizer; the learning rate and the parameters it updates come from here.
        micro_batches: Backward passes whose gradients add up in this step (gradient accumulation).
        grad_scale: The loss scale of fp16 mixed precision; gradients are divided by it.
        loss: The step's data loss (a device scalar), when the caller gives it.
        loss_fn: The loss function, for instruments that evaluate the loss again (the Hessian).
        inputs: The first micro-batch's inputs, captured by the model's forward pre-hook.
        targets: The first micro-batch's targets, when the caller gives them.
        rows: The statistics recorded so far, by ``(kind, layer)``; still device tensors.
    """

    step: int
    model: nn.Module
    optimizer: torch.optim.Optimizer | None
    micro_batches: int = 1
    grad_scale: float = 1.0
    loss: torch.Tensor | None = None
    loss_fn: Callable[[Any, Any], torch.Tensor] | None = None
    inputs: Any = None
    targets: Any = None
    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: str, layer: str, **stats: Any) -> None:
        """Record ``stats`` (device tensors or plain numbers) in the row of ``kind`` and ``layer``."""
        self.rows.setdefault((kind, layer), {}).update(stats)

    @property
    def lr(self) -> float | None:
        return float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else None

    def named_trained_parameters(self) -> list[tuple[str, nn.Parameter]]:
        """The model's parameters that the optimizer updates, by name, in the model's order."""
        named = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        if self.optimizer is None:
            return named
        updated = {id(p) for group in self.optimizer.param_groups for p in group["params"]}
        return [(n, p) for n, p in named if id(p) in updated]


class Instrument(Protocol):
    """A family of statistics measured on sampled steps; every method may do nothing.

    ``attach`` runs before the step's forward pass and returns the hooks it registered (removed
    after the backward pass, so an unsampled step runs no instrument code at all);
    ``after_backward`` sees the step's summed gradients, before clipping and the update;
    ``after_step`` sees the updated weights.
    """

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]: ...

    def after_backward(self, sampled: SampledStep) -> None: ...

    def after_step(self, sampled: SampledStep) -> None: ...


def first_output_tensor(output: Any) -> torch.Tensor | None:
    """The tensor a module returned, or the first of a tuple it returned (an RNN's output, say)."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return None
