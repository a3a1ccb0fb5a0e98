"""trainlab predict: files of new inputs to prediction files, in chunks, with top-k, ensembles, TTA and clear refusals."""

import csv
import json

import numpy as np
import pytest
import torch
from inference_tables import FEATURES, table, write_csv

import trainlab
from trainlab.cli import main
from trainlab.inference.inputs import open_inputs


def predict_cli(capsys, *args):
    capsys.readouterr()
    code = main(["predict", *map(str, args)])
    return code, capsys.readouterr()


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_csv_gives_the_predictors_labels_and_probabilities(csv_run, tmp_path, capsys):
    x, y = table(seed=7, rows=40)
    # The label column stays and the feature columns come in another order: both are read by name.
    shuffled = write_csv(tmp_path / "new.csv", x[:, [2, 0, 1]], y, columns=["c", "a", "b"])
    code, captured = predict_cli(capsys, csv_run, "--input", shuffled, "--output", tmp_path / "out.csv")
    assert code == 0, captured.err
    rows = read_rows(tmp_path / "out.csv")
    predictor = trainlab.load(csv_run)
    assert [row["label"] for row in rows] == list(predictor.predict(x))
    assert [int(row["row"]) for row in rows] == list(range(40))
    probabilities = np.array(
        [[float(row[f"probability_{c}"]) for c in ("cat", "dog", "fox")] for row in rows]
    )
    np.testing.assert_allclose(probabilities, predictor.predict_proba(x), rtol=1e-6)


def test_a_csv_is_read_in_chunks_with_the_same_result(csv_run, tmp_path, capsys):
    x, _ = table(seed=8, rows=50)
    source = write_csv(tmp_path / "new.csv", x)
    chunks = list(open_inputs(source, trainlab.load(csv_run).preprocessing, chunk_rows=7).chunks)
    assert [len(chunk) for _, chunk in chunks] == [7] * 7 + [1]
    assert [start for start, _ in chunks] == list(range(0, 50, 7))
    np.testing.assert_allclose(np.concatenate([chunk for _, chunk in chunks]), x, rtol=1e-6)
    outputs = []
    for chunk_rows in (7, 65536):
        out = tmp_path / f"out{chunk_rows}.csv"
        code, captured = predict_cli(capsys, csv_run, "--input", source, "--output", out, "--chunk-rows", chunk_rows,
                                     "--batch-size", 1)  # fmt: skip
        assert code == 0, captured.err
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]  # batches of one sample compute alike in any chunk


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".pt"])
def test_array_files_give_the_same_predictions_as_the_predictor(csv_run, tmp_path, capsys, suffix):
    x, _ = table(seed=9, rows=30)
    path = tmp_path / f"x{suffix}"
    if suffix == ".npy":
        np.save(path, x)
    elif suffix == ".npz":
        np.savez(path, x=x, y=np.zeros(30))
    else:
        torch.save({"x": torch.tensor(x)}, path)
    code, captured = predict_cli(capsys, csv_run, "--input", path, "--format", "jsonl")
    assert code == 0, captured.err
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["label"] for r in records] == list(trainlab.load(csv_run).predict(x))


def test_top_k_lists_the_most_probable_classes_best_first(csv_run, tmp_path, capsys):
    x, _ = table(seed=10, rows=20)
    code, captured = predict_cli(capsys, csv_run, "--input", write_csv(tmp_path / "x.csv", x), "--top-k", 2,
                                 "--format", "jsonl")  # fmt: skip
    assert code == 0, captured.err
    probabilities = trainlab.load(csv_run).predict_proba(x)
    for record, probs in zip(map(json.loads, captured.out.splitlines()), probabilities, strict=True):
        order = np.argsort(-probs)[:2]
        assert [entry["label"] for entry in record["top_k"]] == [["cat", "dog", "fox"][i] for i in order]
        np.testing.assert_allclose(
            [entry["probability"] for entry in record["top_k"]], probs[order], rtol=1e-6
        )


