"""Initializers: the distributions they promise, biases, patterns and residual zero-init."""

import math

import pytest
import torch
from torch import nn

from trainlab.errors import ConfigError
from trainlab.models import build_model
from trainlab.nn import INITS, apply_init


def _linear(fan_in=400, fan_out=300):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(fan_in, fan_out))


@pytest.mark.parametrize(
    "spec, expected_std",
    [
        ({"name": "normal"}, 1.0),
        ({"name": "xavier_normal"}, math.sqrt(2 / 700)),
        ({"name": "xavier_uniform"}, math.sqrt(2 / 700)),
        ({"name": "kaiming_normal"}, math.sqrt(2 / 400)),
        ({"name": "kaiming_uniform"}, math.sqrt(2 / 400)),
        ({"name": "kaiming_normal", "mode": "fan_out", "nonlinearity": "linear"}, math.sqrt(1 / 300)),
        ({"name": "lecun_normal"}, math.sqrt(1 / 400)),
        ({"name": "uniform", "low": -1.0, "high": 1.0}, math.sqrt(1 / 3)),
    ],
)
def test_initializer_has_the_papers_variance(spec, expected_std):
    model = apply_init(_linear(), spec)
    assert model[0].weight.std().item() == pytest.approx(expected_std, rel=0.03)
    assert torch.all(model[0].bias == 0)


def test_constant_zeros_orthogonal_sparse_dirac_and_bias_option():
    model = apply_init(_linear(), {"name": "constant", "value": 0.5, "bias": 0.1})
    assert torch.all(model[0].weight == 0.5) and torch.all(model[0].bias == 0.1)
    assert torch.all(apply_init(_linear(), "zeros")[0].weight == 0)
    w = apply_init(_linear(300, 200), "orthogonal")[0].weight
    torch.testing.assert_close(w @ w.T, torch.eye(200), atol=1e-4, rtol=0)
    w = apply_init(_linear(100, 50), {"name": "sparse", "sparsity": 0.2})[0].weight
    assert ((w == 0).sum(0) == 10).all()  # 20% of each column's 50 entries
    torch.testing.assert_close(apply_init(_linear(5, 5), "dirac")[0].weight, torch.eye(5))
    conv = nn.Sequential(nn.Conv1d(3, 3, 3, padding=1))
    apply_init(conv, "dirac")
    x = torch.randn(1, 3, 7)
    torch.testing.assert_close(conv(x), x)


def test_later_patterns_override_earlier_ones():
    model = build_model("mlp", (4,), 3, depth=1, width=8)
    apply_init(model, [{"name": "normal"}, {"name": "zeros", "pattern": "head"}])
    assert torch.all(model.head.weight == 0) and model.linear1.weight.std() > 0.5


def test_zero_init_residual_zeroes_only_the_last_layer_of_each_branch():
    model = build_model("resnet", (4,), 3, depth=2, width=8)
    apply_init(model, "zero_init_residual")
    for block in model.blocks:
        assert torch.all(block.branch.layer2.weight == 0)
        assert block.branch.layer1.weight.abs().sum() > 0
    x = torch.randn(5, 8)
    torch.testing.assert_close(model.blocks(x), x)


def test_pattern_matching_nothing_names_the_key():
    with pytest.raises(ConfigError, match=r"init\.pattern: matches no linear or conv layer"):
        apply_init(_linear(), {"name": "zeros", "pattern": "conv*"})


def test_every_init_is_documented():
    for entry in INITS:
        assert entry.description and entry.reference
