"""H(p, q) = H(p) + KL(p || q), and minimizing cross-entropy finds the maximum-likelihood frequencies."""

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy

from trainlab import theory


def test_decompose_matches_scipy_and_the_gap_is_round_off():
    generator = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(6, 4, generator=generator, dtype=torch.float64), 1)
    q = torch.softmax(torch.randn(6, 4, generator=generator, dtype=torch.float64), 1)
    result = theory.decompose(p, q)
    expected_kl = np.mean([scipy_entropy(a, b) for a, b in zip(p.numpy(), q.numpy(), strict=True)])
    assert result["kl_divergence"] == pytest.approx(expected_kl, abs=1e-12)
    assert result["entropy"] == pytest.approx(np.mean([scipy_entropy(a) for a in p.numpy()]), abs=1e-12)
    assert result["gap"] < 1e-12


def test_minimizing_cross_entropy_recovers_the_class_frequencies():
    labels = torch.tensor([0] * 5 + [1] * 3 + [2] * 2)
    result = theory.categorical_fit(labels, num_classes=3)
    assert result["frequencies"] == pytest.approx([0.5, 0.3, 0.2])
    assert result["max_difference"] < 1e-6
    assert result["cross_entropy"] == pytest.approx(-result["log_likelihood_at_frequencies"] / 10, abs=1e-6)


def test_identities_on_a_trained_run(tmp_path):
    import trainlab

    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 8},
        "train": {"steps": 20, "batch_size": 32, "threads": 1},
        "out": str(tmp_path / "run"),
    }
    run = trainlab.fit(recipe).run_dir
    result = theory.run_identities(run, split="test", smoothing=0.1)
    assert result["marginal"]["gap"] < 1e-9 and result["per_sample"]["gap"] < 1e-9
    assert result["per_sample"]["entropy"] > 0
    likelihood = result["likelihood"]
    assert likelihood["mean_cross_entropy"] == pytest.approx(
        likelihood["negative_log_likelihood_per_sample"], rel=1e-6
    )
    assert result["categorical_fit"]["max_difference"] < 1e-6
