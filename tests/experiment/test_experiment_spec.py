"""The experiment spec: structure checks that name the key, grid expansion, seeds, every bad cell reported at once."""

import itertools

import pytest

from trainlab.errors import ConfigError, TrainlabError
from trainlab.experiment.spec import load_spec, spec_from_mapping

BASE = {"data": "digits", "model": {"name": "mlp", "width": 16}, "train": {"steps": 5}}


def spec(**fields):
    return spec_from_mapping({"name": "t", "base": BASE, **fields})


def test_variants_times_seeds_give_validated_recipes_with_the_overrides_and_seed():
    cells = spec(
        variants={"adam": {}, "sgd": {"optimizer.name": "sgd", "optimizer.lr": 0.1}}, seeds=[3, 5]
    ).runs()
    assert [(c.variant, c.seed) for c in cells] == [("adam", 3), ("adam", 5), ("sgd", 3), ("sgd", 5)]
    sgd = cells[2].recipe
    assert sgd.optimizer.name == "sgd" and sgd.optimizer.options["lr"] == 0.1 and sgd.train.seed == 3
    assert (
        cells[0].recipe.optimizer.name == "adam"
    )  # the default component is kept where no override touches it


def test_an_int_seed_count_means_seeds_zero_to_n_minus_one():
    assert spec(seeds=4).seed_list == [0, 1, 2, 3]


def test_grid_is_the_product_of_its_axes_named_from_the_values():
    grid = {
        "optimizer.lr": [0.1, 0.01],
        "optimizer.name": ["adam", "sgd"],
        "schedule.name": ["cosine", "constant"],
    }
    cells = spec(grid=grid, seeds=1).runs()
    expected = list(itertools.product(*grid.values()))
    assert len(cells) == len(expected) == 8
    for cell, (lr, optimizer, schedule) in zip(cells, expected, strict=True):
        assert (cell.recipe.optimizer.options["lr"], cell.recipe.optimizer.name) == (lr, optimizer)
        assert cell.recipe.schedule.name == schedule
    # `lr` is unambiguous; the two `.name` axes keep their section to stay apart.
    assert cells[0].variant == "lr=0.1,optimizer.name=adam,schedule.name=cosine"


def test_the_baseline_defaults_to_the_first_variant_and_metrics_to_the_tasks_scalar_defaults():
    experiment = spec(variants={"b": {}, "a": {}})
    assert experiment.baseline_variant == "b"
    assert [m.name for m in experiment.resolved_metrics()] == ["accuracy", "f1_macro"]
    assert experiment.primary_metric.maximize
    assert not spec(metrics=[{"name": "loss"}]).primary_metric.maximize


def test_every_bad_cell_is_reported_at_once_under_its_spec_key():
    experiment = spec(
        variants={
            "ok": {},
            "typo": {"optimizer.lrr": 0.1},
            "name": {"optimizer.name": "sgdd"},
            "key": {"train.stepz": 1},
        },
        metrics=[{"name": "acuracy"}],
        baseline="nope",
    )
    with pytest.raises(ConfigError) as caught:
        experiment.runs()
    keys = [problem.key for problem in caught.value.problems]
    assert keys == [
        "variants.typo.optimizer.lrr",
        "variants.name.optimizer.name",
        "variants.key.train.stepz",
        "metrics[0].name",
        "baseline",
    ]
    message = str(caught.value)
    assert "did you mean 'lr'" in message and "did you mean 'accuracy'" in message and "'sgd'" in message


def test_structural_problems_name_the_key_and_suggest_the_closest():
    with pytest.raises(ConfigError) as caught:
        spec_from_mapping({"name": "t", "base": BASE, "seedz": 3, "variants": {}, "grid": {"a.b": [1]}})
    message = str(caught.value)
    assert "seedz: unknown key; did you mean 'seeds'?" in message
    assert "grid: give `variants` or `grid`, not both" in message


def test_a_relative_base_path_is_read_from_the_spec_files_folder(tmp_path):
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "base.yaml").write_text("data: digits\nmodel: mlp\ntrain: {steps: 2}\n")
    (tmp_path / "exp.yaml").write_text(
        "name: t\nbase: recipes/base.yaml\nvariants: {a: {optimizer.lr: 0.5}}\n"
    )
    cells = load_spec(tmp_path / "exp.yaml").runs()
    assert cells[0].recipe.optimizer.options["lr"] == 0.5 and cells[0].recipe.train.steps == 2


def test_a_bad_base_recipe_is_reported_once_under_base():
    with pytest.raises(ConfigError) as caught:
        spec_from_mapping(
            {"name": "t", "base": {**BASE, "modle": "mlp"}, "variants": {"a": {}, "b": {}}}
        ).runs()
    assert [p.key for p in caught.value.problems] == ["base.modle"]


def test_the_resolved_spec_inlines_the_base_and_reloads_to_the_same_cells(tmp_path):
    experiment = spec(variants={"a": {}, "b": {"optimizer.lr": 0.5}}, seeds=2)
    (tmp_path / "experiment.yaml").write_text(experiment.to_yaml())
    again = load_spec(tmp_path / "experiment.yaml")
    assert [(c.key, c.recipe) for c in again.runs()] == [(c.key, c.recipe) for c in experiment.runs()]


def test_a_missing_spec_file_is_one_message(tmp_path):
    with pytest.raises(TrainlabError, match="missing"):
        load_spec(tmp_path / "nope.yaml")
