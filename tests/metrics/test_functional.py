"""Information-theory and distance functions against scipy."""

import numpy as np
import pytest
import torch
from scipy.spatial import distance
from scipy.stats import entropy as scipy_entropy

from trainlab import metrics


def _distributions():
    generator = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(5, 6, generator=generator, dtype=torch.float64), 1)
    q = torch.softmax(torch.randn(5, 6, generator=generator, dtype=torch.float64), 1)
    return p, q


def test_entropy_cross_entropy_kl_and_js_equal_scipy():
    p, q = _distributions()
    for row in range(5):
        pn, qn = p[row].numpy(), q[row].numpy()
        assert metrics.entropy(p[row]).item() == pytest.approx(scipy_entropy(pn))
        assert metrics.entropy(p[row], base=2).item() == pytest.approx(scipy_entropy(pn, base=2))
        assert metrics.kl_divergence(p[row], q[row]).item() == pytest.approx(scipy_entropy(pn, qn))
        assert metrics.cross_entropy(p[row], q[row]).item() == pytest.approx(
            scipy_entropy(pn) + scipy_entropy(pn, qn)
        )
        assert metrics.js_divergence(p[row], q[row]).item() == pytest.approx(
            distance.jensenshannon(pn, qn) ** 2
        )


def test_zero_probabilities_contribute_nothing():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    assert metrics.entropy(p).item() == pytest.approx(np.log(2))


def test_distances_equal_scipy():
    generator = torch.Generator().manual_seed(1)
    x, y = (
        torch.randn(4, generator=generator, dtype=torch.float64),
        torch.randn(4, generator=generator, dtype=torch.float64),
    )
    samples = torch.randn(50, 4, generator=generator, dtype=torch.float64)
    covariance = torch.cov(samples.T)
    assert metrics.euclidean(x, y).item() == pytest.approx(distance.euclidean(x, y))
    assert metrics.manhattan(x, y).item() == pytest.approx(distance.cityblock(x, y))
    assert metrics.cosine(x, y).item() == pytest.approx(distance.cosine(x, y))
    expected = distance.mahalanobis(x, y, np.linalg.inv(covariance.numpy()))
    assert metrics.mahalanobis(x, y, covariance).item() == pytest.approx(expected)


def test_every_function_is_registered_with_a_reference():
    for entry in metrics.FUNCTIONS:
        assert entry.description and entry.reference
