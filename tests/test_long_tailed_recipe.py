"""The shipped long-tailed recipe: focal loss, class-balanced sampling, mixup, EMA, warmup-cosine, l1,
group norm and kaiming init on MNIST-1D with imbalance ratio 100."""

from pathlib import Path

import pytest

import trainlab
from trainlab.errors import ConfigError

RECIPE = Path(__file__).parent.parent / "recipes" / "mnist1d_long_tailed.yaml"


def test_recipe_combines_the_imbalance_toolkit():
    recipe = trainlab.recipe.load_recipe(RECIPE)
    assert recipe.loss.name == "focal" and recipe.sampler.name == "class_balanced"
    assert [a.name for a in recipe.augment] == ["mixup"] and [c.name for c in recipe.callbacks] == ["ema"]
    assert recipe.schedule.name == "cosine" and recipe.schedule.options["warmup_steps"] > 0
    assert [r.name for r in recipe.regularizers] == ["l1"]
    assert recipe.model.options["norm"]["name"] == "group" and recipe.init.name == "kaiming_normal"
    assert recipe.data.imbalance.ratio == 100


def test_recipe_trains_a_few_steps_and_reports_macro_f1():
    overrides = [
        "train.steps=4",
        "train.eval_every=2",
        "train.log_every=2",
        "model.width=8",
        "model.norm.num_groups=4",
        "train.progress=false",
    ]
    result = trainlab.fit(RECIPE, overrides=overrides, save=False)
    steps = [r for r in result.history if r["type"] == "step"]
    assert all("penalty.l1" in r for r in steps)
    assert 0.0 <= result.summary["test"]["f1_macro"] <= 1.0
    assert result.summary["data"]["sizes"]["train"] < 1000  # long-tailed


@pytest.mark.slow
def test_full_recipe_reaches_a_useful_macro_f1():
    result = trainlab.fit(RECIPE, overrides=["train.progress=false"], save=False)
    assert result.summary["test"]["f1_macro"] > 0.6


@pytest.mark.parametrize(
    "override, key",
    [
        ("data.imbalance.ratio=0.5", "data.imbalance.ratio"),
        ("sampler=class_balancd", "sampler.name"),
        ("init.nonlinearity=relu7", "init.nonlinearity"),
        ("regularizers=[{name: l3}]", "regularizers[0].name"),
        ("augment=[{name: mixup, alpha: -1}]", "augment[0].alpha"),
        ("loss.class_counts=[1, 2]", "loss.class_counts"),
    ],
)
def test_bad_component_settings_name_the_yaml_key(override, key):
    with pytest.raises(ConfigError) as info:
        trainlab.recipe.load_recipe(RECIPE, [override])
    assert key in {p.key for p in info.value.problems}, info.value
