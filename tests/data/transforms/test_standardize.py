"""Standardizer: statistics and transform checked against scikit-learn's StandardScaler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from trainlab.data import Standardizer


def test_matches_scikit_learn_standard_scaler(inputs):
    flat = inputs.reshape(len(inputs), -1).double().numpy()
    reference = StandardScaler().fit(flat)
    scaler = Standardizer.fit(inputs)
    assert scaler.shape == (3, 5)
    np.testing.assert_allclose(scaler.mean.reshape(-1).numpy(), reference.mean_, rtol=1e-6)
    # scikit-learn also keeps a scale of 1 for zero-variance features.
    np.testing.assert_allclose(scaler.std.reshape(-1).numpy(), reference.scale_, rtol=1e-6)
    np.testing.assert_allclose(
        scaler(inputs).reshape(len(inputs), -1).numpy(), reference.transform(flat), rtol=1e-4, atol=1e-5
    )


def test_train_comes_out_centred_and_unit_scaled(inputs):
    out = Standardizer.fit(inputs)(inputs)
    assert torch.isfinite(out).all()
    assert out.mean(0).abs().max() < 1e-4
    std = out.std(0, unbiased=False)
    assert torch.allclose(std[1, 2], torch.tensor(0.0))
    std[1, 2] = 1.0
    assert torch.allclose(std, torch.ones_like(std), atol=1e-4)


def test_inverse_round_trips(inputs):
    scaler = Standardizer.fit(inputs)
    assert torch.allclose(scaler.inverse(scaler(inputs)), inputs, atol=1e-3)


def test_state_dict_round_trips_through_a_safe_torch_load(inputs, tmp_path):
    scaler = Standardizer.fit(inputs)
    torch.save(scaler.state_dict(), tmp_path / "scaler.pt")
    restored = Standardizer.from_state_dict(torch.load(tmp_path / "scaler.pt", weights_only=True))
    assert torch.equal(restored(inputs), scaler(inputs))
    from_info = Standardizer.from_state_dict(scaler.to_info())
    assert torch.equal(from_info.mean, scaler.mean) and torch.equal(from_info.std, scaler.std)


def test_load_state_dict_checks_the_shape(inputs):
    scaler = Standardizer.fit(inputs)
    with pytest.raises(ValueError, match="shape"):
        scaler.load_state_dict({"mean": torch.zeros(4), "std": torch.ones(4)})
    other = Standardizer(torch.zeros(3, 5), torch.ones(3, 5))
    other.load_state_dict(scaler.state_dict())
    assert torch.equal(other.mean, scaler.mean)


def test_rejects_non_positive_std():
    with pytest.raises(ValueError, match="positive"):
        Standardizer([0.0, 1.0], [1.0, 0.0])
