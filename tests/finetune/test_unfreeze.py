"""Gradual unfreezing: the head first, then one more layer down every ``every_steps`` steps."""

from types import SimpleNamespace

import pytest
import torch

import trainlab
from trainlab.finetune.unfreeze import GradualUnfreezing
from trainlab.models import build_model


def trainable(model):
    return {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}


def test_layers_unfreeze_top_down_by_step():
    model = build_model("cnn1d", (1, 40), 10)
    model.conv1.weight.requires_grad_(False)  # frozen on purpose: never unfrozen
    trainer = SimpleNamespace(model=model, step=0)
    callback = GradualUnfreezing(every_steps=3)
    callback.on_fit_start(trainer)
    expected = {
        0: {"head"},
        3: {"head", "conv3"},
        6: {"head", "conv3", "conv2"},
        9: {"head", "conv3", "conv2", "conv1"},
    }
    for step in range(1, 13):
        trainer.step = step
        callback.on_step_end(trainer)
        layers = max(s for s in expected if s <= step)
        assert trainable(model) == expected[layers], step
    assert not model.conv1.weight.requires_grad and model.conv1.bias.requires_grad


def test_a_resumed_run_starts_with_the_layers_of_its_step():
    model = build_model("cnn1d", (1, 40), 10)
    GradualUnfreezing(every_steps=5).on_fit_start(SimpleNamespace(model=model, step=7))
    assert trainable(model) == {"head", "conv3"}


def test_layers_not_yet_unfrozen_stay_unchanged_without_optimizer_state(
    pretrained, tmp_path, finetune_recipe, weights
):
    out = tmp_path / "gradual"
    state = {}

    class OptimizerState:
        def on_fit_end(self, trainer):
            names = {id(p): n for n, p in trainer.model.named_parameters()}
            state["names"] = {names[id(p)] for p in trainer.optimizer.state}

    recipe = finetune_recipe(pretrained, unfreeze_schedule={"every_steps": 10}, out=str(out))
    result = trainlab.fit(recipe, callbacks=[OptimizerState()], verbose=0)
    before, after = weights(pretrained), weights(out)
    # 20 steps: the head trains from step 0, linear2 (+ norm2) from step 10, linear1 never.
    assert torch.equal(before["linear1.weight"], after["linear1.weight"])
    assert torch.equal(before["norm1.weight"], after["norm1.weight"])
    assert not torch.equal(before["linear2.weight"], after["linear2.weight"])
    assert "head.weight" in state["names"] and "linear2.weight" in state["names"]
    assert not {"linear1.weight", "linear1.bias", "norm1.weight", "norm1.bias"} & state["names"]
    assert result.summary["finetune"]["unfreeze_schedule"] == {
        "every_steps": 10,
        "all_layers_train_from_step": 20,
    }


def test_gradual_unfreezing_is_refused_in_a_data_parallel_run():
    from trainlab.errors import ConfigError
    from trainlab.finetune.setup import Finetuning
    from trainlab.recipe import Recipe

    recipe = Recipe.model_validate(
        {"data": "digits", "train": {"steps": 1}, "unfreeze_schedule": {"every_steps": 5}}
    )
    model = build_model("cnn1d", (1, 40), 10)
    assert Finetuning.from_recipe(recipe, model) is not None
    with pytest.raises(ConfigError, match="unfreeze_schedule: does not work with several processes"):
        Finetuning.from_recipe(recipe, model, distributed=True)
