"""Synthetic datasets: deterministic per seed, and each has the geometry its definition promises."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_moons

from trainlab.registry import DATASETS

SYNTHETIC = ["spirals", "moons", "xor", "regression"]


def build(name: str, **options):
    return DATASETS.get(name).build(**options)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_data_other_seed_other_data(name):
    first, again, other = build(name, seed=1), build(name, seed=1), build(name, seed=2)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    assert not np.array_equal(first.x_train, other.x_train)
    assert first.x_train.dtype == np.float32 and first.x_test is None


@pytest.mark.parametrize("name", ["spirals", "moons", "xor"])
def test_two_classes_in_the_plane(name):
    data = build(name, n_samples=300)
    assert data.x_train.shape == (300, 2) and data.num_classes == 2
    assert set(np.unique(data.y_train)) == {0, 1}


def test_spirals_are_point_symmetric_arms_of_radius_one():
    data = build("spirals", n_samples=400, noise=0.0, turns=2.0)
    radius = np.linalg.norm(data.x_train, axis=1)
    assert radius.max() <= 1.0 + 1e-6
    assert np.bincount(data.y_train).tolist() == [200, 200]
    # Noise-free, a point of arm 0 at angle t has radius t / (2 pi turns): the polar angle agrees.
    arm = data.x_train[data.y_train == 0].astype(np.float64)
    angle = np.arctan2(arm[:, 1], arm[:, 0])
    unwrapped = np.linalg.norm(arm, axis=1) * 2 * np.pi * 2.0
    np.testing.assert_allclose(np.cos(angle), np.cos(unwrapped), atol=1e-4)


def test_moons_match_scikit_learn():
    data = build("moons", n_samples=200, noise=0.2, seed=5)
    x, y = make_moons(n_samples=200, noise=0.2, random_state=5)
    np.testing.assert_array_equal(data.x_train, x.astype(np.float32))
    np.testing.assert_array_equal(data.y_train, y)


def test_noise_free_xor_labels_follow_the_sign_rule():
    data = build("xor", n_samples=500, noise=0.0)
    expected = (data.x_train[:, 0] > 0) != (data.x_train[:, 1] > 0)
    np.testing.assert_array_equal(data.y_train, expected.astype(np.int64))


def test_regression_best_fit_recovers_the_weights_and_the_noise():
    data = build("regression", n_samples=5000, n_features=6, noise=0.3)
    x, y = data.x_train.astype(np.float64), data.y_train.astype(np.float64)
    weights, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(weights, data.info["true_weights"], atol=0.02)
    residual = y - x @ weights
    assert abs(residual.std() - 0.3) < 0.02
    assert data.task == "regression" and data.y_train.shape == (5000,)


def test_options_are_validated():
    from trainlab.errors import ConfigError

    with pytest.raises(ConfigError, match="n_samples"):
        build("xor", n_samples=3)
    with pytest.raises(ConfigError, match="noise"):
        build("moons", noise=-0.1)
