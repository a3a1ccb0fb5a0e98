"""Synthetic 2-D and regression datasets: spirals, moons, xor, regression, deterministic for a seed."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from trainlab.data.sources.raw import RawData
from trainlab.registry import DATASETS

# At least a handful per class, so that test and validation splits can both be stratified.
SampleCount = Annotated[int, Field(ge=20)]
NoiseScale = Annotated[float, Field(ge=0)]
Seed = Annotated[int, Field(ge=0)]


def _two_class_points(x: np.ndarray, y: np.ndarray, info: dict) -> RawData:
    return RawData(
        x_train=x.astype(np.float32),
        y_train=y.astype(np.int64),
        task="classification",
        input_shape=(2,),
        num_classes=2,
        class_names=["0", "1"],
        info=info,
    )


@DATASETS.register(
    "spirals",
    reference="Lang & Witbrock, Learning to Tell Two Spirals Apart, Connectionist Models Summer School 1988",
    flags={"task": "classification", "input": "vector"},
)
def spirals(
    n_samples: SampleCount = 1000,
    noise: NoiseScale = 0.05,
    turns: Annotated[float, Field(gt=0, le=10)] = 2.0,
    seed: Seed = 0,
) -> RawData:
    """Two interleaved spirals in the plane, one per class: the classic hard case for shallow nets.

    Points on arm 0 are ``r (cos t, sin t)`` with ``r = t / (2 pi turns)``, so the arm grows from
    the origin to radius 1; arm 1 is arm 0 rotated by 180 degrees. Drawing ``t`` as
    ``2 pi turns sqrt(u)`` with ``u`` uniform spreads the points evenly along the arm's length
    instead of crowding them at the centre.

    Args:
        n_samples: Number of points, split evenly between the two classes.
        noise: Standard deviation of Gaussian noise added to each coordinate (arms are about
            ``0.5 / turns`` apart, so noise near that blurs the classes into each other).
        turns: Revolutions of each arm.
        seed: Seed of the generator; the same seed gives the same points.

    Returns:
        RawData of ``(N, 2)`` points without a test split.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % 2
    angle = 2 * np.pi * turns * np.sqrt(rng.uniform(size=n_samples))
    radius = angle / (2 * np.pi * turns)
    sign = np.where(labels == 0, 1.0, -1.0)
    points = sign[:, None] * radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points += rng.normal(scale=noise, size=points.shape)
    order = rng.permutation(n_samples)
    return _two_class_points(
        points[order], labels[order], {"generator": "spirals", "turns": turns, "noise": noise, "seed": seed}
    )


@DATASETS.register(
    "moons",
    reference="https://scikit-learn.org/stable/modules/generated/sklearn.datasets.make_moons.html",
    flags={"task": "classification", "input": "vector"},
)
def moons(n_samples: SampleCount = 1000, noise: NoiseScale = 0.1, seed: Seed = 0) -> RawData:
    """Two interleaving half circles (scikit-learn ``make_moons``): not linearly separable.

    Args:
        n_samples: Number of points, split evenly between the two classes.
        noise: Standard deviation of Gaussian noise added to each coordinate.
        seed: Seed passed to scikit-learn as ``random_state``.

    Returns:
        RawData of ``(N, 2)`` points without a test split.
    """
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _two_class_points(
        points, labels, {"generator": "sklearn.datasets.make_moons", "noise": noise, "seed": seed}
    )


@DATASETS.register(
    "xor",
    reference="Minsky & Papert, Perceptrons, MIT Press 1969 (XOR is not linearly separable)",
    flags={"task": "classification", "input": "vector"},
)
def xor(n_samples: SampleCount = 1000, noise: NoiseScale = 0.05, seed: Seed = 0) -> RawData:
    """2-D XOR: points uniform in the square [-1, 1]^2, labelled 1 where the coordinates' signs differ.

    Args:
        n_samples: Number of points.
        noise: Standard deviation of Gaussian noise added to the points after labelling, so that
            points near the axes may sit on the wrong side.
        seed: Seed of the generator.

    Returns:
        RawData of ``(N, 2)`` points without a test split.
    """
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    labels = (points[:, 0] > 0) != (points[:, 1] > 0)
    points += rng.normal(scale=noise, size=points.shape)
    return _two_class_points(points, labels, {"generator": "xor", "noise": noise, "seed": seed})


@DATASETS.register(
    "regression",
    reference="Linear-Gaussian model y = x.w + noise; Bishop, Pattern Recognition and Machine Learning, sec. 3.1",
    flags={"task": "regression", "input": "vector"},
)
def regression(
    n_samples: SampleCount = 1000,
    n_features: Annotated[int, Field(ge=1, le=4096)] = 8,
    noise: NoiseScale = 0.1,
    seed: Seed = 0,
) -> RawData:
    """Noisy linear regression with a scalar target whose best achievable MSE is ``noise**2``.

    Inputs are standard normal; the true weights are drawn from ``N(0, 1/n_features)`` so the
    noise-free target has variance about 1 whatever the width, which keeps losses comparable
    across ``n_features``. The true weights are kept in ``info["true_weights"]``.

    Args:
        n_samples: Number of samples.
        n_features: Number of input features.
        noise: Standard deviation of the Gaussian noise added to the target.
        seed: Seed of the generator (draws the weights, the inputs and the noise).

    Returns:
        RawData with ``(N, n_features)`` inputs and ``(N,)`` targets, without a test split.
    """
    rng = np.random.default_rng(seed)
    weights = rng.normal(scale=1.0 / np.sqrt(n_features), size=n_features)
    inputs = rng.normal(size=(n_samples, n_features))
    targets = inputs @ weights + rng.normal(scale=noise, size=n_samples)
    return RawData(
        x_train=inputs.astype(np.float32),
        y_train=targets.astype(np.float32),
        task="regression",
        input_shape=(n_features,),
        info={"generator": "linear-gaussian", "noise": noise, "seed": seed, "true_weights": weights.tolist()},
    )
