"""The catalog: every name the issue lists is registered, described, documented, and trains."""

import inspect
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
    "levenberg_marquardt",
    "gauss_newton",
    "textbook_adam",  # trainlab.studies: Adam with a bias-correction switch, for that study
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


def test_every_option_of_every_optimizer_is_documented():
    for entry in OPTIMIZERS:
        undocumented = [name for name, option in entry.describe()["options"].items() if not option["doc"]]
        assert not undocumented, f"{entry.name}: {undocumented}"


def test_torch_internal_switches_are_not_offered():
    internal = {"maximize", "capturable", "differentiable", "foreach", "fused", "betas", "etas"}
    for entry in OPTIMIZERS:
        assert not internal & set(entry.parameters()), entry.name


def test_entries_pass_their_options_to_torch_under_torchs_names():
    w = torch.zeros(3, 2, requires_grad=True)
    nesterov = OPTIMIZERS.create("nesterov", [w], momentum=0.8)
    assert isinstance(nesterov, torch.optim.SGD)
    assert nesterov.defaults["nesterov"] and nesterov.defaults["momentum"] == 0.8
    assert nesterov.defaults["lr"] == 0.05  # the catalog's default, not torch's
    adam = OPTIMIZERS.create("adam", [w], beta1=0.8, implementation="foreach")
    assert adam.defaults["betas"] == (0.8, 0.999) and adam.defaults["foreach"]
    adafactor = OPTIMIZERS.create("adafactor", [w], eps=1e-4, clip_threshold=2.0)
    assert adafactor.defaults["eps"] == (None, 1e-4) and adafactor.defaults["d"] == 2.0
    lbfgs = OPTIMIZERS.create("lbfgs", [("a", w), ("b.bias", torch.zeros(2, requires_grad=True))])
    assert len(lbfgs.param_groups) == 1 and lbfgs.defaults["line_search_fn"] == "strong_wolfe"
    assert OPTIMIZERS.create("lbfgs", [w], line_search=False).defaults["line_search_fn"] is None


def test_our_entries_take_their_options_from_the_class():
    w = torch.zeros(3, 2, requires_grad=True)
    lion = OPTIMIZERS.create("lion", [w], beta1=0.5, implementation="loop")
    assert isinstance(lion, trainlab.optim.Lion)
    assert lion.defaults["betas"] == (0.5, 0.99) and not lion.defaults["foreach"]
    lars = OPTIMIZERS.get("lars")
    assert "eps" not in lars.parameters()  # hidden: the class default stands
    assert lars.parameters()["lr"].default == inspect.signature(trainlab.optim.Lars).parameters["lr"].default
    problems = OPTIMIZERS.get("lamb").check_kwargs({"beta1": 1.5, "max_trust": -1}, provided=["params"])[1]
    assert {p.key for p in problems} == {"beta1", "max_trust"}


class TrainingLoss:
    """The mean loss over the whole training split as training starts and as it ends."""

    def _loss(self, trainer):
        inputs, targets = trainer.batches.tensors
        trainer.model.eval()
        with torch.no_grad():
            loss = float(trainer.loss_fn(trainer.model(inputs), targets))
        trainer.model.train()
        return loss

    def on_fit_start(self, trainer):
        self.start = self._loss(trainer)
        self.weights = torch.cat([p.detach().reshape(-1).clone() for p in trainer.model.parameters()])

    def on_fit_end(self, trainer):
        self.end = self._loss(trainer)


@pytest.mark.slow
@pytest.mark.parametrize("name", CANON)
def test_every_optimizer_trains_the_mnist1d_cnn_from_the_recipe(name):
    # Every optimizer with its catalog defaults, from the paper's recipe, on a 400-sample training
    # split: ten steps of descent must lower the loss over that split.
    recipe = read_recipe_file(RECIPES / "mnist1d_cnn.yaml")
    full_batch = OPTIMIZERS.get(name).flags.get("full_batch", False)
    recipe["optimizer"] = {"name": name}
    recipe["data"]["val_fraction"] = 0.9
    # One intra-op thread: on a busy machine, waiting threads would stall every op.
    recipe["train"].update(
        steps=10, batch_size=400 if full_batch else 100, eval_every=None, log_every=1, threads=1
    )
    if name == "newton":
        # The exact 5,210² Hessian costs 5,210 backward passes per step, each over the whole batch:
        # one step on a 16-sample training split keeps this test near 20 s on two CPU cores.
        recipe["data"]["val_fraction"] = 0.996
        recipe["train"].update(steps=1, batch_size=16)
    if OPTIMIZERS.get(name).flags.get("needs_residuals"):
        # Least squares needs a sum-of-squares loss; its Jacobian has one row per residual
        # (16 samples × 10 one-hot outputs) and a column per weight.
        recipe["loss"] = "mse"
        recipe["data"]["val_fraction"] = 0.996
        recipe["train"].update(steps=3, batch_size=16)
    measured = TrainingLoss()
    result = trainlab.fit(recipe, save=False, callbacks=[measured])
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert len(losses) == recipe["train"]["steps"] and all(math.isfinite(x) for x in losses)
    trained = torch.cat([p.detach().reshape(-1) for p in result.model.parameters()])
    assert torch.isfinite(trained).all() and not torch.equal(trained, measured.weights)
    assert measured.end < measured.start, f"{name}: training loss {measured.start:.4f} → {measured.end:.4f}"
