"""Embedding losses on a batch's own pairs: triplet with batch-hard mining, contrastive, cosine embedding.

The model's output is the embedding; the class labels say which samples form positive pairs.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

Positive = Annotated[float, Field(gt=0.0)]
# Pairs and triplets are formed from class indices: mixed (soft) labels have no class to compare.
_FLAGS = {"task": "classification", "target": "class_index", "soft_targets": False}


def _pair_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(same class and not the same sample, different class), as (N, N) boolean masks."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


@LOSSES.register(
    "triplet",
    reference="Schroff, Kalenichenko & Philbin 2015, FaceNet, arXiv:1503.03832; batch-hard mining: "
    "Hermans, Beyer & Leibe 2017, In Defense of the Triplet Loss, arXiv:1703.07737",
    flags=_FLAGS,
)
class BatchHardTripletLoss(nn.Module):
    """Triplet loss with batch-hard mining: the farthest positive and nearest negative of each anchor.

    For each anchor: max(0, d(hardest positive) - d(hardest negative) + margin), averaged over the
    anchors that have both.

    Args:
        margin: Required gap between the negative and the positive distance.
    """

    def __init__(self, margin: Positive = 0.2):
        super().__init__()
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        distances = torch.cdist(embeddings, embeddings)
        positive, negative = _pair_masks(labels)
        hardest_positive = distances.masked_fill(~positive, float("-inf")).amax(dim=1)
        hardest_negative = distances.masked_fill(~negative, float("inf")).amin(dim=1)
        valid = positive.any(dim=1) & negative.any(dim=1)  # anchors with both kinds of partner
        if not valid.any():
            return embeddings.sum() * 0.0
        loss = (hardest_positive - hardest_negative + self.margin).clamp_min(0.0)
        return loss[valid].mean()


@LOSSES.register(
    "contrastive",
    reference="Hadsell, Chopra & LeCun 2006, Dimensionality Reduction by Learning an Invariant Mapping (CVPR)",
    flags=_FLAGS,
)
class ContrastiveLoss(nn.Module):
    """Contrastive loss over the batch's pairs: pull same-class pairs together, push others beyond the margin.

    Over all pairs: d^2 for same-class pairs, max(0, margin - d)^2 for others, halved and averaged.

    Args:
        margin: Distance beyond which a different-class pair costs nothing.
    """

    def __init__(self, margin: Positive = 1.0):
        super().__init__()
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # Squared distance from the Gram matrix: differentiable at d = 0, where cdist's gradient is not.
        squared = embeddings.pow(2).sum(1)
        d2 = (squared[:, None] + squared[None, :] - 2 * embeddings @ embeddings.T).clamp_min(0.0)
        positive, negative = _pair_masks(labels)
        hinge = (self.margin - (d2 + 1e-12).sqrt()).clamp_min(0.0).pow(2)
        loss = torch.where(positive, d2, torch.where(negative, hinge, torch.zeros_like(d2)))
        pairs = (positive | negative).sum().clamp_min(1)
        return 0.5 * loss.sum() / pairs


@LOSSES.register(
    "cosine_embedding",
    reference="https://pytorch.org/docs/stable/generated/torch.nn.CosineEmbeddingLoss.html",
    flags=_FLAGS,
)
class PairwiseCosineEmbeddingLoss(nn.Module):
    """Cosine embedding loss over the batch's pairs: 1 - cos for same class, max(0, cos - margin) otherwise.

    torch's cosine embedding loss over every pair of the batch, labelled +1 (same class) or -1.

    Args:
        margin: Cosine similarity below which a different-class pair costs nothing.
    """

    def __init__(self, margin: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0):
        super().__init__()
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        first, second = torch.triu_indices(len(labels), len(labels), offset=1, device=labels.device)
        pair_labels = torch.where(labels[first] == labels[second], 1.0, -1.0).to(embeddings.dtype)
        return F.cosine_embedding_loss(embeddings[first], embeddings[second], pair_labels, margin=self.margin)
