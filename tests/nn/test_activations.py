"""Every registered activation against its definition, computed independently from the formula."""

import math

import pytest
import torch

from trainlab.errors import ConfigError, UnknownNameError
from trainlab.models import build_model
from trainlab.nn import make_activation
from trainlab.registry import ACTIVATIONS

# Klambauer et al. 2017, Eq. 14 / Appendix: the fixed-point constants of SELU.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu(x, alpha=1.0):
    return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))


def _softplus(x, beta=1.0):
    return torch.log(1 + torch.exp(beta * x)) / beta


# The definitions from the papers, written with elementary tensor ops only.
REFERENCE = {
    "identity": lambda x: x,
    "relu": lambda x: torch.where(x > 0, x, torch.zeros_like(x)),
    "leaky_relu": lambda x: torch.where(x >= 0, x, 0.01 * x),
    "gelu": lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))),
    "tanh": lambda x: (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x)),
    "sigmoid": lambda x: 1 / (1 + torch.exp(-x)),
    "silu": lambda x: x / (1 + torch.exp(-x)),
    "elu": _elu,
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "softplus": _softplus,
    "mish": lambda x: x * torch.tanh(_softplus(x)),
    "relu6": lambda x: x.clamp(0, 6),
    "prelu": lambda x: torch.where(x >= 0, x, 0.25 * x),
    "rrelu": lambda x: torch.where(x >= 0, x, (1 / 8 + 1 / 3) / 2 * x),  # eval mode: the mean slope
    "celu": lambda x: torch.where(x > 0, x, torch.exp(x) - 1),
    "softsign": lambda x: x / (1 + x.abs()),
    "hardswish": lambda x: x * (x + 3).clamp(0, 6) / 6,
    "maxout": lambda x: torch.maximum(x, torch.zeros_like(x)),  # initialised as max(x, 0)
    "softmax": lambda x: torch.exp(x) / torch.exp(x).sum(dim=1, keepdim=True),
    "log_softmax": lambda x: x - torch.log(torch.exp(x).sum(dim=1, keepdim=True)),
}

# Options that change the function, each with its own reference.
WITH_OPTIONS = [
    ({"name": "leaky_relu", "negative_slope": 0.2}, lambda x: torch.where(x >= 0, x, 0.2 * x)),
    (
        {"name": "gelu", "approximate": "tanh"},
        lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    ({"name": "elu", "alpha": 0.5}, lambda x: _elu(x, 0.5)),
    ({"name": "softplus", "beta": 2.0}, lambda x: _softplus(x, 2.0)),
]


def _inputs():
    # float64 so that the comparison tests the formula, not rounding; includes 0 and both tails.
    return torch.linspace(-8, 8, 801, dtype=torch.float64)


def test_every_activation_has_a_reference():
    assert set(REFERENCE) == set(ACTIVATIONS.names())


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_matches_its_definition(name):
    x = _inputs()
    x = x.reshape(1, -1)  # (batch, features): softmax and log_softmax act over dim 1
    torch.testing.assert_close(
        make_activation(name).double().eval()(x), REFERENCE[name](x), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("spec, reference", WITH_OPTIONS, ids=[spec["name"] for spec, _ in WITH_OPTIONS])
def test_activation_options_match_their_definition(spec, reference):
    x = _inputs()
    torch.testing.assert_close(make_activation(spec)(x), reference(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("alias, name", [("linear", "identity"), ("swish", "silu")])
def test_aliases_build_the_same_function(alias, name):
    assert type(make_activation(alias)) is type(make_activation(name))
    assert ACTIVATIONS.get(alias).name == name


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_entry_is_documented(name):
    entry = ACTIVATIONS.get(name)
    assert entry.description and entry.reference
    assert isinstance(entry.flags["smooth"], bool)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_works_inside_mlp(name):
    torch.manual_seed(0)
    model = build_model("mlp", (5,), 3, depth=2, width=8, activation=name)
    output = model(torch.randn(4, 5))
    output.sum().backward()
    assert output.shape == (4, 3)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_each_call_returns_a_new_module():
    assert make_activation("relu") is not make_activation("relu")


def test_unknown_activation_suggests_the_closest_name():
    with pytest.raises(
        UnknownNameError, match="activation: 'gleu' is not a registered activation; did you mean 'gelu'"
    ):
        make_activation("gleu")


def test_unknown_activation_in_a_model_is_reported_under_the_users_key():
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 3, activation="rleu")
    (problem,) = info.value.problems
    assert problem.key == "model.activation"
    assert "did you mean 'relu'" in problem.message


def test_bad_activation_option_names_the_option():
    with pytest.raises(ConfigError) as info:
        make_activation({"name": "leaky_relu", "negative_slope": -1}, key="model.activation")
    (problem,) = info.value.problems
    assert problem.key == "model.activation.negative_slope"
    assert "greater than or equal to 0" in problem.message


def test_unknown_activation_option_suggests_the_closest():
    with pytest.raises(ConfigError, match="did you mean 'negative_slope'"):
        make_activation({"name": "leaky_relu", "negative_slop": 0.1})


def test_mapping_without_a_name_is_explained():
    with pytest.raises(ConfigError, match="needs a 'name' key"):
        make_activation({"negative_slope": 0.1})
