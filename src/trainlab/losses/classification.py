"""Classification losses on logits: cross-entropy, binary cross-entropy, negative log-likelihood."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.data.class_weights import class_weights
from trainlab.registry import LOSSES

UnitInterval = Annotated[float, Field(ge=0.0, lt=1.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
ClassWeights = (
    Literal["none", "inverse_frequency", "effective_number"] | list[Annotated[float, Field(ge=0.0)]]
)


def _weights(spec: ClassWeights, class_counts: list[int] | None, beta: float) -> torch.Tensor | None:
    """The per-class weight tensor for ``spec``: None, a named scheme fitted on the counts, or the list as given."""
    if isinstance(spec, list):
        return torch.tensor(spec, dtype=torch.float32)
    if spec == "none" or class_counts is None:
        return None
    return class_weights(class_counts, spec, beta=beta)


@LOSSES.register(
    "cross_entropy",
    aliases=("ce",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
    flags={"task": "classification", "target": "class_index"},
)
def cross_entropy(
    label_smoothing: UnitInterval = 0.0,
    class_weights: ClassWeights = "none",
    beta: Beta = 0.999,
    class_counts: list[int] | None = None,
) -> nn.Module:
    """Softmax cross-entropy on logits, with optional label smoothing (Szegedy et al. 2016) and class weights.

    Targets are class indices, or class probabilities (mixup and cutmix produce those).

    Args:
        label_smoothing: Mass moved from the true class to a uniform distribution.
        class_weights: ``inverse_frequency``, ``effective_number`` (Cui et al. 2019), or one weight per class.
        beta: The effective-number hyperparameter, used with ``class_weights: effective_number``.
        class_counts: Training samples per class; trainlab fills it in from the data.

    Returns:
        ``torch.nn.CrossEntropyLoss``.
    """
    return nn.CrossEntropyLoss(
        weight=_weights(class_weights, class_counts, beta), label_smoothing=label_smoothing
    )


class _BCEOnLogits(nn.BCEWithLogitsLoss):
    """``BCEWithLogitsLoss`` whose pos_weight may be one number for every output."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, pos_weight=None if self.pos_weight is None else self.pos_weight.to(input.dtype)
        )


@LOSSES.register(
    "bce",
    aliases=("binary_cross_entropy",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html",
    flags={"task": "classification", "target": "dense"},
)
def bce(
    pos_weight: Annotated[float, Field(gt=0.0)] | list[Annotated[float, Field(gt=0.0)]] | None = None,
) -> nn.Module:
    """Sigmoid binary cross-entropy on logits; multi-class labels become one-vs-rest targets.

    Args:
        pos_weight: Weight of the positive term, one number or one per output (n_negative / n_positive
            balances a rare positive class).

    Returns:
        ``torch.nn.BCEWithLogitsLoss``, numerically stable (log-sum-exp) form.
    """
    weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float32)
    return _BCEOnLogits(pos_weight=weight)


class LogSoftmaxNLL(nn.Module):
    """Negative log-likelihood of log-softmax outputs: the model returns logits, as every trainlab model does."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(F.log_softmax(logits, dim=1), targets)


@LOSSES.register(
    "nll",
    reference="https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
def nll() -> nn.Module:
    """Negative log-likelihood of the true class under log-softmax of the logits (CE split in two steps)."""
    return LogSoftmaxNLL()


class SoftmaxKLDivergence(nn.Module):
    """KL(target || softmax(logits)) averaged over the batch; class-index targets become one-hot."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.dim() == 1:
            targets = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
        return F.kl_div(F.log_softmax(logits, dim=1), targets, reduction="batchmean")


@LOSSES.register(
    "kl_div",
    reference="Kullback & Leibler 1951; https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html",
    flags={"task": "classification", "target": "class_index"},
)
def kl_div() -> nn.Module:
    """Kullback-Leibler divergence from the target distribution to softmax(logits) (batchmean)."""
    return SoftmaxKLDivergence()
