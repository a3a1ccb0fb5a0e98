"""Chebyshev, Minkowski, Hamming, Jaccard and correlation distances against scipy.spatial.distance, within 1e-6."""

import numpy as np
import pytest
import torch
from scipy.spatial import distance

from trainlab import theory

TOLERANCE = 1e-6


def _pairs(seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=7), rng.normal(size=7)) for _ in range(5)]


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_minkowski_equals_scipy(p):
    for x, y in _pairs():
        assert (
            abs(
                theory.minkowski(torch.from_numpy(x), torch.from_numpy(y), p=p).item()
                - distance.minkowski(x, y, p)
            )
            < TOLERANCE
        )


def test_chebyshev_and_correlation_equal_scipy():
    for x, y in _pairs(1):
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        assert abs(theory.chebyshev(tx, ty).item() - distance.chebyshev(x, y)) < TOLERANCE
        assert abs(theory.correlation(tx, ty).item() - distance.correlation(x, y)) < TOLERANCE


def test_hamming_and_jaccard_equal_scipy_on_boolean_and_integer_vectors():
    rng = np.random.default_rng(2)
    for _ in range(10):
        x, y = rng.integers(0, 2, size=9).astype(bool), rng.integers(0, 2, size=9).astype(bool)
        assert (
            abs(theory.hamming(torch.from_numpy(x), torch.from_numpy(y)).item() - distance.hamming(x, y))
            < TOLERANCE
        )
        assert (
            abs(theory.jaccard(torch.from_numpy(x), torch.from_numpy(y)).item() - distance.jaccard(x, y))
            < TOLERANCE
        )
        a, b = rng.integers(0, 3, size=9), rng.integers(0, 3, size=9)
        assert (
            abs(theory.hamming(torch.from_numpy(a), torch.from_numpy(b)).item() - distance.hamming(a, b))
            < TOLERANCE
        )
    zeros = torch.zeros(4, dtype=torch.bool)
    assert theory.jaccard(zeros, zeros).item() == 0.0


def test_distances_broadcast_over_rows():
    x = torch.randn(4, 6, dtype=torch.float64)
    y = torch.randn(4, 6, dtype=torch.float64)
    rows = theory.minkowski(x, y, p=3)
    assert rows.shape == (4,)
    assert torch.allclose(rows[2], theory.minkowski(x[2], y[2], p=3))


def test_minkowski_rejects_p_below_one():
    with pytest.raises(ValueError, match="p must be at least 1"):
        theory.minkowski(torch.zeros(2), torch.ones(2), p=0.5)
