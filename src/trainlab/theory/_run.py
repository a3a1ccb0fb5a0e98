"""A finished run rebuilt for inspection: its recipe, data, loss and model with the trained weights."""

from __future__ import annotations

import os
from collections.abc import Sized
from dataclasses import dataclass

import torch
from torch import nn

from trainlab import build
from trainlab.data.bundle import DataBundle
from trainlab.errors import TrainlabError
from trainlab.recipe import Recipe, validate_recipe
from trainlab.recipe_yaml import read_recipe_file
from trainlab.references import trusting_code
from trainlab.run_dir import RECIPE, RunDirectory


@dataclass
class RunParts:
    """What a question about a trained run needs; the model is in eval mode with the run's last weights."""

    recipe: Recipe
    bundle: DataBundle
    model: nn.Module
    loss_fn: nn.Module


def load_run(run_dir: str | os.PathLike[str], *, trust_code: bool = False) -> RunParts:
    """Rebuild a finished run from its recipe (the same seeded splits and scaling) and load its weights.

    Raises:
        TrainlabError: the directory holds no finished run, or its recipe needs code without consent.
    """
    run = RunDirectory(run_dir)
    run.require_finished()
    with trusting_code(trust_code):
        recipe = validate_recipe(read_recipe_file(run.path / RECIPE), source=str(run.path / RECIPE))
        bundle = build.build_data(recipe)
        model = build.build_network(recipe, bundle)
        loss_fn = build.build_loss(recipe, bundle)
    run.load_weights(model)
    model.eval()
    return RunParts(recipe, bundle, model, loss_fn)


def first_samples(parts: RunParts, split: str, count: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``count`` samples of a split (all of it when None) as (inputs, targets), in the split's order."""
    dataset = parts.bundle.split(split)
    if dataset is None:
        raise TrainlabError(
            f"the run has no {split} split; choose --split train, val or test where it has one"
        )
    if count is None:
        assert isinstance(dataset, Sized), "built-in splits know their length"
        count = len(dataset)
    loader = torch.utils.data.DataLoader(dataset, batch_size=count)
    inputs, targets = next(iter(loader))
    return inputs, targets
