"""Every registered norm against its statistics computed by hand, and inside mlp and resnet."""

import pytest
import torch

from trainlab.errors import ConfigError
from trainlab.models import build_model
from trainlab.nn import make_norm
from trainlab.registry import NORMS

EPS = 1e-5
CHANNELS = 8
# A per-sample input shape for each spatial_dims, and the model input that exercises it.
SHAPES = {0: (CHANNELS,), 1: (CHANNELS, 7), 2: (CHANNELS, 5, 6)}
MODEL_INPUTS = {0: (6,), 1: (2, 12), 2: (2, 6, 6)}


def _standardize(x, dims):
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS)


def _group(x, groups):
    grouped = x.reshape(x.shape[0], groups, -1)
    return _standardize(grouped, dims=(2,)).reshape(x.shape)


# Each norm's definition: which statistics it standardises with (before the affine transform).
REFERENCE = {
    "none": lambda x: x,
    "batch": lambda x: _standardize(x, dims=(0, *range(2, x.ndim))),
    "layer": lambda x: _standardize(x, dims=tuple(range(1, x.ndim))),
    "group": lambda x: _group(x, groups=4),
    "instance": lambda x: _standardize(x, dims=tuple(range(2, x.ndim))),
    "rms": lambda x: x / torch.sqrt(x.pow(2).mean(dim=tuple(range(1, x.ndim)), keepdim=True) + 1e-6),
    # weight norm re-parametrizes the weights; its slot leaves activations unchanged
    "weight": lambda x: x,
}
OPTIONS = {"group": {"num_groups": 4}}


def _supported(name):
    return NORMS.get(name).flags["spatial_dims"]


CASES = [(name, dims) for name in NORMS.names() for dims in _supported(name)]
UNSUPPORTED = [(name, dims) for name in NORMS.names() for dims in (0, 1, 2) if dims not in _supported(name)]


def test_every_norm_has_a_reference():
    assert set(REFERENCE) == set(NORMS.names())


@pytest.mark.parametrize("name, spatial_dims", CASES)
def test_norm_matches_its_definition(name, spatial_dims):
    torch.manual_seed(0)
    norm = make_norm({"name": name, **OPTIONS.get(name, {})}, CHANNELS, spatial_dims).double()
    norm.train()
    x = 3 * torch.randn(4, *SHAPES[spatial_dims], dtype=torch.float64) + 1
    affine_shape = (1, CHANNELS) + (1,) * spatial_dims
    expected = REFERENCE[name](x)
    if list(norm.parameters()):
        # Random affine parameters so the test also checks they are per channel.
        with torch.no_grad():
            norm.weight.uniform_(0.5, 1.5)
            if getattr(norm, "bias", None) is not None:
                norm.bias.uniform_(-1, 1)
        expected = expected * norm.weight.reshape(affine_shape)
        if getattr(norm, "bias", None) is not None:
            expected = expected + norm.bias.reshape(affine_shape)
    torch.testing.assert_close(norm(x), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name, spatial_dims", UNSUPPORTED)
def test_unsupported_input_kind_is_a_config_error(name, spatial_dims):
    with pytest.raises(ConfigError) as info:
        make_norm(name, CHANNELS, spatial_dims, key="model.norm")
    (problem,) = info.value.problems
    assert problem.key == "model.norm"


def test_instance_norm_on_features_explains_why_and_the_fix():
    with pytest.raises(ConfigError, match="feature vector has none.*use 'layer' or 'batch'"):
        make_norm("instance", CHANNELS, 0)


def test_group_count_must_divide_the_channels():
    with pytest.raises(ConfigError) as info:
        make_norm({"name": "group", "num_groups": 3}, CHANNELS, 1, key="model.norm")
    (problem,) = info.value.problems
    assert problem.key == "model.norm.num_groups"
    assert "e.g. 2" in problem.message  # the divisor of 8 closest to 3 (2 and 4 tie; the smaller wins)


def test_batch_norm_is_flagged_batch_dependent():
    dependent = {e.name for e in NORMS if e.flags["batch_dependent"]}
    assert dependent == {"batch"}


def test_unknown_norm_suggests_the_closest_name():
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 3, norm="btach")
    (problem,) = info.value.problems
    assert problem.key == "model.norm"
    assert "did you mean 'batch'" in problem.message


def test_trainlab_sets_num_features_itself():
    with pytest.raises(ConfigError, match="num_features: is set by trainlab"):
        build_model("mlp", (5,), 3, norm={"name": "batch", "num_features": 4})


def _train_step_is_finite(model, input_shape):
    model.train()
    output = model(torch.randn(4, *input_shape))
    output.sum().backward()
    assert output.shape == (4, 3)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", NORMS.names())
def test_norm_works_in_mlp(name):
    torch.manual_seed(0)
    if 0 not in _supported(name):
        with pytest.raises(ConfigError, match="model.norm"):
            build_model("mlp", (6,), 3, norm=name)
        return
    _train_step_is_finite(build_model("mlp", (6,), 3, width=32, norm=name), (6,))


@pytest.mark.parametrize("name, spatial_dims", CASES)
def test_norm_works_in_resnet(name, spatial_dims):
    torch.manual_seed(0)
    input_shape = MODEL_INPUTS[spatial_dims]
    model = build_model("resnet", input_shape, 3, depth=1, width=32, norm=name)
    _train_step_is_finite(model, input_shape)
