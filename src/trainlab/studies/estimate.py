"""A rough CPU-time estimate of one run, before running it: for budgets and the too-small-budget error."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from trainlab.studies.spec import PlaygroundSettings

# Per-run cost outside the steps (data, model, final evaluation, writing the run directory), the
# Python cost of one step, and the arithmetic rate of one core on small dense layers; measured on
# this 2-core machine (a 5,442-parameter MLP at batch 64: about 3 ms a step with instruments on).
FIXED_SECONDS = 1.5
STEP_SECONDS = 2e-3
FLOPS_PER_SECOND = 3e9
DIAGNOSED_STEP_SECONDS = 0.02
# One playground step (an optimizer step on a 2-D point, its evaluation and distance): torch's per-call
# overhead, about 1 ms on a quiet core and several on a loaded one.
PLAYGROUND_STEP_SECONDS = 1e-3


def estimate_run_seconds(settings: Any) -> float:
    """Seconds of one core for one run of ``settings`` (a validated Recipe, or PlaygroundSettings)."""
    if isinstance(settings, PlaygroundSettings):
        return 0.05 + settings.steps * PLAYGROUND_STEP_SECONDS
    recipe = settings
    data_key = json.dumps(recipe.to_dict()["data"], sort_keys=True, default=str)
    parameters, train_size = _model_and_data_size(data_key, recipe.to_yaml())
    batch = recipe.train.batch_size * recipe.train.grad_accum_steps
    steps = recipe.train.steps or math.ceil(recipe.train.epochs * max(train_size // batch, 1))
    # Forward and backward: about 6 floating-point operations per parameter and sample.
    seconds = FIXED_SECONDS + steps * (STEP_SECONDS + 6.0 * parameters * batch / FLOPS_PER_SECOND)
    if recipe.diagnose is not None and recipe.diagnose.enabled:
        every = recipe.diagnose.every or recipe.train.log_every
        seconds += steps / every * DIAGNOSED_STEP_SECONDS
    return seconds


@functools.lru_cache(maxsize=64)
def _model_and_data_size(data_key: str, recipe_yaml: str) -> tuple[int, int]:
    """Parameters of the recipe's model and samples in its training split (the data is built once per spec)."""
    from trainlab.build import build_network
    from trainlab.recipe import Recipe
    from trainlab.recipe_yaml import parse_yaml

    recipe = Recipe.model_validate(parse_yaml(recipe_yaml))
    bundle = _bundle(data_key)
    model = build_network(recipe, bundle)
    return sum(p.numel() for p in model.parameters()), len(bundle.train)


@functools.lru_cache(maxsize=16)
def _bundle(data_key: str) -> Any:
    from trainlab.build import apply_imbalance, build_data
    from trainlab.recipe import Recipe

    recipe = Recipe.model_validate({"data": json.loads(data_key), "train": {"steps": 1}})
    return apply_imbalance(recipe, build_data(recipe))
