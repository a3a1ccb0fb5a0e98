"""maxabs and robust scaling against scikit-learn's scalers, fitted on train only and carried into a run's predictor."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MaxAbsScaler as SklearnMaxAbsScaler
from sklearn.preprocessing import RobustScaler as SklearnRobustScaler

import trainlab
from trainlab.data import load_data
from trainlab.data.transforms import MaxAbsScaler, RobustScaler

REFERENCES = {"maxabs": SklearnMaxAbsScaler, "robust": SklearnRobustScaler}


@pytest.mark.parametrize("scaling", ["maxabs", "robust"])
def test_load_data_matches_scikit_learn_fitted_on_the_training_split(scaling):
    raw = load_data("wine", scaling="none", val_fraction=0.0)
    scaled = load_data("wine", scaling=scaling, val_fraction=0.0)
    x_train, x_test = raw.train.tensors[0].double().numpy(), raw.test.tensors[0].double().numpy()
    reference = REFERENCES[scaling]().fit(x_train)
    for split, inputs in (("train", x_train), ("test", x_test)):
        np.testing.assert_allclose(
            getattr(scaled, split).tensors[0].numpy(), reference.transform(inputs), rtol=1e-5, atol=1e-5
        )
    assert scaled.info["scaling"] == scaling


def test_robust_scaling_ignores_an_outlier_that_moves_the_mean():
    inputs = torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0], [1000.0]])
    scaler = RobustScaler.fit(inputs)
    assert scaler.median.item() == pytest.approx(2.5) and scaler.iqr.item() == pytest.approx(3.75 - 1.25)
    np.testing.assert_allclose(
        scaler(inputs).numpy(), SklearnRobustScaler().fit_transform(inputs.numpy()), rtol=1e-6
    )


def test_maxabs_keeps_zeros_and_an_all_zero_feature():
    inputs = torch.tensor([[0.0, -4.0, 0.0], [2.0, 0.0, 0.0], [-1.0, 2.0, 0.0]])
    scaled = MaxAbsScaler.fit(inputs)(inputs)
    assert torch.equal(scaled == 0, inputs == 0)
    torch.testing.assert_close(scaled[:, :2].abs().amax(dim=0), torch.ones(2))


@pytest.mark.parametrize("scaling", ["maxabs", "robust"])
def test_a_runs_predictor_applies_the_saved_scaler_to_raw_inputs(scaling, tmp_path):
    run = tmp_path / "run"
    result = trainlab.fit(
        {
            "data": {"name": "wine", "scaling": scaling},
            "model": "mlp",
            "train": {"steps": 3},
            "out": str(run),
        },
        verbose=0,
    )
    raw = load_data("wine", scaling="none").test.tensors[0]
    scaled = load_data("wine", scaling=scaling).test.tensors[0]
    predictor = trainlab.load(run)
    with torch.no_grad():
        expected = torch.softmax(result.model.eval()(scaled), dim=1)
    np.testing.assert_allclose(predictor.predict_proba(raw), expected.numpy(), rtol=1e-5, atol=1e-6)