def test_an_ensemble_averages_the_runs_probabilities(csv_run, tmp_path, capsys):
    data = csv_run.parent / "train.csv"
    other = tmp_path / "other"
    trainlab.fit(data="csv", model="mlp", steps=30, seed=1, out=str(other), verbose=0,
                 overrides=[f"data.path={data}", "data.target=species", "model.width=8"])  # fmt: skip
    x, _ = table(seed=11, rows=25)
    code, captured = predict_cli(capsys, csv_run, "--input", write_csv(tmp_path / "x.csv", x), "--ensemble", other,
                                 "--output", tmp_path / "out.csv")  # fmt: skip
    assert code == 0, captured.err
    rows = read_rows(tmp_path / "out.csv")
    mean = (trainlab.load(csv_run).predict_proba(x) + trainlab.load(other).predict_proba(x)) / 2
    got = np.array([[float(row[f"probability_{c}"]) for c in ("cat", "dog", "fox")] for row in rows])
    np.testing.assert_allclose(got, mean, rtol=1e-5)
    assert [row["label"] for row in rows] == [["cat", "dog", "fox"][i] for i in mean.argmax(1)]


def test_an_ensemble_of_runs_with_other_classes_is_refused(csv_run, tmp_path, capsys):
    x, y = table(seed=12, rows=90)
    two_classes = write_csv(tmp_path / "two.csv", x[y != "fox"], y[y != "fox"])
    other = tmp_path / "other"
    trainlab.fit(data="csv", model="mlp", steps=5, out=str(other), verbose=0,
                 overrides=[f"data.path={two_classes}", "data.target=species"])  # fmt: skip
    code, captured = predict_cli(capsys, csv_run, "--input", two_classes, "--ensemble", other,
                                 "--output", tmp_path / "out.csv")  # fmt: skip
    assert code == 2 and "Traceback" not in captured.err
    assert "classes ['cat', 'dog'] but" in captured.err and not (tmp_path / "out.csv").exists()


def test_tta_averages_over_the_runs_own_augmentations(tmp_path, capsys):
    run = tmp_path / "run"
    trainlab.fit(data="iris", model="mlp", steps=20, out=str(run), verbose=0,
                 overrides=["augment=[{name: noise, std: 0.5}, {name: mixup}]"])  # fmt: skip
    x = np.random.default_rng(0).normal(size=(12, 4)) + 3
    np.save(tmp_path / "x.npy", x)
    code, captured = predict_cli(capsys, run, "--input", tmp_path / "x.npy", "--tta", "--format", "jsonl")
    assert code == 0, captured.err
    got = np.array([list(json.loads(line)["probabilities"].values()) for line in captured.out.splitlines()])
    # The reference: Gaussian noise of std 0.5 on the scaled inputs, 8 draws from seed 0, plus the inputs themselves.
    predictor = trainlab.load(run)
    scaled = predictor.preprocess(x)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        copies = [scaled] + [scaled + 0.5 * torch.randn_like(scaled) for _ in range(8)]
    expected = np.mean([predictor.scores(copy).numpy() for copy in copies], axis=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert not np.allclose(got, predictor.predict_proba(x), rtol=1e-3)


def test_tta_without_augmentations_is_refused(csv_run, tmp_path, capsys):
    x, _ = table(seed=13, rows=5)
    code, captured = predict_cli(capsys, csv_run, "--input", write_csv(tmp_path / "x.csv", x), "--tta")
    assert code == 2 and "Traceback" not in captured.err and "no augmentation" in captured.err


def nan_row(path):
    x, _ = table(seed=14, rows=30)
    write_csv(path, x)
    lines = path.read_text().splitlines()
    lines[20] = lines[20].replace(lines[20].split(",")[1], "nan", 1)
    path.write_text("\n".join(lines) + "\n")
    return path


def wrong_width(path):
    x, _ = table(seed=15, rows=5)
    np.savetxt(path, np.column_stack([x, x[:, :1]]), delimiter=",")
    return path


def nan_array(path):
    x, _ = table(seed=16, rows=30)
    x[17, 2] = np.nan
    np.save(path, x)
    return path


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (nan_row, "x.csv", "line 21 of .*x.csv, column 'b' is 'nan'"),
        (wrong_width, "x.csv", "has 4 columns but the run takes 3 values per sample"),
        (nan_array, "x.npy", "sample 17 holds nan at position 2"),
    ],
)
def test_bad_input_files_leave_no_output(csv_run, tmp_path, capsys, make, name, message):
    out = tmp_path / "out.csv"
    code, captured = predict_cli(capsys, csv_run, "--input", make(tmp_path / name), "--output", out,
                                 "--chunk-rows", 8)  # fmt: skip
    assert code == 2 and "Traceback" not in captured.err
    assert __import__("re").search(message, captured.err.replace("\n", "")), captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no output, no temporary file


