"""Online hard example mining (Shrivastava, Gupta & Girshick 2016): back-propagate only a batch's hardest samples.

Most samples of a well-trained batch are easy and contribute little gradient; OHEM computes every
sample's loss, keeps the ``keep`` share with the largest losses (at least ``min_kept``) and
averages those, so each step is spent on what the model still gets wrong. The selection is a
top-k of the detached losses, done on the device without a host sync.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES


@LOSSES.register(
    "ohem",
    reference="Shrivastava, Gupta & Girshick 2016, Training Region-based Object Detectors with Online Hard "
    "Example Mining, arXiv:1604.03540",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
class OHEMLoss(nn.Module):
    """Cross-entropy (or focal loss) averaged over the hardest ``keep`` share of each batch's samples.

    Args:
        keep: Share of the batch's samples kept, by largest loss (0.25: the hardest quarter).
        min_kept: Keep at least this many samples, so a small batch still has a gradient.
        criterion: The per-sample loss: ``cross_entropy`` or ``focal``.
        gamma: The focal loss's focusing parameter (with ``criterion: focal``).
        label_smoothing: Cross-entropy's label smoothing (with ``criterion: cross_entropy``).
    """

    def __init__(
        self,
        keep: Annotated[float, Field(gt=0.0, le=1.0)] = 0.25,
        min_kept: Annotated[int, Field(ge=1)] = 8,
        criterion: Literal["cross_entropy", "focal"] = "cross_entropy",
        gamma: Annotated[float, Field(ge=0.0)] = 2.0,
        label_smoothing: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0,
    ):
        super().__init__()
        self.keep, self.min_kept, self.criterion = keep, min_kept, criterion
        self.gamma, self.label_smoothing = gamma, label_smoothing

    def per_sample(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Each sample's loss, shape ``(N,)``."""
        if self.criterion == "focal":
            log_probs = F.log_softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)
            return -((1.0 - log_probs.exp()).clamp_min(0.0).pow(self.gamma)) * log_probs
        return F.cross_entropy(logits, targets, reduction="none", label_smoothing=self.label_smoothing)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        losses = self.per_sample(logits, targets.long())
        kept = min(len(losses), max(self.min_kept, math.ceil(self.keep * len(losses))))
        hardest = losses.detach().topk(kept).indices
        return losses[hardest].mean()
