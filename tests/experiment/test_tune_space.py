"""Tune search spaces: each distribution drawn as Optuna draws it, grids, list keys, and keys the recipe refuses."""

import optuna
import pytest

from trainlab.errors import ConfigError, TrainlabError
from trainlab.experiment.tune.space import apply_params, check_against_recipe, parse_space

RECIPE = {
    "data": {"name": "xor", "val_fraction": 0.2},
    "model": {"name": "mlp", "width": 8},
    "optimizer": {"name": "adam", "lr": 0.01},
    "augment": [{"name": "noise", "std": 0.1}],
    "train": {"steps": 10},
}


def test_each_kind_is_suggested_with_optunas_own_distribution():
    space = parse_space(
        {
            "optimizer.lr": {"loguniform": [1e-4, 1e-1]},
            "optimizer.weight_decay": {"uniform": [0.0, 0.2], "step": 0.05},
            "train.batch_size": {"int": [16, 256], "log": True},
            "train.steps": {"int": [100, 300], "step": 100},
            "schedule.name": {"categorical": ["cosine", "constant"]},
        }
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    values = space.suggest(trial)
    expected = {
        "optimizer.lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
        "optimizer.weight_decay": optuna.distributions.FloatDistribution(0.0, 0.2, step=0.05),
        "train.batch_size": optuna.distributions.IntDistribution(16, 256, log=True),
        "train.steps": optuna.distributions.IntDistribution(100, 300, step=100),
        "schedule.name": optuna.distributions.CategoricalDistribution(["cosine", "constant"]),
    }
    assert trial.distributions == expected
    for key, distribution in expected.items():
        assert distribution._contains(distribution.to_internal_repr(values[key]))


def test_whole_yaml_choices_are_stored_by_index_and_decoded():
    choices = [[], [{"name": "shift", "max_shift": 2}]]
    space = parse_space({"augment": {"categorical": choices}})
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask()
    value = space.suggest(trial)["augment"]
    assert value in choices
    assert trial.params["augment"] in (0, 1)
    assert space.decode(trial.params) == {"augment": choices[trial.params["augment"]]}


def test_grid_lists_every_finite_value_and_refuses_a_continuous_key():
    space = parse_space(
        {"train.steps": {"int": [10, 30], "step": 10}, "optimizer.name": {"categorical": ["adam", "sgd"]}}
    )
    assert space.grid() == {"train.steps": [10, 20, 30], "optimizer.name": ["adam", "sgd"]}
    with pytest.raises(TrainlabError, match="optimizer.lr"):
        parse_space({"optimizer.lr": {"loguniform": [1e-3, 1e-1]}}).grid()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"uniform": [1, 0]}, "above high"),
        ({"loguniform": [0, 1]}, "low > 0"),
        ({"int": [1.5, 3]}, "whole-number"),
        ({"uniforn": [0, 1]}, "did you mean 'uniform'"),
        ({"categorical": []}, "non-empty"),
        ({"uniform": [0, 1], "categorical": [1]}, "exactly one"),
        (3, "give a distribution"),
    ],
)
def test_a_malformed_entry_is_named_with_the_fix(spec, message):
    with pytest.raises(ConfigError) as error:
        parse_space({"optimizer.lr": spec, "train.steps": {"int": [1, 2]}})
    assert "optimizer.lr" in str(error.value) and message in str(error.value)


def test_list_indices_reach_into_the_recipe_without_touching_the_original():
    changed = apply_params(RECIPE, {"augment.0.std": 0.3, "optimizer.lr": 0.1})
    assert changed["augment"][0] == {"name": "noise", "std": 0.3} and changed["optimizer"]["lr"] == 0.1
    assert RECIPE["augment"][0]["std"] == 0.1 and RECIPE["optimizer"]["lr"] == 0.01
    with pytest.raises(TrainlabError, match=r"index it with 0..0"):
        apply_params(RECIPE, {"augment.3.std": 0.3})


@pytest.mark.parametrize(
    ("key", "closest"),
    [("optimizer.lrr", "'optimizer.lr'"), ("train.stepz", "'train.steps'"), ("augment.0.stdd", "'std'")],
)
def test_a_key_the_recipe_does_not_have_is_refused_naming_it_and_the_closest(key, closest):
    space = parse_space({key: {"uniform": [0.1, 0.2]}, "optimizer.weight_decay": {"uniform": [0.0, 0.1]}})
    with pytest.raises(ConfigError) as error:
        check_against_recipe(space, RECIPE, "recipe.yaml")
    message = str(error.value)
    assert key in message and closest in message
    assert "optimizer.weight_decay" not in message  # an option adam takes, though the recipe does not set it


def test_every_edge_value_is_checked():
    space = parse_space({"optimizer.name": {"categorical": ["adam", "adamm"]}})
    with pytest.raises(ConfigError, match="adamm"):
        check_against_recipe(space, RECIPE, "recipe.yaml")
