"""mlp: layer sizes, options and the cross-field check of depth against a list of widths."""

import pytest
import torch
from torch import nn

from trainlab.errors import ConfigError
from trainlab.models import build_model, count_parameters


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def test_default_is_two_hidden_layers_of_128():
    model = build_model("mlp", (1, 40), 10)
    assert [(m.in_features, m.out_features) for m in _linears(model)] == [(40, 128), (128, 128), (128, 10)]


def test_depth_zero_is_a_linear_model():
    model = build_model("mlp", (7,), 3, depth=0)
    assert count_parameters(model) == 7 * 3 + 3


def test_width_list_sets_each_hidden_layer():
    model = build_model("mlp", (5,), 2, depth=3, width=[16, 8, 4])
    assert [m.out_features for m in _linears(model)] == [16, 8, 4, 2]


def test_width_list_of_the_wrong_length_names_both_keys():
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 2, width=[16, 8, 4])
    (problem,) = info.value.problems
    assert problem.key == "model.width"
    assert "depth is 2" in problem.message and "depth: 3" in problem.message


def test_images_are_flattened():
    model = build_model("mlp", (1, 8, 8), 10, width=16)
    assert _linears(model)[0].in_features == 64
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)


def test_bias_option_applies_to_hidden_layers_only():
    model = build_model("mlp", (5,), 2, bias=False)
    hidden, head = _linears(model)[:-1], _linears(model)[-1]
    assert all(m.bias is None for m in hidden)
    assert head.bias is not None


def test_block_order_is_linear_norm_activation_dropout():
    model = build_model("mlp", (5,), 2, depth=1, width=4, norm="layer", activation="tanh", dropout=0.5)
    assert list(dict(model.named_children())) == ["flatten", "linear1", "norm1", "act1", "dropout1", "head"]
    assert isinstance(model.norm1, nn.LayerNorm)
    assert isinstance(model.act1, nn.Tanh)
    assert model.dropout1.p == 0.5


def test_activation_spec_with_options():
    model = build_model("mlp", (5,), 2, activation={"name": "leaky_relu", "negative_slope": 0.3})
    assert model.act1.negative_slope == 0.3


def test_every_bad_option_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 2, dropout=1.0, depht=3, width=0)
    keys = {p.key for p in info.value.problems}
    assert keys == {"model.dropout", "model.depht", "model.width"}
    assert "did you mean 'depth'" in str(info.value)
