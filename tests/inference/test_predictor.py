"""trainlab.load: a run's model, weights, fitted scaling and labels, predicting in the user's own units."""

import json

import numpy as np
import pytest
import torch
from inference_tables import SPECIES, table

import trainlab
from trainlab.data import bundle_from_python
from trainlab.inference import Predictor, Preprocessing
from trainlab.models import build_model
from trainlab.train.checkpoint import CheckpointManager, load_state


def test_the_issue_case_a_python_model_on_shifted_data_predicts_right(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] - x[:, 1] > 0).astype(np.int64)
    shifted = x * 50 + 100
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    run = tmp_path / "run"
    trainlab.fit(model=model, data=(shifted, y), steps=150, lr=1e-2, out=str(run), verbose=0)
    with pytest.raises(trainlab.TrainlabError, match=r"pass it: trainlab.load\(run_dir, model=module\)"):
        trainlab.load(run)
    predictor = trainlab.load(run, model=model)
    # The run's splits, unscaled (the recipe defaults: val 0.1, test 0.2, split seed 0).
    splits = bundle_from_python((shifted, y), val_fraction=0.1, test_fraction=0.2)
    train_x = splits.train.tensors[0].numpy().astype(np.float64)
    test_x, test_y = (t.numpy() for t in splits.test.tensors)
    # The reference: the module on inputs standardized by numpy with the training split's statistics.
    standardized = (test_x - train_x.mean(axis=0)) / train_x.std(axis=0)
    with torch.no_grad():
        expected = model(torch.tensor(standardized, dtype=torch.float32)).argmax(1).numpy()
    np.testing.assert_array_equal(predictor.predict(test_x), expected)
    summary = json.loads((run / "summary.json").read_text())
    accuracy = np.float32((predictor.predict(test_x) == test_y).mean())
    assert accuracy == np.float32(summary["test"]["accuracy"]) > 0.9


def test_predictions_are_the_users_labels_whatever_the_input_type(csv_run):
    predictor = trainlab.load(csv_run)
    x, y = table(seed=1, rows=50)
    labels = predictor.predict(x)
    assert set(labels) <= set(SPECIES) and (labels == y).mean() > 0.6
    np.testing.assert_array_equal(predictor.predict(torch.tensor(x)), labels)
    np.testing.assert_array_equal(predictor.predict(x.tolist()), labels)
    assert predictor.classes == ["cat", "dog", "fox"]
    probabilities = predictor.predict_proba(x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(predictor.classes)[probabilities.argmax(1)], labels)


def test_a_calibration_temperature_divides_the_logits(csv_run, tmp_path):
    calibrated = tmp_path / "calibrated"
    calibrated.mkdir()
    for file in csv_run.iterdir():
        if file.is_file():
            (calibrated / file.name).write_bytes(file.read_bytes())
    (calibrated / "calibration.json").write_text(json.dumps({"temperature": 2.5, "ece_before": 0.1}))
    x, _ = table(seed=2, rows=30)
    plain, scaled = trainlab.load(csv_run), trainlab.load(calibrated)
    logits = plain.logits(x)
    np.testing.assert_allclose(scaled.predict_proba(x), torch.softmax(logits / 2.5, dim=1).numpy(), atol=1e-6)
    np.testing.assert_array_equal(scaled.predict(x), plain.predict(x))  # the argmax is unchanged
    (calibrated / "calibration.json").write_text(json.dumps({"temperature": 2.5, "weights": "best"}))
    with pytest.warns(UserWarning, match="fitted to the best weights, so it is not applied to the last"):
        unapplied = trainlab.load(calibrated)  # fitted to other logits: a temperature of 1
    np.testing.assert_allclose(unapplied.predict_proba(x), torch.softmax(logits, dim=1).numpy(), atol=1e-6)
    (calibrated / "calibration.json").write_text(json.dumps({"temperature": -1}))
    with pytest.raises(trainlab.TrainlabError, match="not a positive number"):
        trainlab.load(calibrated)


def test_weights_best_loads_the_best_checkpoint(csv_run):
    best = CheckpointManager(csv_run / "checkpoints", higher_is_better=True).best()
    assert best is not None
    predictor = trainlab.load(csv_run, weights="best")
    expected = load_state(best.state_path)["model"]
    for name, tensor in predictor.model.state_dict().items():
        torch.testing.assert_close(tensor, expected[name], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("name", "shape"),
    [("mlp", (3,)), ("cnn1d", (1, 40)), ("gru", (2, 12)), ("cnn2d", (1, 8, 8)), ("resnet", (1, 8, 8))],
)
def test_embed_gives_what_the_output_layer_receives(name, shape):
    torch.manual_seed(0)
    model = build_model(name, shape, 4).eval()
    predictor = Predictor(
        model, Preprocessing(task="classification", input_shape=shape, classes=list("abcd"))
    )
    x = torch.randn(5, *shape)
    features = torch.from_numpy(predictor.embed(x))
    assert features.ndim == 2 and len(features) == 5
    # The reference: the model's own head applied to the embedding reproduces its outputs.
    with torch.no_grad():
        torch.testing.assert_close(model.head(features), model(x))


def test_rows_of_flat_values_are_reshaped_to_the_sample_shape():
    model = build_model("cnn1d", (1, 40), 3).eval()
    predictor = Predictor(model, Preprocessing(task="classification", input_shape=(1, 40), classes=[0, 1, 2]))
    x = torch.randn(6, 1, 40)
    np.testing.assert_array_equal(predictor.predict(x.reshape(6, 40).numpy()), predictor.predict(x))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.ones((2, 4)), r"samples have shape \(4,\)"),
        (np.array([[1.0, np.nan, 0.0]]), "sample 0 holds nan at position 1"),
        (np.array([["a", "b", "c"]]), "expected numbers"),
    ],
)
def test_bad_inputs_are_named(csv_run, bad, message):
    with pytest.raises(trainlab.DataError, match=message):
        trainlab.load(csv_run).predict(bad)


def test_not_a_run_dir_and_a_run_without_weights_are_refused(csv_run, tmp_path):
    with pytest.raises(trainlab.TrainlabError, match="is not a trainlab run directory"):
        trainlab.load(tmp_path)
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    for name in ("recipe.yaml", "summary.json"):
        (unfinished / name).write_bytes((csv_run / name).read_bytes())
    with pytest.raises(trainlab.TrainlabError, match="has no weights"):
        trainlab.load(unfinished)