def test_runs_that_cannot_predict_are_refused(csv_run, tmp_path, capsys):
    x, _ = table(seed=17, rows=5)
    source = write_csv(tmp_path / "x.csv", x)
    code, captured = predict_cli(capsys, tmp_path, "--input", source, "--output", tmp_path / "out.csv")
    assert code == 2 and "is not a trainlab run directory" in captured.err
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    for file in ("recipe.yaml", "summary.json"):
        (unfinished / file).write_bytes((csv_run / file).read_bytes())
    code, captured = predict_cli(capsys, unfinished, "--input", source, "--output", tmp_path / "out.csv")
    assert code == 2 and "has no weights (model.safetensors)" in captured.err
    assert "Traceback" not in captured.err and not (tmp_path / "out.csv").exists()


def test_the_header_must_name_the_runs_features(csv_run, tmp_path, capsys):
    x, _ = table(seed=18, rows=5)
    source = write_csv(tmp_path / "x.csv", x, columns=["a", "b", "z"])
    code, captured = predict_cli(capsys, csv_run, "--input", source)
    assert code == 2 and "lacks the run's feature columns ['c']" in captured.err
    assert FEATURES == ["a", "b", "c"]


def test_a_regression_run_writes_values(tmp_path, capsys):
    run = tmp_path / "run"
    trainlab.fit(data="regression", model="mlp", steps=10, out=str(run), verbose=0)
    predictor = trainlab.load(run)
    x = np.random.default_rng(0).normal(size=(9, *predictor.preprocessing.input_shape))
    # The reference: the model on inputs standardized with the saved statistics, by hand.
    scaler = predictor.preprocessing.scaler
    with torch.no_grad():
        expected = predictor.model((torch.tensor(x, dtype=torch.float32) - scaler.shift) / scaler.scale)
    np.testing.assert_allclose(predictor.predict(x), expected.reshape(9).numpy(), rtol=1e-6)
    np.save(tmp_path / "x.npy", x)
    code, captured = predict_cli(
        capsys, run, "--input", tmp_path / "x.npy", "--output", tmp_path / "out.jsonl"
    )
    assert code == 0, captured.err
    values = [json.loads(line)["value"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    np.testing.assert_allclose(values, expected.reshape(9).numpy(), rtol=1e-6)
    code, captured = predict_cli(capsys, run, "--input", tmp_path / "x.npy", "--top-k", 2)
    assert code == 2 and "the run is a regression" in captured.err


def test_a_large_input_reports_progress_per_chunk_outside_a_terminal(csv_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("trainlab.inference.predict_file.PROGRESS_MIN_ROWS", 20)
    x, _ = table(seed=19, rows=30)
    np.save(tmp_path / "x.npy", x)
    code, captured = predict_cli(capsys, csv_run, "--input", tmp_path / "x.npy", "--output", tmp_path / "o.csv",
                                 "--chunk-rows", 12)  # fmt: skip
    assert code == 0, captured.err
    assert [line for line in captured.err.splitlines() if line.startswith("predict:")] == [
        "predict: 12 of 30 samples",
        "predict: 24 of 30 samples",
        "predict: 30 of 30 samples",
    ]
