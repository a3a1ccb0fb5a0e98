"""Recall@k for embeddings: the share of samples with a same-class sample among their k nearest neighbours.

The retrieval metric of deep metric learning (Oh Song et al. 2016, Sec. 5): each sample of the
evaluated split is a query against all the others of the split (itself left out), by Euclidean
or cosine distance on the model's outputs. It keeps every embedding of the split until
``compute``, as retrieval needs the whole gallery.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
import torchmetrics


class RecallAtK(torchmetrics.Metric):
    """``mean_i [ some j != i among i's k nearest neighbours has y_j = y_i ]``."""

    higher_is_better = True
    full_state_update = False
    embeddings: list[torch.Tensor]  # states registered by add_state
    labels: list[torch.Tensor]

    def __init__(self, k: int = 1, distance: str = "euclidean", **kwargs: Any):
        super().__init__(**kwargs)
        self.k, self.distance = k, distance
        self.add_state("embeddings", default=[], dist_reduce_fx="cat")
        self.add_state("labels", default=[], dist_reduce_fx="cat")

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.embeddings.append(outputs.detach().flatten(1).double())
        self.labels.append(targets.detach().long())

    def compute(self) -> torch.Tensor:
        embeddings = torchmetrics.utilities.dim_zero_cat(self.embeddings)
        labels = torchmetrics.utilities.dim_zero_cat(self.labels)
        if self.distance == "cosine":
            normalized = F.normalize(embeddings, dim=1)
            distances = 1.0 - normalized @ normalized.T
        else:
            distances = torch.cdist(embeddings, embeddings)
        distances.fill_diagonal_(float("inf"))  # a query does not retrieve itself
        k = min(self.k, len(labels) - 1)
        neighbours = distances.topk(k, dim=1, largest=False).indices
        hits = (labels[neighbours] == labels[:, None]).any(dim=1)
        return hits.double().mean()
