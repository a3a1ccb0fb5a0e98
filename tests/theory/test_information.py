"""Information measures against scipy.stats.entropy and scikit-learn's mutual information, within 1e-6."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from sklearn.feature_selection._mutual_info import _compute_mi_cc
from sklearn.metrics import mutual_info_score

from trainlab import theory
from trainlab.registry import get_registry

TOLERANCE = 1e-6


def _joint(seed=0, rows=4, columns=5):
    generator = torch.Generator().manual_seed(seed)
    table = torch.rand(rows, columns, generator=generator, dtype=torch.float64)
    return table / table.sum()


def test_self_information_is_minus_log_p_in_nats_and_bits():
    p = torch.tensor([0.5, 0.25, 1.0], dtype=torch.float64)
    assert torch.allclose(
        theory.self_information(p), torch.tensor([math.log(2), math.log(4), 0.0], dtype=torch.float64)
    )
    assert torch.allclose(
        theory.self_information(p, base=2), torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    )


def test_joint_conditional_entropy_and_mutual_information_equal_scipy():
    joint = _joint()
    rows, columns = joint.sum(1).numpy(), joint.sum(0).numpy()
    h_xy = scipy_entropy(joint.numpy().ravel())
    assert abs(theory.joint_entropy(joint).item() - h_xy) < TOLERANCE
    assert abs(theory.conditional_entropy(joint).item() - (h_xy - scipy_entropy(rows))) < TOLERANCE
    # I(X;Y) = KL(p(x,y) || p(x)p(y)): an independent route to the same number.
    product = np.outer(rows, columns).ravel()
    assert (
        abs(theory.mutual_information(joint).item() - scipy_entropy(joint.numpy().ravel(), product))
        < TOLERANCE
    )
    assert (
        abs(
            theory.mutual_information(joint, base=2).item()
            - scipy_entropy(joint.numpy().ravel(), product, base=2)
        )
        < TOLERANCE
    )


def test_discrete_mutual_information_of_samples_equals_sklearn():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=500)
    y = (x + rng.integers(0, 3, size=500)) % 5
    joint = theory.joint_distribution(torch.from_numpy(x), torch.from_numpy(y))
    assert abs(theory.mutual_information(joint).item() - mutual_info_score(x, y)) < TOLERANCE


def test_histogram_estimate_equals_sklearn_on_the_binned_samples():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    y = x + 0.5 * rng.normal(size=1000)
    bins = 8
    expected = mutual_info_score(_numpy_bins(x, bins), _numpy_bins(y, bins))
    estimate = theory.mutual_information_histogram(torch.from_numpy(x), torch.from_numpy(y), bins=bins)
    assert abs(estimate.item() - expected) < TOLERANCE


def _numpy_bins(values, bins):
    edges = np.histogram_bin_edges(values, bins=bins)
    return np.clip(np.digitize(values, edges[1:-1]), 0, bins - 1)


def test_knn_estimate_equals_sklearns_ksg_and_the_gaussian_formula():
    rng = np.random.default_rng(2)
    rho = 0.8
    x = rng.normal(size=800)
    y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=800)
    estimate = theory.mutual_information_knn(torch.from_numpy(x), torch.from_numpy(y), k=3).item()
    assert abs(estimate - _compute_mi_cc(x, y, 3)) < TOLERANCE
    assert estimate == pytest.approx(-0.5 * math.log(1 - rho**2), abs=0.05)


def test_new_measures_are_catalog_functions_with_references():
    functions = get_registry("function")
    for name in (
        "self_information",
        "joint_entropy",
        "conditional_entropy",
        "mutual_information",
        "mutual_information_histogram",
        "mutual_information_knn",
        "chebyshev",
        "minkowski",
        "hamming",
        "jaccard",
        "correlation",
    ):
        assert functions.get(name).reference
