"""Fits a loss to a task: one-hot targets for dense losses on labels, target-shaped outputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.registry import Entry


class TaskLoss(nn.Module):
    """Wraps a loss so the trainer can call ``loss(outputs, batch_targets)`` for any task.

    A loss that wants dense targets (MSE, BCE, ...) on a classification task gets one-hot
    labels, which is how the canon's "cross-entropy versus MSE" comparison is set up.
    Regression outputs of shape (batch, k) are viewed in the target's shape.
    """

    def __init__(self, loss: nn.Module, *, one_hot_classes: int | None, target_shape: tuple[int, ...] | None):
        super().__init__()
        self.loss = loss
        self.one_hot_classes = one_hot_classes
        self.target_shape = target_shape

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.loss(*self.adapt(outputs, targets))

    def adapt(self, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The outputs and targets as the wrapped loss takes them."""
        if self.one_hot_classes is not None and targets.dim() == 1:
            # Integer labels become one-hot; soft labels (mixup, cutmix) are already dense.
            targets = F.one_hot(targets, self.one_hot_classes).to(outputs.dtype)
        elif self.target_shape is not None:
            outputs = outputs.view(outputs.shape[0], *self.target_shape)
        return outputs, targets


def adapt_loss(
    entry: Entry, loss: nn.Module, *, task: str, num_classes: int | None, target_shape: tuple[int, ...]
) -> nn.Module:
    """Return ``loss`` ready for ``task``; raises ConfigError if the loss cannot serve it."""
    loss_task = entry.flags.get("task", "any")
    if loss_task not in ("any", task):
        raise ConfigError(
            [Problem("loss.name", f"'{entry.name}' is a {loss_task} loss but the data is a {task} task")]
        )
    if entry.flags.get("target") == "class_index":
        return loss
    if task == "classification":
        return TaskLoss(loss, one_hot_classes=num_classes, target_shape=None)
    return TaskLoss(loss, one_hot_classes=None, target_shape=target_shape)
