"""The catalog: every name the issue lists is registered, described, referenced and trains."""

import math
from pathlib import Path

import pytest
import torch

import trainlab
from trainlab.cli import main
from trainlab.recipe_yaml import read_recipe_file
from trainlab.registry import OPTIMIZERS

RECIPES = Path(__file__).parents[2] / "recipes"

CANON = [
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "adadelta",
    "rmsprop",
    "centered_rmsprop",
    "adam",
    "adamw",
    "amsgrad",
    "nadam",
    "adamax",
    "radam",
    "adafactor",
    "rprop",
    "asgd",
    "lbfgs",
    "muon",
    "lion",
    "lamb",
    "lars",
    "adabelief",
    "schedule_free_sgd",
    "schedule_free_adamw",
    "lookahead",
    "sam",
    "asam",
    "newton",
    "bfgs",
    "cg",
]


def test_every_canonical_name_is_registered_with_description_and_reference():
    assert sorted(CANON) == sorted(OPTIMIZERS.names())
    for entry in OPTIMIZERS:
        assert entry.description and entry.reference, entry.name


def test_catalog_command_lists_every_optimizer(capsys):
    assert main(["catalog", "optimizers", "--json"]) == 0
    listed = capsys.readouterr().out
    for name in CANON:
        assert f'"name": "{name}"' in listed


class StartingWeights:
    """The model's weights as training starts, to check that an optimizer moved them."""

    def on_fit_start(self, trainer):
        self.weights = torch.cat([p.detach().reshape(-1).clone() for p in trainer.model.parameters()])


@pytest.mark.slow
@pytest.mark.parametrize("name", CANON)
def test_every_optimizer_trains_the_mnist1d_cnn_from_the_recipe(name):
    recipe = read_recipe_file(RECIPES / "mnist1d_cnn.yaml")
    full_batch = OPTIMIZERS.get(name).flags.get("full_batch", False)
    recipe["optimizer"] = {"name": name}
    recipe["train"].update(steps=5, batch_size=4000 if full_batch else 100, eval_every=None, log_every=1)
    if name == "newton":
        # The exact 5,210² Hessian costs 5,210 backward passes per step, each over the whole batch:
        # one step on 16 samples keeps this test near 20 s on two CPU cores (100 samples: ~2 min).
        recipe["train"].update(steps=1, batch_size=16)
    start = StartingWeights()
    result = trainlab.fit(recipe, save=False, callbacks=[start])
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert len(losses) == recipe["train"]["steps"] and all(math.isfinite(x) for x in losses)
    trained = torch.cat([p.detach().reshape(-1) for p in result.model.parameters()])
    assert torch.isfinite(trained).all() and not torch.equal(trained, start.weights)
