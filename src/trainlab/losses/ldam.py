"""LDAM loss (Cao et al. 2019): label-distribution-aware margins, larger for rarer classes."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES


@LOSSES.register(
    "ldam",
    reference="Cao, Wei, Gaidon, Arechiga & Ma 2019, Learning Imbalanced Datasets with Label-Distribution-Aware "
    "Margin Loss, arXiv:1906.07413",
    flags={"task": "classification", "target": "class_index"},
)
class LDAMLoss(nn.Module):
    """Cross-entropy with a margin C / n_j^(1/4) subtracted from the true class's logit (rare classes: wider).

    The loss is the cross-entropy of ``scale * (logits - margin_y at the true class)``, with the
    margins scaled so the rarest class gets ``max_margin``.

    Args:
        class_counts: Training samples per class; trainlab fills it in from the data.
        max_margin: The largest margin, given to the rarest class (0.5 in the paper).
        scale: Logit scale s (30 in the reference code, which normalises features).
    """

    margins: torch.Tensor

    def __init__(
        self,
        class_counts: list[int],
        max_margin: Annotated[float, Field(gt=0.0)] = 0.5,
        scale: Annotated[float, Field(gt=0.0)] = 30.0,
    ):
        super().__init__()
        margins = torch.tensor(class_counts, dtype=torch.float32).clamp_min(1).pow(-0.25)
        self.register_buffer("margins", margins * (max_margin / margins.max()))
        self.scale = scale

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        dense = F.one_hot(targets, logits.shape[1]).to(logits.dtype) if targets.dim() == 1 else targets
        shifted = logits - dense * self.margins.to(logits.dtype)
        return F.cross_entropy(self.scale * shifted, dense)
