"""MinMaxScaler against scikit-learn's, and data.scaling: minmax fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler as SklearnMinMaxScaler

import trainlab
from trainlab.data import MinMaxScaler, load_data
from trainlab.errors import ConfigError


def test_matches_scikit_learn_min_max_scaler(inputs):
    flat = inputs.reshape(len(inputs), -1).double().numpy()
    reference = SklearnMinMaxScaler().fit(flat)
    scaler = MinMaxScaler.fit(inputs)
    assert scaler.shape == (3, 5)
    np.testing.assert_allclose(scaler.minimum.reshape(-1).numpy(), reference.data_min_, rtol=1e-6)
    scaled = scaler(inputs).reshape(len(inputs), -1).numpy()
    np.testing.assert_allclose(scaled, reference.transform(flat), rtol=1e-5, atol=1e-5)
    assert scaled.min() == pytest.approx(0.0, abs=1e-6) and scaled.max() == pytest.approx(1.0, abs=1e-6)
    assert np.all(scaled[:, 1 * 5 + 2] == 0.0)


def test_values_outside_the_training_range_are_not_clipped(inputs):
    scaler = MinMaxScaler.fit(inputs)
    beyond = scaler(inputs.max(dim=0).values + 1.0)
    assert torch.all(beyond[torch.arange(3)[:, None], torch.arange(5)] >= 1.0)
    torch.testing.assert_close(scaler.inverse(scaler(inputs)), inputs, rtol=1e-5, atol=1e-4)


def test_state_dict_round_trips(inputs, tmp_path):
    scaler = MinMaxScaler.fit(inputs)
    torch.save(scaler.state_dict(), tmp_path / "s.pt")
    restored = MinMaxScaler.from_state_dict(torch.load(tmp_path / "s.pt", weights_only=True))
    torch.testing.assert_close(restored(inputs), scaler(inputs))


def test_load_data_fits_minmax_on_train_and_applies_it_to_test():
    raw = load_data("wine", scaling="none", val_fraction=0.0)
    scaled = load_data("wine", scaling="minmax", val_fraction=0.0)
    x_train, x_test = raw.train.tensors[0].numpy(), raw.test.tensors[0].numpy()
    reference = SklearnMinMaxScaler().fit(x_train)
    np.testing.assert_allclose(
        scaled.train.tensors[0].numpy(), reference.transform(x_train), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        scaled.test.tensors[0].numpy(), reference.transform(x_test), rtol=1e-5, atol=1e-6
    )
    assert scaled.info["scaling"] == "minmax" and set(scaled.info["scaler"]) == {"min", "range"}


def test_recipe_scaling_minmax_trains_and_is_reported():
    result = trainlab.fit(
        {"data": {"name": "iris", "scaling": "minmax"}, "model": "mlp", "train": {"steps": 2}}, save=False
    )
    assert result.summary["data"]["scaling"] == "minmax"


def test_the_old_standardize_key_says_what_replaced_it():
    with pytest.raises(
        ConfigError,
        match=r"data: 'standardize' is now 'scaling: standardize \| minmax \| maxabs \| robust \| none'",
    ):
        trainlab.fit(
            {"data": {"name": "iris", "standardize": False}, "model": "mlp", "train": {"steps": 1}},
            save=False,
        )
