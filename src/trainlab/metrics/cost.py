"""G-mean and the cost-sensitive error as torchmetrics metrics (loaded when one is built: torchmetrics is slow to import)."""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import classification as tmc

from trainlab.errors import ConfigError, Problem


class GeometricMeanRecall(tmc.MulticlassRecall):
    """(Π_k recall_k)^(1/K) over the K classes, from torchmetrics' per-class recalls."""

    def __init__(self, num_classes: int, **kwargs: Any):
        super().__init__(num_classes=num_classes, average="none", **kwargs)

    def compute(self) -> torch.Tensor:
        recalls = super().compute().double()
        return recalls.prod().pow(1.0 / recalls.numel())


class CostSensitiveError(tmc.MulticlassConfusionMatrix):
    """Σ confusion[i, j] · C[i, j] / N: the mean misclassification cost of arg-max predictions."""

    def __init__(self, num_classes: int, costs: list[list[float]] | None = None, **kwargs: Any):
        super().__init__(num_classes=num_classes, **kwargs)
        matrix = (
            1 - torch.eye(num_classes, dtype=torch.float64)
            if costs is None
            else torch.tensor(costs, dtype=torch.float64)
        )
        if matrix.shape != (num_classes, num_classes) or bool((matrix < 0).any()):
            raise ConfigError(
                [
                    Problem(
                        "costs",
                        f"needs a {num_classes} x {num_classes} matrix of non-negative costs (row: true class, "
                        f"column: predicted class); got shape {tuple(matrix.shape)}",
                    )
                ]
            )
        self.cost_matrix = matrix

    def compute(self) -> torch.Tensor:
        confusion = super().compute().double()
        return (confusion * self.cost_matrix.to(confusion.device)).sum() / confusion.sum().clamp_min(1)
