"""Discriminative learning rates: lr × factor^depth, on top of the optimizer's name-pattern groups."""

import pytest

import trainlab
from trainlab.errors import ConfigError


def group_lrs(optimizer, model):
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: group["lr"] for group in optimizer.param_groups for p in group["params"]}


class Optimizer:
    def on_fit_start(self, trainer):
        self.lrs = group_lrs(trainer.optimizer, trainer.model)
        self.decay = {
            n: g["weight_decay"]
            for g in trainer.optimizer.param_groups
            for n, p in trainer.model.named_parameters()
            if any(p is q for q in g["params"])
        }


def test_each_layer_below_the_head_gets_factor_times_the_lr_above(pretrained, tmp_path, finetune_recipe):
    probe = Optimizer()
    recipe = finetune_recipe(pretrained, discriminative_lr={"factor": 0.5}, out=str(tmp_path / "d"))
    trainlab.fit(recipe, callbacks=[probe], verbose=0)
    base = 1e-2
    for name, depth in {"head": 0, "linear2": 1, "norm2": 1, "linear1": 2, "norm1": 2}.items():
        assert probe.lrs[f"{name}.weight"] == pytest.approx(base * 0.5**depth), name
    # The optimizer's own rules still hold: no decay on biases and norms.
    assert probe.decay["linear1.weight"] == 0.1 and probe.decay["linear1.bias"] == 0.0


def test_name_pattern_groups_are_scaled_by_depth_too(pretrained, tmp_path, finetune_recipe):
    probe = Optimizer()
    optimizer = {"name": "adam", "lr": 1e-3, "param_groups": [{"pattern": "linear1.*", "lr": 0.1}]}
    recipe = finetune_recipe(
        pretrained, optimizer=optimizer, discriminative_lr={"factor": 0.1}, out=str(tmp_path / "p")
    )
    trainlab.fit(recipe, callbacks=[probe], verbose=0)
    assert probe.lrs["linear1.weight"] == pytest.approx(0.1 * 0.1**2)
    assert probe.lrs["linear2.weight"] == pytest.approx(1e-3 * 0.1)
    assert probe.lrs["head.bias"] == pytest.approx(1e-3)


def test_an_optimizer_without_per_group_lrs_is_refused(pretrained, tmp_path, finetune_recipe):
    recipe = finetune_recipe(
        pretrained, optimizer={"name": "lbfgs"}, discriminative_lr={"factor": 0.5}, out=str(tmp_path / "l")
    )
    with pytest.raises(ConfigError, match="discriminative_lr.*lbfgs"):
        trainlab.fit(recipe, verbose=0)
    assert not (tmp_path / "l").exists()
