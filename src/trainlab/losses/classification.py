"""Classification losses: cross-entropy and binary cross-entropy on logits."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

UnitInterval = Annotated[float, Field(ge=0.0, lt=1.0)]


@LOSSES.register(
    "cross_entropy",
    aliases=("ce",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
    flags={"task": "classification", "target": "class_index"},
)
def cross_entropy(label_smoothing: UnitInterval = 0.0) -> nn.Module:
    """Softmax cross-entropy on logits, with optional label smoothing (Szegedy et al. 2016).

    Args:
        label_smoothing: Mass moved from the true class to a uniform distribution.

    Returns:
        ``torch.nn.CrossEntropyLoss``.
    """
    return nn.CrossEntropyLoss(label_smoothing=label_smoothing)


@LOSSES.register(
    "bce",
    aliases=("binary_cross_entropy",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html",
    flags={"task": "classification", "target": "dense"},
)
def bce() -> nn.Module:
    """Sigmoid binary cross-entropy on logits; multi-class labels become one-vs-rest targets.

    Returns:
        ``torch.nn.BCEWithLogitsLoss``, numerically stable (log-sum-exp) form.
    """
    return nn.BCEWithLogitsLoss()
