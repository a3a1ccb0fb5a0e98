"""trainlab export: the preprocessing and the model as one module, checked against torch in each runtime."""

import json

import numpy as np
import pytest
import torch
from inference_tables import table

import trainlab
from trainlab.cli import main
from trainlab.data.transforms.standardize import Standardizer
from trainlab.inference import Predictor, Preprocessing
from trainlab.inference.export import export_run, load_safetensors_export
from trainlab.models import build_model

SHAPES = {"mlp": (3,), "cnn1d": (1, 40), "gru": (2, 12), "cnn2d": (1, 8, 8), "resnet": (1, 8, 8)}


def predictor_of(name, tmp_path):
    """An untrained built-in model behind a standardizer fitted on inputs far from zero mean."""
    torch.manual_seed(0)
    shape = SHAPES[name]
    scaler = Standardizer.fit(torch.randn(64, *shape) * 30 + 7)
    model = build_model(name, shape, 3)
    preprocessing = Preprocessing(task="classification", input_shape=shape, scaling="standardize", scaler=scaler,
                                  classes=["x", "y", "z"])  # fmt: skip
    return Predictor(model, preprocessing, run_dir=tmp_path, model_spec={"name": name}), scaler


def reference_outputs(predictor, scaler, x):
    """The model on inputs standardized by hand: what every export must compute from raw inputs."""
    with torch.no_grad():
        return predictor.model.eval()((x - scaler.mean) / scaler.std).numpy()


def run_export(fmt, path, x):
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(None, {"input": x.numpy()})[0]
    if fmt == "torch-export":
        return torch.export.load(path).module()(x).detach().numpy()
    return load_safetensors_export(path)(x).detach().numpy()


def check_export(name, fmt, tmp_path):
    predictor, scaler = predictor_of(name, tmp_path)
    result = export_run(predictor, fmt, tmp_path / f"model.{fmt}")
    assert result.max_abs_diff <= 1e-5
    x = torch.randn(5, *SHAPES[name]) * 30 + 7
    np.testing.assert_allclose(
        run_export(fmt, result.path, x), reference_outputs(predictor, scaler, x), atol=1e-5
    )


@pytest.mark.parametrize(("name", "fmt"), [("resnet", "safetensors")])  # ONNX: the command test below
def test_an_export_computes_scaling_then_model(name, fmt, tmp_path):
    check_export(name, fmt, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "torch-export", "safetensors"])
@pytest.mark.parametrize("name", list(SHAPES))
def test_every_built_in_model_exports(name, fmt, tmp_path):
    check_export(name, fmt, tmp_path)


def test_the_command_prints_the_difference_and_keeps_the_classes(csv_run, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    capsys.readouterr()
    assert main(["export", str(csv_run), "--format", "onnx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "max |export - torch|" in printed and str(out) in printed.replace("\n", "")
    import onnx

    metadata = json.loads({p.key: p.value for p in onnx.load(out).metadata_props}["trainlab"])
    assert metadata["classes"] == ["cat", "dog", "fox"] and metadata["model"]["name"] == "mlp"
    x, _ = table(seed=20, rows=6)
    logits = run_export("onnx", out, torch.tensor(x, dtype=torch.float32))
    np.testing.assert_array_equal(
        np.asarray(metadata["classes"])[logits.argmax(1)], trainlab.load(csv_run).predict(x)
    )


def test_onnx_without_its_packages_names_the_extra(csv_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)  # import onnxruntime now fails
    capsys.readouterr()
    code = main(["export", str(csv_run), "--format", "onnx", "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'trainlab[export]'" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_an_unknown_format_is_refused(csv_run, capsys):
    capsys.readouterr()
    assert main(["export", str(csv_run), "--format", "tflite"]) == 2
    assert "use one of onnx, torch-export, safetensors" in capsys.readouterr().err


def test_a_python_model_exports_with_the_module_passed_back(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(60, 3)) * 20 + 5, np.arange(60) % 2
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    trainlab.fit(model=model, data=(x, y), steps=3, out=str(tmp_path / "run"), verbose=0)
    predictor = trainlab.load(tmp_path / "run", model=model)
    result = export_run(predictor, "safetensors", tmp_path / "m.safetensors")
    assert result.max_abs_diff <= 1e-6
    with pytest.raises(trainlab.TrainlabError, match="records no architecture"):
        load_safetensors_export(result.path)
