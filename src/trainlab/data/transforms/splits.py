"""Seeded hold-out splits, stratified by class so every split sees the classes in the same proportions."""

from __future__ import annotations

import numpy as np

# Independent random streams per purpose: carving the test split and then the validation split
# with the same split_seed must not reuse one sequence of draws for both.
TEST_STREAM = 0
VAL_STREAM = 1


def held_out_count(n: int, fraction: float) -> int:
    """How many of ``n`` samples a ``fraction`` holds out: rounded, and at least one when ``fraction > 0``."""
    if fraction <= 0 or n == 0:
        return 0
    return max(1, round(fraction * n))


def split_indices(
    n: int, fraction: float, *, seed: int, stream: int = 0, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into kept and held-out indices, reproducibly for ``(seed, stream)``.

    With ``labels``, the split is stratified as in scikit-learn's ``StratifiedShuffleSplit``:
    each class holds out ``fraction`` of its members, rounded so that the per-class counts add up
    to :func:`held_out_count` (largest-remainder rounding). A class is never emptied from the
    kept side, so a class with a single member stays there.

    Args:
        n: Number of samples.
        fraction: Share of the samples to hold out, in ``[0, 1)``.
        seed: The user's split seed; the same seed gives the same split on every machine.
        stream: Which purpose the split serves (:data:`TEST_STREAM`, :data:`VAL_STREAM`).
        labels: Integer class labels of length ``n`` to stratify by, or None for a plain shuffle.

    Returns:
        ``(kept, held_out)``: sorted index arrays, so each split keeps the source's order.
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    rng = np.random.default_rng([seed, stream])
    total = held_out_count(n, fraction)
    if labels is None:
        held = rng.permutation(n)[:total]
    else:
        held = _stratified_held_out(np.asarray(labels).astype(np.int64, copy=False), total, fraction, rng)
    mask = np.zeros(n, dtype=bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _stratified_held_out(
    labels: np.ndarray, total: int, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    classes, counts = np.unique(labels, return_counts=True)
    quotas = fraction * counts
    taken = np.floor(quotas).astype(np.int64)
    # Every class keeps at least one member on the kept side (a class with one member keeps it).
    ceiling = np.maximum(counts - 1, 0)
    taken = np.minimum(taken, ceiling)
    # Hand the remaining samples to the classes whose quotas were rounded down the most; the
    # stable sort breaks ties by class order, so the allocation does not depend on the seed.
    for index in np.argsort(-(quotas - taken), kind="stable"):
        if taken.sum() >= total:
            break
        if taken[index] < ceiling[index]:
            taken[index] += 1
    held = [
        rng.permutation(np.flatnonzero(labels == label))[:count]
        for label, count in zip(classes, taken, strict=True)
    ]
    return np.concatenate(held) if held else np.empty(0, dtype=np.int64)
