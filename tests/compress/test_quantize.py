"""Int8 quantization with torchao: layers against the quantization formula, runs that evaluate and predict, bad input."""

import json

import pytest
import torch
from safetensors import safe_open
from torch import nn

import trainlab
from trainlab.cli import main
from trainlab.compress.quantize.linears import calibrate_input_scales, linear_layers, quantize_linears
from trainlab.compress.quantize.run import quantize

SMALL = [
    "model.width=64",
    "model.depth=2",
    "train.steps=40",
    "train.batch_size=64",
    "train.progress=false",
]
# int8 against float32 on the same batch: each output within this fraction of the largest |output|.
INT8_TOLERANCE = 0.03
# ONNX Runtime int8 against float32, as a fraction of the largest |logit|: 7-bit weights; static QDQ
# also rounds the input, every activation and the logits to uint8 with one scale per tensor.
ONNX_INT8_TOLERANCE = {"dynamic": 0.03, "static": 0.08}


@pytest.fixture(scope="module")
def float_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quantize") / "float"
    trainlab.fit(data="mnist1d", model="mlp", out=str(out), overrides=SMALL, verbose=0)
    return out


def symmetric_int8(x: torch.Tensor, largest: torch.Tensor) -> torch.Tensor:
    """The quantization formula, written out: scale = max|x| / 127.5, round, clamp to int8, back to float.

    ``x * (1 / scale)`` as torchao computes it: the largest |x| lands on a tie (127.5), which this
    product rounds as torchao does.
    """
    scale = largest / 127.5
    return torch.clamp(torch.round(x * (1.0 / scale)), -128, 127) * scale


def layer_and_batch():
    torch.manual_seed(0)
    linear = nn.Linear(40, 16)
    batch = torch.randn(32, 40) * 3
    return nn.Sequential(linear).eval(), batch


def test_dynamic_int8_layer_follows_the_formula_and_stays_close_to_float():
    model, batch = layer_and_batch()
    linear = model[0]
    quantized = quantize_linears(model, linear_layers(model), "dynamic")
    got = quantized(batch)
    weight = symmetric_int8(linear.weight, linear.weight.abs().amax(dim=1, keepdim=True))
    inputs = symmetric_int8(batch, batch.abs().amax(dim=1, keepdim=True))  # one scale per input row
    expected = inputs @ weight.T + linear.bias
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    reference = linear(batch)
    assert (got - reference).abs().max() <= INT8_TOLERANCE * reference.abs().max()


def test_static_int8_layer_uses_the_calibrated_scale():
    model, batch = layer_and_batch()
    linear = model[0]
    scales = calibrate_input_scales(model, ["0"], [batch[:16], batch[16:]])
    assert scales["0"] == pytest.approx(float(batch.abs().max()) / 127.5)
    quantized = quantize_linears(model, ["0"], "static", scales)
    weight = symmetric_int8(linear.weight, linear.weight.abs().amax(dim=1, keepdim=True))
    inputs = symmetric_int8(batch, batch.abs().max())  # one scale for every input
    torch.testing.assert_close(quantized(batch), inputs @ weight.T + linear.bias, atol=1e-4, rtol=1e-4)
    # The scale is fixed: an input twice as large as any calibration input is clipped, not rescaled.
    assert quantized(batch * 2).abs().max() < 2 * quantized(batch).abs().max()


@pytest.mark.parametrize("method", ["dynamic", "static"])
def test_a_quantized_run_is_int8_on_disk_and_evaluates_and_predicts(float_run, tmp_path, method):
    result = quantize(float_run, method, calibration_batches=4, out=tmp_path / "int8")
    summary = json.loads((result.run_dir / "summary.json").read_text())
    with safe_open(str(result.run_dir / "model.safetensors"), framework="pt") as file:
        dtypes = {name: file.get_tensor(name).dtype for name in file.keys()}  # noqa: SIM118
    assert {dtypes[f"{layer}.weight_int8"] for layer in ("linear1", "linear2", "head")} == {torch.int8}
    assert summary["model"]["dtype"] == "int8"
    assert summary["quantization"]["size_ratio"] > 3
    # Loaded from its run directory alone, the int8 model scores what quantize recorded.
    evaluated = trainlab.evaluate(result.run_dir, splits=("test",))["test"]
    assert evaluated["accuracy"] == pytest.approx(summary["test"]["accuracy"])
    predictor = trainlab.load(result.run_dir)
    inputs = torch.randn(5, 40)
    assert predictor.predict(inputs).shape == (5,)
    torch.testing.assert_close(predictor.logits(inputs), result.model(predictor.preprocess(inputs)))


