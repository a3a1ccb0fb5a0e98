"""A run saves its fitted scaling and label mapping as data, and evaluate applies them to new data."""

import json

import numpy as np
import pytest
import torch
from inference_tables import FEATURES, table, write_csv
from safetensors.torch import load_file

import trainlab
from trainlab.data import load_data
from trainlab.inference.preprocessing import PREPROCESSING_JSON, PREPROCESSING_TENSORS, read_preprocessing


def test_the_run_saves_the_training_split_statistics_and_classes(csv_run):
    saved = json.loads((csv_run / PREPROCESSING_JSON).read_text())
    assert saved["scaling"] == "standardize" and saved["classes"] == ["cat", "dog", "fox"]
    assert saved["feature_columns"] == FEATURES and saved["target_column"] == "species"
    # The reference: numpy's mean and population std of the run's own training split, unscaled.
    raw = load_data("csv", path=str(csv_run.parent / "train.csv"), target="species", scaling="none")
    train = raw.train.tensors[0].numpy().astype(np.float64)
    tensors = load_file(csv_run / PREPROCESSING_TENSORS)
    np.testing.assert_allclose(tensors["shift"].numpy(), train.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(tensors["scale"].numpy(), train.std(axis=0), rtol=1e-6)


def test_evaluate_on_new_data_uses_the_runs_scaling_and_classes(csv_run, tmp_path):
    # New data: shifted (its own statistics differ) and holding two of the three classes.
    x, y = table(seed=5, rows=60, offset=130.0)
    keep = y != "fox"
    new = write_csv(tmp_path / "new.csv", x[keep], y[keep])
    results = trainlab.evaluate(csv_run, overrides=[f"data.path={new}", "data.test_fraction=0.5"])
    # The reference: the model on the new test split scaled by the saved statistics, by hand.
    test = load_data("csv", path=str(new), target="species", scaling="none", test_fraction=0.5,
                     classes=["cat", "dog", "fox"]).test  # fmt: skip
    saved = load_file(csv_run / PREPROCESSING_TENSORS)
    model = trainlab.load(csv_run).model
    with torch.no_grad():
        predicted = model((test.tensors[0] - saved["shift"]) / saved["scale"]).argmax(1)
    expected = (predicted == test.tensors[1]).float().mean().item()
    assert results["test"]["accuracy"] == pytest.approx(expected, abs=1e-6)


def test_a_run_without_the_files_still_loads_and_refits_its_registered_data(csv_run, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("recipe.yaml", "summary.json", "model.safetensors"):
        (old / name).write_bytes((csv_run / name).read_bytes())
    assert read_preprocessing(old) is None
    x, _ = table(seed=3, rows=20)
    with_files, without = trainlab.load(csv_run), trainlab.load(old)
    assert "fitted again" in without.preprocessing.notes[0]
    np.testing.assert_array_equal(without.predict(x), with_files.predict(x))
    np.testing.assert_allclose(without.predict_proba(x), with_files.predict_proba(x), atol=1e-6)


def test_a_python_data_run_without_the_files_warns_that_its_scaling_is_lost(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(40, 2)) * 9 + 50, np.arange(40) % 2
    model = torch.nn.Linear(2, 2)
    run = tmp_path / "run"
    trainlab.fit(model=model, data=(x, y), steps=2, out=str(run), verbose=0)
    for name in (PREPROCESSING_JSON, PREPROCESSING_TENSORS):
        (run / name).unlink()
    with pytest.warns(UserWarning, match="inputs reach the model unscaled"):
        predictor = trainlab.load(run, model=model)
    assert predictor.preprocessing.scaler is None


def test_evaluating_an_old_run_on_new_data_warns_that_the_scaling_is_refitted(csv_run, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("recipe.yaml", "summary.json", "model.safetensors"):
        (old / name).write_bytes((csv_run / name).read_bytes())
    x, y = table(seed=6, rows=40)
    new = write_csv(tmp_path / "new.csv", x, y)
    with pytest.warns(UserWarning, match="fitted again on this data's training split"):
        trainlab.evaluate(old, overrides=[f"data.path={new}"])
