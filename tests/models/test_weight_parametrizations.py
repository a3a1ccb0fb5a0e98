"""Weight norm and DropConnect: every way of building a model gives the same parametrized layers.

Both act on weights, so the model builds its linear and conv layers in that form; nothing rewrites
the model afterwards. ``trainlab.create``, ``build_model`` and a recipe must agree.
"""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

import trainlab
from trainlab.models import build_model
from trainlab.nn import WeightDropout

# (model, data, input shape, options); the shapes are those of the built-in datasets.
CASES = [
    ("mlp", "iris", (4,), {"depth": 2, "width": 10}),
    ("cnn2d", "digits", (1, 8, 8), {"channels": [4, 4]}),
    ("cnn1d", "mnist1d", (1, 40), {"channels": 4}),
    ("resnet", "iris", (4,), {"depth": 1, "width": 8}),
]
DROPCONNECT = {"name": "dropconnect", "p": 0.5}
NUM_CLASSES = {"iris": 3, "digits": 10, "mnist1d": 10}


def parametrizations(model):
    """``{module name: [parametrization class names]}`` of every parametrized weight."""
    return {
        name: [type(p).__name__ for p in module.parametrizations.weight]
        for name, module in model.named_modules()
        if parametrize.is_parametrized(module, "weight")
    }


def three_ways(name, data, shape, options):
    """The model from trainlab.create, from build_model, and from a recipe (after one step)."""
    outputs = NUM_CLASSES[data]
    created = trainlab.create("model", name, shape, outputs, **options)
    built = build_model(name, shape, outputs, **options)
    recipe = {"data": data, "model": {"name": name, **options}, "train": {"steps": 1, "batch_size": 8}}
    fitted = trainlab.fit(recipe, save=False).model
    return created, built, fitted


@pytest.mark.parametrize("name, data, shape, options", CASES, ids=[c[0] for c in CASES])
def test_weight_norm_reaches_every_weight_layer_whichever_way_the_model_is_built(name, data, shape, options):
    models = three_ways(name, data, shape, {**options, "norm": "weight"})
    found = [parametrizations(m) for m in models]
    weight_layers = [
        n for n, m in models[0].named_modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]
    assert found[0] == {layer: ["_WeightNorm"] for layer in weight_layers}
    assert found[0] == found[1] == found[2]


@pytest.mark.parametrize(
    "name, data, shape, options", [c for c in CASES if c[0] in ("mlp", "cnn2d")], ids=["mlp", "cnn2d"]
)
def test_dropconnect_makes_training_outputs_vary_whichever_way_the_model_is_built(name, data, shape, options):
    torch.manual_seed(0)
    x = torch.randn(4, *shape)
    for model in three_ways(name, data, shape, {**options, "dropout": DROPCONNECT}):
        hidden = {n for n, kinds in parametrizations(model).items() if kinds == ["WeightDropout"]}
        assert hidden and "head" not in hidden  # the output layer is kept whole
        model.train()
        assert not torch.equal(model(x), model(x))
        model.eval()
        torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


def test_dropconnect_drops_the_weight_normalized_weight():
    model = build_model("mlp", (6,), 3, depth=1, width=50, norm="weight", dropout=DROPCONNECT)
    assert parametrizations(model) == {"linear1": ["_WeightNorm", "WeightDropout"], "head": ["_WeightNorm"]}
    assert isinstance(model.linear1.parametrizations.weight[1], WeightDropout)
    model.train()
    assert (model.linear1.weight == 0).double().mean().item() == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("norm, dropout", [("weight", 0.0), ("none", DROPCONNECT)])
def test_an_init_reaches_parametrized_weights(norm, dropout):
    model = build_model("mlp", (6,), 3, depth=1, width=5, norm=norm, dropout=dropout, init="dirac")
    model.eval()
    torch.testing.assert_close(model.linear1.weight, torch.eye(5, 6))
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "depth": 1, "width": 5, "norm": norm, "dropout": dropout},
        "init": {"name": "constant", "value": 0.25, "pattern": "linear1"},
        "optimizer": {"name": "sgd", "lr": 1e-9},
        "train": {"steps": 1, "batch_size": 8},
    }
    fitted = trainlab.fit(recipe, save=False).model.eval()
    torch.testing.assert_close(fitted.linear1.weight, torch.full((5, 4), 0.25), rtol=0, atol=1e-6)
