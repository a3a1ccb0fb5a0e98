"""data.preprocess: each step's torch code against scikit-learn's transformer, fitted on train only, saved with the run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SklearnPCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import Normalizer, PowerTransformer, QuantileTransformer

import trainlab
from trainlab.cli import main
from trainlab.data import load_data
from trainlab.data.transforms.preprocessors import PCA, Impute, Normalize, Power, Quantile
from trainlab.errors import ConfigError


@pytest.fixture(scope="module")
def skewed():
    rng = np.random.default_rng(0)
    train = np.column_stack(
        [rng.lognormal(0, 1, 300), rng.normal(5, 2, 300), rng.exponential(3, 300), -rng.gamma(2, 1, 300)]
    )
    test = np.column_stack(
        [rng.lognormal(0, 1, 80), rng.normal(5, 2, 80), rng.exponential(3, 80), -rng.gamma(2, 1, 80)]
    )
    test[0] = [100.0, -50.0, 1e-9, 3.0]  # beyond the training range on every feature
    return train, test


def _ours(step, train, test):
    step.fit(train)
    return step(torch.tensor(test)).numpy()


@pytest.mark.parametrize("output", ["uniform", "normal"])
def test_quantile_matches_scikit_learn(skewed, output):
    train, test = skewed
    reference = QuantileTransformer(n_quantiles=100, output_distribution=output, subsample=None).fit(train)
    np.testing.assert_allclose(
        _ours(Quantile(n_quantiles=100, output=output), train, test), reference.transform(test), atol=1e-9
    )


@pytest.mark.parametrize("standardize", [True, False])
def test_power_matches_scikit_learn_yeo_johnson(skewed, standardize):
    train, test = skewed
    reference = PowerTransformer(method="yeo-johnson", standardize=standardize).fit(train)
    np.testing.assert_allclose(
        _ours(Power(standardize=standardize), train, test), reference.transform(test), rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalize_matches_scikit_learn(skewed, norm):
    _, test = skewed
    test = np.vstack([test, np.zeros(4)])  # a zero sample stays zero
    np.testing.assert_allclose(
        _ours(Normalize(norm=norm), test, test), Normalizer(norm=norm).transform(test), atol=1e-12
    )


@pytest.mark.parametrize("whiten", [False, True])
def test_pca_matches_scikit_learn(skewed, whiten):
    train, test = skewed
    reference = SklearnPCA(n_components=2, whiten=whiten, svd_solver="full").fit(train).transform(test)
    ours = _ours(PCA(components=2, whiten=whiten), train, test)
    np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("strategy", ["mean", "median", "constant"])
def test_impute_with_indicator_matches_scikit_learn(skewed, strategy):
    train, test = (a.copy() for a in skewed)
    train[::7, 1] = np.nan
    train[:, 3] = np.nan  # missing in every training sample: filled with 0, as keep_empty_features does
    test[::5, 1] = np.nan
    test[::3, 2] = np.nan  # never missing in training: no indicator column for it
    reference = SimpleImputer(
        strategy=strategy, fill_value=-1.0, add_indicator=True, keep_empty_features=True
    )
    expected = reference.fit(train).transform(test)
    np.testing.assert_allclose(
        _ours(Impute(strategy=strategy, fill_value=-1.0, indicator=True), train, test), expected
    )


def test_load_data_fits_on_train_only_and_pca_turns_samples_into_vectors():
    raw = load_data("digits", scaling="none", val_fraction=0.0)
    processed = load_data(
        "digits", scaling="none", val_fraction=0.0, preprocess=[{"name": "pca", "components": 12}]
    )
    x_train = raw.train.tensors[0].reshape(len(raw.train), -1).double().numpy()
    x_test = raw.test.tensors[0].reshape(len(raw.test), -1).double().numpy()
    reference = SklearnPCA(n_components=12, svd_solver="full").fit(x_train)
    assert processed.input_shape == (12,)
    np.testing.assert_allclose(
        processed.test.tensors[0].numpy(), reference.transform(x_test), rtol=1e-4, atol=1e-4
    )


def test_a_run_saves_its_steps_and_predicts_raw_inputs_with_missing_values(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(240, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    x[rng.random(x.shape) < 0.1] = np.nan
    rows = ["a,b,c,d,e,label"] + [
        ",".join("" if np.isnan(v) else f"{v:.6f}" for v in row) + f",{label}"
        for row, label in zip(x, y, strict=True)
    ]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    recipe = {
        "data": {
            "name": "csv",
            "path": str(tmp_path / "train.csv"),
            "target": "label",
            "preprocess": [{"name": "impute", "indicator": True}, {"name": "quantile", "output": "normal"}],
        },
        "model": {"name": "mlp", "width": 16},
        "train": {"steps": 60},
        "out": str(tmp_path / "run"),
    }
    result = trainlab.fit(recipe, verbose=0)
    assert result.summary["data"]["input_shape"] == [10]  # 5 features and 5 indicator columns
    predictor = trainlab.load(tmp_path / "run")
    raw = torch.tensor(x[:20], dtype=torch.float32)
    expected_inputs = predictor.preprocessing(raw)
    with torch.no_grad():
        expected = torch.softmax(result.model.eval()(expected_inputs), dim=1).numpy()
    np.testing.assert_allclose(predictor.predict_proba(raw), expected, rtol=1e-5, atol=1e-6)
    steps = result.summary["data"].get("preprocess") or predictor.preprocessing.steps
    assert steps


def test_impute_must_come_first_and_unknown_steps_are_named(tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"data\.preprocess\[1\]: impute must be the first step"):
        load_data("iris", preprocess=["quantile", "impute"])
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: {name: iris, preprocess: [quantil]}\ntrain: {steps: 2}\n")
    assert main(["fit", str(recipe), "--out", str(tmp_path / "run")]) == 2
    output = "".join(capsys.readouterr())
    assert "data.preprocess[0]" in output and "quantile" in output and "Traceback" not in output
