"""Temperature scaling: T against scipy's bounded minimizer of the NLL, scores against their formulas."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from trainlab.calibration import calibration_scores, fit_temperature


def overconfident(seed=0, n=2000, classes=5, scale=4.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), labels] += 1.5  # right about 3 times in 4, then blown up: overconfident
    return torch.tensor(logits * scale), torch.tensor(labels)


def nll(logits, labels, temperature):
    return -log_softmax(logits / temperature, axis=1)[np.arange(len(labels)), labels].mean()


@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
def test_temperature_matches_scipys_bounded_minimizer(scale):
    logits, labels = overconfident(scale=scale)
    expected = minimize_scalar(
        lambda t: nll(logits.numpy(), labels.numpy(), t), bounds=(0.01, 100), method="bounded",
        options={"xatol": 1e-10},
    ).x  # fmt: skip
    assert fit_temperature(logits, labels) == pytest.approx(expected, rel=1e-5)
    assert (fit_temperature(logits, labels) > 1) == (scale > 1.5)


def ece_by_hand(probabilities, labels, bins):
    confidence, predicted = probabilities.max(axis=1), probabilities.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        members = (confidence > low) & (confidence <= high)
        if members.any():
            gap = abs((predicted[members] == labels[members]).mean() - confidence[members].mean())
            total += members.mean() * gap
    return total


def test_scores_are_ece_nll_and_accuracy_of_the_scaled_softmax():
    logits, labels = overconfident()
    temperature = 2.5
    scores = calibration_scores(logits, labels, temperature, bins=10)
    scaled = logits.numpy() / temperature
    probabilities = np.exp(log_softmax(scaled, axis=1))
    assert scores["nll"] == pytest.approx(nll(logits.numpy(), labels.numpy(), temperature), rel=1e-9)
    assert scores["accuracy"] == pytest.approx((scaled.argmax(1) == labels.numpy()).mean())
    assert scores["ece"] == pytest.approx(ece_by_hand(probabilities, labels.numpy(), 10), abs=1e-5)


def test_scaling_lowers_the_nll_and_the_ece_of_an_overconfident_model():
    logits, labels = overconfident(scale=4.0)
    before = calibration_scores(logits, labels)
    after = calibration_scores(logits, labels, fit_temperature(logits, labels))
    assert after["nll"] < before["nll"] and after["ece"] < before["ece"] / 2
    assert after["accuracy"] == before["accuracy"]