def test_a_model_without_linear_layers_is_one_message(tmp_path, capsys):
    run = tmp_path / "weight-norm"
    # Weight norm parametrizes every Linear, so none is a plain nn.Linear.
    trainlab.fit(
        data="mnist1d", model="mlp", out=str(run), overrides=[*SMALL, "model.norm=weight_norm"], verbose=0
    )
    code = main(["quantize", str(run), "--out", str(tmp_path / "int8")])
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 2, text
    assert "Traceback" not in text and "nn.Linear" in text
    assert not (tmp_path / "int8").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--method", "float16"], "--method"),
        (["--method", "static", "--calibration-batches", "0"], "--calibration-batches"),
        (["--method", "qat-convert"], "qat"),
    ],
)
def test_bad_quantize_options_are_one_message(float_run, tmp_path, capsys, args, named):
    code = main(["quantize", str(float_run), *args, "--out", str(tmp_path / "int8")])
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 2, text
    assert "Traceback" not in text and named in text
    assert not (tmp_path / "int8").exists()


@pytest.mark.parametrize("method", ["dynamic", "static"])
def test_onnx_exports_match_torch(float_run, tmp_path, method):
    from trainlab.compress.quantize.onnx_runtime import onnx_session

    result = quantize(float_run, method, calibration_batches=4, onnx=True, out=tmp_path / "int8")
    files = result.summary["quantization"]["onnx"]["files"]
    from trainlab.data import load_data

    predictor = trainlab.load(float_run)
    # Test samples in the user's units (the export scales them): where static calibration set its ranges.
    inputs = predictor.preprocessing.scaler.inverse(load_data("mnist1d").test.tensors[0][:64])
    with torch.no_grad():
        expected = predictor.logits(inputs)

    def onnx_outputs(name):
        session = onnx_session(files[name])
        return torch.cat(
            [torch.from_numpy(session.run(None, {"input": row[None].numpy()})[0]) for row in inputs]
        )

    torch.testing.assert_close(onnx_outputs("fp32"), expected, atol=1e-4, rtol=1e-4)
    error = (onnx_outputs("int8") - expected).abs().max() / expected.abs().max()
    assert error <= ONNX_INT8_TOLERANCE[method]
    # QDQ nodes and per-channel scales weigh on a 64-wide model; the 551K MLP's file is 3.8x smaller.
    assert result.summary["quantization"]["onnx"]["size_ratio"] > 1.5


@pytest.mark.slow
def test_a_gru_run_quantizes_its_gru_with_torch_ao_and_reloads(tmp_path):
    import warnings

    run = tmp_path / "gru"
    trainlab.fit(
        data="mnist1d",
        model="gru",
        out=str(run),
        overrides=["train.steps=10", "train.progress=false"],
        verbose=0,
    )
    result = quantize(run, "dynamic", out=tmp_path / "int8")
    assert result.summary["quantization"]["gru_layers"] == ["gru"]
    # The reference: torch's own dynamic GRU on the float model (what Int8GRU stores and rebuilds).
    float_model = trainlab.load(run).model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = torch.ao.quantization.quantize_dynamic(float_model, {nn.GRU}, dtype=torch.qint8)
    inputs = torch.randn(8, 1, 40)
    rebuilt = trainlab.load(result.run_dir).model
    torch.testing.assert_close(
        rebuilt.gru(inputs.transpose(1, 2))[0], reference.gru(inputs.transpose(1, 2))[0]
    )
    assert trainlab.evaluate(result.run_dir)["test"]["accuracy"] == pytest.approx(
        result.summary["test"]["accuracy"]
    )
