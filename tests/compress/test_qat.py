"""Quantization-aware training: fake int8 against the formula, straight-through gradients, conversion to int8."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

import trainlab
from trainlab.compress.quantize.qat import FakeInt8PerRow, QuantizationAwareTraining
from trainlab.compress.quantize.run import quantize


def fake_int8(x: torch.Tensor, largest: torch.Tensor) -> torch.Tensor:
    """Symmetric int8 written out: scale = max|x| / 127.5, round, clamp to [-128, 127], back to float."""
    scale = largest / 127.5
    return torch.clamp(torch.round(x * (1.0 / scale)), -128, 127) * scale


def test_fake_int8_weights_round_per_row_and_pass_gradients_straight_through():
    torch.manual_seed(0)
    weight = torch.randn(8, 20, requires_grad=True)
    rounded = FakeInt8PerRow()(weight)
    torch.testing.assert_close(
        rounded,
        fake_int8(weight.detach(), weight.detach().abs().amax(dim=1, keepdim=True)),
        atol=1e-6,
        rtol=0,
    )
    rounded.sum().backward()
    torch.testing.assert_close(weight.grad, torch.ones_like(weight))


def test_the_callback_fakes_int8_in_training_and_leaves_plain_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 8))
    weight = model[0].weight
    callback = QuantizationAwareTraining()
    trainer = SimpleNamespace(model=model, step=0)
    callback.on_fit_start(trainer)
    x = torch.randn(16, 20) * 2
    expected = (
        fake_int8(x, x.abs().max())
        @ fake_int8(weight.detach(), weight.detach().abs().amax(1, keepdim=True)).T
        + model[0].bias
    )
    torch.testing.assert_close(model(x), expected, atol=1e-5, rtol=1e-5)
    callback.on_fit_end(trainer)
    assert sorted(model.state_dict()) == ["0.bias", "0.weight"] and model[0].weight is weight
    torch.testing.assert_close(model(x), nn.functional.linear(x, weight, model[0].bias))


@pytest.mark.slow
def test_a_qat_run_converts_to_static_int8(tmp_path):
    run = tmp_path / "qat"
    overrides = [
        "model.width=32",
        "model.depth=2",
        "train.steps=30",
        "train.progress=false",
        "callbacks=[{name: qat}]",
    ]
    fitted = trainlab.fit(data="mnist1d", model="mlp", out=str(run), overrides=overrides, verbose=0)
    assert "linear1.weight" in fitted.model.state_dict()  # fake quantization removed before saving
    result = quantize(run, "qat-convert", calibration_batches=2, out=tmp_path / "int8")
    assert result.summary["quantization"]["method"] == "qat-convert"
    assert trainlab.evaluate(result.run_dir)["test"]["accuracy"] == pytest.approx(
        result.summary["test"]["accuracy"]
    )
