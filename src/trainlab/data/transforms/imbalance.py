"""Long-tailed versions of balanced classification datasets (Cui et al. 2019's exponential profile)."""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset


def long_tailed_counts(available: list[int], ratio: float, profile: str = "exponential") -> list[int]:
    """Samples to keep per class: n_c = n_max * ratio^(-c / (C - 1)) (exponential) or a half/half step.

    Class 0 is the head, the last class the tail; n_max is the head's available count, and no
    class keeps more than it has or fewer than one sample.
    """
    classes = len(available)
    head = available[0]
    counts = []
    for c in range(classes):
        if profile == "exponential":
            wanted = head * ratio ** (-c / max(classes - 1, 1))
        else:  # step: the first half keeps everything, the second half 1 / ratio of it
            wanted = head if c < classes / 2 else head / ratio
        counts.append(max(1, min(available[c], int(wanted))))
    return counts


def make_long_tailed(
    dataset: TensorDataset, num_classes: int, ratio: float, profile: str = "exponential", seed: int = 0
) -> TensorDataset:
    """A subset of ``dataset`` whose class counts follow :func:`long_tailed_counts` (seeded choice of samples)."""
    labels = dataset.tensors[1]
    available = torch.bincount(labels, minlength=num_classes).tolist()
    keep_counts = long_tailed_counts(available, ratio, profile)
    generator = torch.Generator().manual_seed(seed)
    kept = []
    for c, count in enumerate(keep_counts):
        members = torch.nonzero(labels == c).flatten()
        kept.append(members[torch.randperm(len(members), generator=generator)[:count]])
    index = torch.cat(kept).sort().values
    return TensorDataset(*(t[index] for t in dataset.tensors))
