"""Losses on the pairs of a batch: torch's margin ranking (order by target) and hinge embedding (distance by class)."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

_TORCH = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"


def _pairs(count: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    first, second = torch.triu_indices(count, count, offset=1, device=device)
    return first, second


@LOSSES.register(
    "margin_ranking",
    reference="Herbrich, Graepel & Obermayer 1999, Support Vector Learning for Ordinal Regression; "
    + _TORCH.format("MarginRankingLoss"),
    flags={"task": "regression", "target": "dense"},
)
class MarginRanking(nn.Module):
    """Margin ranking over the batch's pairs: max(0, −y (f_i − f_j) + margin), y = sign(y_i − y_j).

    The model learns to order samples by their target (a scalar score per sample: the first
    output); pairs with equal targets are skipped.

    Args:
        margin: How far apart a correctly ordered pair's scores must be to cost nothing.
    """

    def __init__(self, margin: Annotated[float, Field(ge=0.0)] = 0.0):
        super().__init__()
        self.margin = margin

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        scores = outputs.reshape(len(outputs), -1)[:, 0]
        values = targets.reshape(len(targets), -1)[:, 0]
        first, second = _pairs(len(scores), scores.device)
        order = torch.sign(values[first] - values[second])
        kept = order != 0
        return F.margin_ranking_loss(
            scores[first][kept], scores[second][kept], order[kept], margin=self.margin
        )


@LOSSES.register(
    "hinge_embedding",
    reference="Mobahi, Collobert & Weston 2009, Deep Learning from Temporal Coherence in Video; "
    + _TORCH.format("HingeEmbeddingLoss"),
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
class PairwiseHingeEmbedding(nn.Module):
    """Hinge embedding over the batch's pairs: distance d for same class, max(0, margin − d) otherwise.

    d is the Euclidean distance between two samples' outputs (the embedding); torch's hinge
    embedding loss over every pair of the batch, labelled +1 (same class) or −1.

    Args:
        margin: Distance beyond which a different-class pair costs nothing.
    """

    def __init__(self, margin: Annotated[float, Field(gt=0.0)] = 1.0):
        super().__init__()
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        first, second = _pairs(len(labels), labels.device)
        distances = (embeddings[first] - embeddings[second]).norm(dim=1)
        pair_labels = torch.where(labels[first] == labels[second], 1.0, -1.0).to(embeddings.dtype)
        return F.hinge_embedding_loss(distances, pair_labels, margin=self.margin)
