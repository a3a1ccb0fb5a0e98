"""Every built-in model takes an ``init`` option; a recipe-level ``init:`` applies after it."""

import math

import pytest
import torch

import trainlab
from trainlab.errors import ConfigError
from trainlab.models import build_model
from trainlab.nn.init import WEIGHT_LAYERS

SHAPES = {"mlp": (1, 40), "cnn1d": (1, 40), "gru": (1, 40), "resnet": (1, 40), "cnn2d": (1, 8, 8)}


def weight_layers(model):
    return [m for m in model.modules() if isinstance(m, WEIGHT_LAYERS)]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_constant_init_reaches_every_weight_layer_and_zeroes_biases(name):
    model = build_model(name, SHAPES[name], 10, init={"name": "constant", "value": 0.25})
    for layer in weight_layers(model):
        for parameter_name, parameter in layer.named_parameters():
            expected = 0.25 if parameter_name.startswith("weight") else 0.0
            assert torch.all(parameter == expected), (name, parameter_name)


def test_kaiming_normal_has_he_variance_in_a_wide_mlp():
    torch.manual_seed(0)
    model = build_model(
        "mlp", (1, 512), 10, depth=1, width=512, init={"name": "kaiming_normal", "nonlinearity": "relu"}
    )
    weight = model.linear1.weight.detach()
    assert float(weight.std()) == pytest.approx(math.sqrt(2.0 / 512), rel=0.02)
    assert torch.all(model.linear1.bias == 0)


def test_orthogonal_init_makes_the_gru_recurrence_orthonormal():
    model = build_model("gru", (1, 40), 10, init="orthogonal")
    recurrent = model.gru.weight_hh_l0  # (3H, H): orthonormal columns
    torch.testing.assert_close(recurrent.T @ recurrent, torch.eye(recurrent.shape[1]), atol=1e-5, rtol=0)


def test_a_list_of_specs_applies_in_order():
    model = build_model("mlp", (1, 40), 10, init=["xavier_uniform", {"name": "zeros", "pattern": "head"}])
    assert torch.all(model.head.weight == 0)
    assert not torch.all(model.linear1.weight == 0)


def test_zero_init_residual_survives_a_model_init():
    model = build_model(
        "resnet", (1, 40), 10, depth=2, width=8, init="kaiming_normal", zero_init_residual=True
    )
    for block in model.blocks:
        assert torch.all(block.branch.layer2.weight == 0)
        assert not torch.all(block.branch.layer1.weight == 0)


def test_recipe_level_init_applies_after_the_models_own():
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "init": "zeros"},
        "init": {"name": "constant", "value": 0.5},
        "optimizer": {"name": "sgd", "lr": 1e-9},  # a step that leaves the weights where init put them
        "train": {"steps": 1},
    }
    model = trainlab.fit(recipe, save=False).model
    for layer in weight_layers(model):
        torch.testing.assert_close(layer.weight, torch.full_like(layer.weight, 0.5), rtol=0, atol=1e-6)
        torch.testing.assert_close(layer.bias, torch.zeros_like(layer.bias), rtol=0, atol=1e-6)


def test_a_recipe_with_model_init_trains_with_that_init():
    result = trainlab.fit(
        {
            "data": "iris",
            "model": {"name": "mlp", "width": 512, "init": {"name": "kaiming_uniform", "mode": "fan_out"}},
            "optimizer": {"name": "sgd", "lr": 1e-9},
            "train": {"steps": 2, "log_every": 1},
        },
        save=False,
    )
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert len(losses) == 2 and all(math.isfinite(loss) for loss in losses)
    # He uniform over fan_out = 512: U(-b, b), b = sqrt(2) * sqrt(3 / 512), so std b / sqrt(3) =
    # sqrt(2 / 512); torch's default for Linear(4, 512) would be 1 / sqrt(12) (b = 1 / sqrt(4)).
    weight = result.model.linear1.weight.detach()
    assert float(weight.std()) == pytest.approx(math.sqrt(2.0 / 512), rel=0.05)
    assert float(weight.abs().max()) <= math.sqrt(2.0) * math.sqrt(3.0 / 512) + 1e-6


def test_an_unknown_init_names_the_model_init_key():
    with pytest.raises(ConfigError, match=r"model\.init: .*'xavier_uniform'"):
        trainlab.fit(
            {"data": "iris", "model": {"name": "mlp", "init": "xavier_uniformm"}, "train": {"steps": 1}},
            save=False,
        )
