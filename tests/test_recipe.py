"""Recipe loading, overrides and validation: every problem at once, each under its key."""

import pytest

from trainlab.errors import ConfigError, TrainlabError
from trainlab.overrides import apply_overrides, quick_overrides
from trainlab.recipe import Recipe, load_recipe, validate_recipe
from trainlab.recipe_yaml import parse_yaml

GOOD = {
    "data": "iris",
    "model": {"name": "mlp", "width": 16},
    "optimizer": {"name": "adam", "lr": 1e-2},
    "train": {"steps": 5, "batch_size": 8},
}


def problems_of(raw):
    with pytest.raises(ConfigError) as info:
        validate_recipe(raw)
    return {p.key: p.message for p in info.value.problems}


def test_scientific_notation_is_a_float():
    assert parse_yaml("lr: 1e-2") == {"lr": 0.01}
    assert parse_yaml("lr: 3E+4")["lr"] == 30000.0
    assert parse_yaml("v: 10") == {"v": 10}
    assert parse_yaml("v: 1.5") == {"v": 1.5}


def test_a_good_recipe_validates_and_round_trips_through_yaml():
    recipe = validate_recipe(GOOD)
    assert recipe.model.options == {"width": 16}
    assert recipe.data.name == "iris" and recipe.data.val_fraction == 0.1
    again = validate_recipe(parse_yaml(recipe.to_yaml()))
    assert again == recipe


def test_every_problem_is_reported_at_once():
    raw = {
        "data": {"name": "irs"},
        "model": {"name": "mlp", "widht": 16},
        "optimizer": {"name": "adamw2", "lr": 1e-3},
        "train": {"steps": 5, "batch_sise": 8},
        "optimiser": {},
    }
    problems = problems_of(raw)
    assert "did you mean 'iris'" in problems["data.name"]
    assert "did you mean 'width'" in problems["model.widht"]
    assert "did you mean 'batch_size'" in problems["train.batch_sise"]
    assert "did you mean 'optimizer'" in problems["optimiser"]


def test_component_names_and_options_are_checked():
    problems = problems_of({**GOOD, "optimizer": {"name": "adamw2", "lr": 1e-3}})
    assert problems["optimizer.name"].startswith(
        "'adamw2' is not a registered optimizer; did you mean 'adamw'"
    )
    assert list(problems) == ["optimizer.name"]
    problems = problems_of({**GOOD, "optimizer": {"name": "adam", "lr": -1}})
    assert "greater than 0" in problems["optimizer.lr"]
    problems = problems_of({**GOOD, "optimizer": {"name": "adam", "lr": "fast"}})
    assert "valid number" in problems["optimizer.lr"]


def test_train_settings_cross_checks_name_the_keys():
    problems = problems_of({**GOOD, "train": {"steps": 5, "epochs": 2}})
    assert "can't set both `train.steps` and `train.epochs`" in problems["train"]
    problems = problems_of({**GOOD, "train": {"batch_size": 5}})
    assert "set `train.steps` or `train.epochs`" in problems["train"]
    problems = problems_of({**GOOD, "train": {"steps": 0}})
    assert "greater than or equal to 1" in problems["train.steps"]
    problems = problems_of({**GOOD, "train": {"steps": 1, "precision": "fp8"}})
    assert "'fp32', 'bf16' or 'fp16'" in problems["train.precision"]


def test_missing_sections_are_named():
    problems = problems_of({"model": "mlp"})
    assert problems["data"] == "is required" and problems["train"] == "is required"


def test_overrides_set_nested_keys_and_expand_bare_names():
    raw = apply_overrides(
        {"optimizer": "adam", "train": {"steps": 1}}, ["optimizer.lr=3e-3", "train.steps=7"]
    )
    assert raw == {"optimizer": {"name": "adam", "lr": 0.003}, "train": {"steps": 7}}
    with pytest.raises(TrainlabError, match="key=value"):
        apply_overrides({}, ["optimizer.lr"])


def test_quick_fields_map_to_recipe_keys():
    assert quick_overrides({"lr": 0.1, "batch_size": 4, "steps": None}) == {
        "optimizer.lr": 0.1,
        "train.batch_size": 4,
    }
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        quick_overrides({"lrr": 0.1})


def test_missing_recipe_file_is_named(tmp_path):
    with pytest.raises(TrainlabError, match="does not exist"):
        load_recipe(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed")
    with pytest.raises(TrainlabError, match="not valid YAML"):
        load_recipe(bad)


def test_shipped_recipes_validate():
    from pathlib import Path

    recipes = sorted(Path(__file__).parents[1].joinpath("recipes").glob("*.yaml"))
    assert recipes
    for path in recipes:
        assert isinstance(load_recipe(path), Recipe)


def test_eval_every_needs_a_split_to_evaluate():
    raw = {**GOOD, "data": {"name": "iris", "val_fraction": 0}, "train": {"steps": 5, "eval_every": 2}}
    problems = problems_of(raw)
    assert "set data.val_fraction > 0, or train.eval_on: test" in problems[""]
    validate_recipe({**raw, "train": {"steps": 5, "eval_every": 2, "eval_on": "test"}})
