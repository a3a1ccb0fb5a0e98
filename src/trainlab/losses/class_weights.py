"""Per-class loss weights for imbalanced data: inverse frequency and effective number of samples."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trainlab.metrics.functional import FUNCTIONS


@FUNCTIONS.register(
    reference="King & Zeng 2001, Logistic Regression in Rare Events Data; scikit-learn "
    "compute_class_weight('balanced')"
)
def inverse_frequency_weights(class_counts: Sequence[int]) -> torch.Tensor:
    """Inverse-frequency class weights w_c = N / (C * n_c); balanced classes get weight 1 (sklearn's 'balanced').

    A class with no samples gets weight 0: it never appears in a batch anyway.

    Args:
        class_counts: Training samples per class, n_c.

    Returns:
        A float32 tensor of C weights.
    """
    counts = torch.as_tensor(list(class_counts), dtype=torch.float64)
    weights = torch.where(counts > 0, counts.sum() / (len(counts) * counts.clamp_min(1)), 0.0)
    return weights.float()


@FUNCTIONS.register(
    reference="Cui, Jia, Lin, Song & Belongie 2019, Class-Balanced Loss Based on Effective "
    "Number of Samples, arXiv:1901.05555"
)
def effective_number_weights(class_counts: Sequence[int], beta: float = 0.999) -> torch.Tensor:
    """Effective-number class weights (1 - beta) / (1 - beta^n_c), normalised to sum to the number of classes.

    Cui et al. 2019, Class-Balanced Loss Based on Effective Number of Samples, arXiv:1901.05555, Eq. 4-5.
    beta = 0 gives equal weights; beta -> 1 approaches inverse frequency.

    Args:
        class_counts: Training samples per class, n_c (a class with none counts as one).
        beta: The effective-number hyperparameter in [0, 1).

    Returns:
        A float32 tensor of C weights.
    """
    counts = torch.as_tensor(list(class_counts), dtype=torch.float64).clamp_min(1)
    weights = (1.0 - beta) / (1.0 - beta**counts)
    return (weights * len(counts) / weights.sum()).float()


def class_weights(class_counts: Sequence[int], scheme: str, beta: float = 0.999) -> torch.Tensor:
    """Weights by scheme name: ``inverse_frequency`` or ``effective_number`` (which uses ``beta``)."""
    if scheme == "inverse_frequency":
        return inverse_frequency_weights(class_counts)
    if scheme == "effective_number":
        return effective_number_weights(class_counts, beta)
    raise ValueError(f"unknown class-weight scheme {scheme!r}; use inverse_frequency or effective_number")


def class_counts(labels: torch.Tensor, num_classes: int) -> list[int]:
    """Samples per class in ``labels``."""
    return torch.bincount(labels.long(), minlength=num_classes).tolist()
