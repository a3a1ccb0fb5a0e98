"""Residuals r of a sum-of-squares loss (loss = ‖r‖²), for least-squares optimizers such as Levenberg-Marquardt."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.losses.task_adapter import TaskLoss

LossFunction = Callable[[torch.Tensor, torch.Tensor], Any]


def has_residuals(loss_fn: LossFunction) -> bool:
    """Whether :func:`residuals` can write ``loss_fn`` as a sum of squares."""
    inner = loss_fn.loss if isinstance(loss_fn, TaskLoss) else loss_fn
    if callable(getattr(inner, "residuals", None)):
        return True
    return isinstance(inner, nn.MSELoss) and inner.reduction in ("mean", "sum")


def residuals(loss_fn: LossFunction, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The flat vector r with ``loss_fn(outputs, targets) == (r ** 2).sum()``.

    Mean squared error over m entries gives r = (outputs − targets) / √m. A loss module of your own
    takes part by defining ``residuals(outputs, targets)``.

    Raises:
        TypeError: the loss is not a sum of squares (check with :func:`has_residuals` first).
    """
    inner = loss_fn
    if isinstance(loss_fn, TaskLoss):
        outputs, targets = loss_fn.adapt(outputs, targets)
        inner = loss_fn.loss
    own = getattr(inner, "residuals", None)
    if callable(own):
        return own(outputs, targets).reshape(-1)
    if not has_residuals(inner):
        raise TypeError(f"{type(inner).__name__} is not a sum of squares; least-squares optimizers need mse")
    difference = (outputs - targets).reshape(-1)
    assert isinstance(inner, nn.MSELoss)
    return difference / math.sqrt(difference.numel()) if inner.reduction == "mean" else difference


def check_least_squares(optimizer: Any, loss_fn: LossFunction, penalties: dict[str, Any]) -> None:
    """Before training: an optimizer that needs residuals gets a sum-of-squares loss and no penalties.

    Raises:
        ConfigError: naming ``loss.name`` or ``regularizers`` and the fix.
    """
    if not getattr(optimizer, "needs_residuals", False):
        return
    name = getattr(optimizer, "catalog_name", type(optimizer).__name__)
    problems = []
    if not has_residuals(loss_fn):
        problems.append(
            Problem(
                "loss.name",
                f"optimizer '{name}' minimizes a sum of squared residuals; use loss mse (on labels it fits "
                "one-hot targets) or a loss module that defines residuals(outputs, targets)",
            )
        )
    if penalties:
        problems.append(
            Problem(
                "regularizers",
                f"optimizer '{name}' sees only the loss's residuals, so the penalties "
                f"{', '.join(penalties)} would be ignored; remove them",
            )
        )
    if problems:
        raise ConfigError(problems)


def least_squares_residuals(
    model: nn.Module, loss_fn: LossFunction, batches: list[tuple[torch.Tensor, torch.Tensor]]
) -> torch.Tensor:
    """The residuals of a step's micro-batches, scaled so that ‖r‖² is their mean loss (the step's objective)."""
    scale = 1 / math.sqrt(len(batches))
    with torch.enable_grad():
        return torch.cat([residuals(loss_fn, model(inputs), targets) * scale for inputs, targets in batches])
