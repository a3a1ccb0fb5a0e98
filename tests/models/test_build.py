"""Registry-wide model checks (every registered model, every input kind it takes) and build_model."""

import json

import pytest
import torch

from trainlab.errors import ConfigError, ModelError, UnknownNameError
from trainlab.models import build_model, count_parameters
from trainlab.registry import MODELS

# One sample shape per input kind, as the built-in datasets give them.
INPUTS = {"features": (6,), "signal": (1, 40), "image": (1, 8, 8)}
NUM_OUTPUTS = 3
BATCH = 8

# Models that need an option to be built (from_run needs a run directory) have their own tests, as
# do representation models (they return structured outputs, not class scores): tests/representation.
BUILDABLE = [
    e
    for e in MODELS
    if all(
        p.default is not p.empty for n, p in e.parameters().items() if n not in ("input_shape", "num_outputs")
    )
    and not e.flags.get("objective")
]
SUPPORTED = [(e.name, kind) for e in BUILDABLE for kind in e.flags["inputs"]]
UNSUPPORTED = [(e.name, kind) for e in BUILDABLE for kind in INPUTS if kind not in e.flags["inputs"]]


@pytest.mark.parametrize("name", MODELS.names())
def test_model_entry_declares_its_inputs_and_reference(name):
    entry = MODELS.get(name)
    assert entry.flags["inputs"] and set(entry.flags["inputs"]) <= set(INPUTS)
    assert entry.description and entry.reference
    json.dumps(entry.describe())  # the catalog's JSON output


@pytest.mark.parametrize("name, kind", SUPPORTED)
def test_model_builds_and_takes_an_sgd_step(name, kind):
    torch.manual_seed(0)
    model = build_model(name, INPUTS[kind], NUM_OUTPUTS)
    x = torch.randn(BATCH, *INPUTS[kind])
    y = torch.randint(0, NUM_OUTPUTS, (BATCH,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

    def loss_value():
        return torch.nn.functional.cross_entropy(model(x), y)

    before = loss_value()
    assert model(x).shape == (BATCH, NUM_OUTPUTS)
    before.backward()
    optimizer.step()
    with torch.no_grad():
        after = loss_value()
    assert torch.isfinite(after)
    assert after < before


@pytest.mark.parametrize("name, kind", UNSUPPORTED)
def test_model_rejects_an_input_kind_it_does_not_take(name, kind):
    with pytest.raises(ModelError, match=rf"^model\.name: '{name}' needs"):
        build_model(name, INPUTS[kind], NUM_OUTPUTS)


def test_key_prefixes_every_problem():
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 2, key="teacher", width=[4], norm={"name": "group", "num_groups": 3})
    assert {p.key for p in info.value.problems} == {"teacher.width"}
    with pytest.raises(ConfigError) as info:
        build_model("mlp", (5,), 2, key="teacher", width=4, norm={"name": "group", "num_groups": 3})
    assert {p.key for p in info.value.problems} == {"teacher.norm.num_groups"}
    with pytest.raises(ModelError, match=r"^teacher\.name: "):
        build_model("cnn2d", (5,), 2, key="teacher")


def test_unknown_model_suggests_the_closest_name():
    with pytest.raises(
        UnknownNameError, match="model.name: 'resnt' is not a registered model; did you mean 'resnet'"
    ):
        build_model("resnt", (5,), 2)


def test_data_arguments_cannot_be_options():
    with pytest.raises(ConfigError, match="model.num_outputs: is set by trainlab"):
        build_model("mlp", (5,), 2, num_outputs=4)


@pytest.mark.parametrize("input_shape", [(), (0, 3), (2.5,), "abc"])
def test_bad_input_shape_is_a_model_error(input_shape):
    with pytest.raises(ModelError, match="input_shape must be"):
        build_model("mlp", input_shape, 2)


def test_bad_num_outputs_is_a_model_error():
    with pytest.raises(ModelError, match="num_outputs must be a positive int"):
        build_model("mlp", (5,), 0)


def test_input_shape_may_be_a_list():
    assert build_model("mlp", [1, 40], 2)(torch.randn(2, 1, 40)).shape == (2, 2)


def test_count_parameters():
    model = build_model("mlp", (4,), 2, depth=1, width=3)
    assert count_parameters(model) == (4 * 3 + 3) + (3 * 2 + 2)
    model.head.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 4 * 3 + 3
