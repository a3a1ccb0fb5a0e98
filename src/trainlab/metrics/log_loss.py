"""Log loss as a torchmetrics metric: the mean negative log-likelihood of the true class."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
import torchmetrics


class LogLoss(torchmetrics.Metric):
    """Mean negative log-likelihood of the true class under softmax(logits)."""

    higher_is_better = False
    full_state_update = False
    total: torch.Tensor  # states registered by add_state
    count: torch.Tensor

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor, targets: torch.Tensor) -> None:
        self.total += F.cross_entropy(logits.double(), targets, reduction="sum")
        self.count += targets.numel()

    def compute(self) -> torch.Tensor:
        return self.total / self.count.clamp_min(1)
