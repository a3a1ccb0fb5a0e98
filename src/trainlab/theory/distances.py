"""Distances beside euclidean, manhattan, cosine and mahalanobis: Chebyshev, Minkowski, Hamming, Jaccard, correlation.

As in :mod:`trainlab.metrics.functional`, each is between the rows (last dimension) of ``x`` and
``y``, broadcast, and follows ``scipy.spatial.distance``'s definition.
"""

from __future__ import annotations

import torch

from trainlab.metrics.functional import FUNCTIONS, cosine

_SCIPY = "https://docs.scipy.org/doc/scipy/reference/generated/scipy.spatial.distance.{}.html"


@FUNCTIONS.register(reference=_SCIPY.format("chebyshev"))
def chebyshev(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Chebyshev (L-infinity) distance max |x - y|."""
    return (x - y).abs().amax(-1)


@FUNCTIONS.register(reference=_SCIPY.format("minkowski"))
def minkowski(x: torch.Tensor, y: torch.Tensor, p: float = 2.0) -> torch.Tensor:
    """Minkowski distance (sum |x - y|^p)^(1/p), p >= 1 (1 is manhattan, 2 euclidean)."""
    if p < 1:
        raise ValueError(f"minkowski: p must be at least 1 for a distance, got {p}")
    return torch.linalg.vector_norm(x - y, ord=p, dim=-1)


@FUNCTIONS.register(reference=_SCIPY.format("hamming"))
def hamming(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Hamming distance: the fraction of positions where x and y differ."""
    return (x != y).double().mean(-1)


@FUNCTIONS.register(reference=_SCIPY.format("jaccard"))
def jaccard(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Jaccard distance of boolean vectors: |x xor y| / |x or y| (0 when both are all false)."""
    x, y = x.bool(), y.bool()
    # Where both are all false, no position differs, so 0 / 1 gives scipy's 0.
    return (x ^ y).sum(-1).double() / (x | y).sum(-1).clamp_min(1)


@FUNCTIONS.register(reference=_SCIPY.format("correlation"))
def correlation(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Correlation distance 1 - Pearson correlation: the cosine distance of the centred vectors."""
    x_centred = x - x.mean(-1, keepdim=True)
    y_centred = y - y.mean(-1, keepdim=True)
    return cosine(x_centred, y_centred)
