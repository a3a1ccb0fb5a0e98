"""Classification losses on logits: cross-entropy, binary cross-entropy, negative log-likelihood."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.losses.class_weights import class_weights as weights_by_scheme
from trainlab.registry import LOSSES

UnitInterval = Annotated[float, Field(ge=0.0, lt=1.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
ClassWeights = (
    Literal["none", "inverse_frequency", "effective_number"] | list[Annotated[float, Field(ge=0.0)]]
)


def _class_weight_tensor(
    spec: ClassWeights, class_counts: list[int] | None, beta: float
) -> torch.Tensor | None:
    """None, the weights of a named scheme fitted on the counts, or the list as given.

    Raises:
        ConfigError: a named scheme without class counts to fit it on.
    """
    if isinstance(spec, list):
        return torch.tensor(spec, dtype=torch.float32)
    if spec == "none":
        return None
    if class_counts is None:
        raise ConfigError(
            [
                Problem(
                    "class_weights",
                    f"'{spec}' is computed from the training samples per class, which this data does not "
                    "give (trainlab counts them for tensor classification data); pass class_counts, or "
                    "give one weight per class",
                )
            ]
        )
    return weights_by_scheme(class_counts, spec, beta=beta)


@LOSSES.register(
    "cross_entropy",
    aliases=("ce",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
    flags={"task": "classification", "target": "class_index"},
)
class CrossEntropy(nn.CrossEntropyLoss):
    """Softmax cross-entropy on logits, with optional label smoothing (Szegedy et al. 2016) and class weights.

    Targets are class indices, or class probabilities (mixup and cutmix produce those). The class
    weights are cast to the logits' dtype, so float64 and half-precision logits work.

    With class weights w and per-sample losses l_i, a batch of N samples costs
    ``sum_i w_{y_i} l_i / sum_i w_{y_i}`` (``normalize_by: weights``, torch's ``CrossEntropyLoss``)
    or ``sum_i w_{y_i} l_i / N`` (``normalize_by: batch``, the mean of the weighted losses, as in
    Cui et al. 2019 and ``class_balanced``). The first keeps the loss on the scale of the unweighted
    one whatever the batch's classes; with the second, a batch of rare classes costs more, so the
    weights also scale the step. Class-probability targets are always divided by N (as in torch).

    Args:
        label_smoothing: Mass moved from the true class to a uniform distribution.
        class_weights: ``inverse_frequency``, ``effective_number`` (Cui et al. 2019), or one weight per class.
        beta: The effective-number hyperparameter, used with ``class_weights: effective_number``.
        normalize_by: What the weighted sum of a batch's losses is divided by: ``weights`` (their sum)
            or ``batch`` (the number of samples); see above.
        class_counts: Training samples per class; trainlab fills it in from the data.
        temperature: The logits are divided by it before the softmax (Hinton et al. 2015's T). Below 1
            sharpens, which a cosine head needs (its outputs lie in [-1, 1]: 1/16 scales them by 16, as
            NormFace's s); above 1 softens.
    """

    def __init__(
        self,
        label_smoothing: UnitInterval = 0.0,
        class_weights: ClassWeights = "none",
        beta: Beta = 0.999,
        class_counts: list[int] | None = None,
        normalize_by: Literal["weights", "batch"] = "weights",
        temperature: Annotated[float, Field(gt=0.0)] = 1.0,
    ):
        weight = _class_weight_tensor(class_weights, class_counts, beta)
        super().__init__(weight=weight, label_smoothing=label_smoothing)
        self.normalize_by = normalize_by
        self.temperature = temperature

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.temperature != 1.0:
            input = input / self.temperature
        weight = None if self.weight is None else self.weight.to(input.dtype)
        if weight is None or self.normalize_by == "weights" or target.dim() == input.dim():
            return F.cross_entropy(input, target, weight=weight, label_smoothing=self.label_smoothing)
        total = F.cross_entropy(
            input, target, weight=weight, label_smoothing=self.label_smoothing, reduction="sum"
        )
        return total / target.shape[0]


@LOSSES.register(
    "bce",
    aliases=("binary_cross_entropy",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html",
    flags={"task": "classification", "target": "dense"},
)
class BinaryCrossEntropy(nn.BCEWithLogitsLoss):
    """Sigmoid binary cross-entropy on logits; multi-class labels become one-vs-rest targets.

    The numerically stable (log-sum-exp) form of ``torch.nn.BCEWithLogitsLoss``; ``pos_weight``
    may be one number for every output.

    Args:
        pos_weight: Weight of the positive term, one number or one per output (n_negative / n_positive
            balances a rare positive class).
    """

    def __init__(
        self,
        pos_weight: Annotated[float, Field(gt=0.0)] | list[Annotated[float, Field(gt=0.0)]] | None = None,
    ):
        weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=torch.float32)
        super().__init__(pos_weight=weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, pos_weight=None if self.pos_weight is None else self.pos_weight.to(input.dtype)
        )


@LOSSES.register(
    "nll",
    reference="https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
class LogSoftmaxNLL(nn.Module):
    """Negative log-likelihood of the true class under log-softmax of the logits (CE split in two steps).

    The model returns logits, as every trainlab model does, so the log-softmax is part of the loss.
    """

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(F.log_softmax(logits, dim=1), targets)


@LOSSES.register(
    "kl_div",
    reference="Kullback & Leibler 1951; https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html",
    flags={"task": "classification", "target": "class_index"},
)
class SoftmaxKLDivergence(nn.Module):
    """Kullback-Leibler divergence from the target distribution to softmax(logits) (batchmean).

    Class-index targets become one-hot distributions.
    """

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.dim() == 1:
            targets = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
        return F.kl_div(F.log_softmax(logits, dim=1), targets, reduction="batchmean")
