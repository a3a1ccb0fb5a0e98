"""The shipped compression recipes validate, components and options included."""

from pathlib import Path

import pytest

from trainlab.recipe import load_recipe

RECIPES = sorted((Path(__file__).parents[3] / "recipes" / "compress").glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=[path.name for path in RECIPES])
def test_compression_recipe_validates(path):
    recipe = load_recipe(path)
    assert recipe.train.steps
