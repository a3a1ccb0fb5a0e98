"""What a run derived from another (pruned, quantized) takes from its source: data, scaling and preprocessing files."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

from torch import nn

from trainlab._io import write_with_atomic


def evaluate_on_source_data(
    raw: dict[str, Any], source: Path, model: nn.Module, *, trust_code: bool
) -> dict[str, dict[str, Any]]:
    """Loss and metrics of ``model`` on every split of the source run's data, scaled as that run was.

    Args:
        raw: The recipe (as a mapping) whose data, loss and metrics apply.
        source: The source run directory (its preprocessing.json fixes scaling and classes).
        model: The derived model; it is evaluated on the recipe's device and returned to the CPU.
        trust_code: Consent to run the code the recipe references (``module:factory``).
    """
    from trainlab import build
    from trainlab.inference.preprocessing import evaluation_data
    from trainlab.recipe import validate_recipe
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        recipe = validate_recipe(raw, source=str(source / "recipe.yaml"))
        bundle = evaluation_data(recipe, source, new_data=False)
        device = build.resolve_device(recipe.train.device)
        metrics = build.build_metrics(recipe, bundle)
        evaluator = build.build_evaluator(recipe, bundle, build.build_loss(recipe, bundle), metrics, device)
        network = model.to(device)
        results = {}
        for split in ("train", "val", "test"):
            dataset = bundle.split(split)
            if dataset is not None:
                results[split] = evaluator.evaluate(network, dataset)
        model.cpu()
        return results


def copy_preprocessing(source: Path, target: Path) -> None:
    """Copy the source run's fitted preprocessing (scaler statistics, classes) into ``target``, atomically."""
    from trainlab.inference.preprocessing import PREPROCESSING_JSON, PREPROCESSING_TENSORS

    for name in (PREPROCESSING_JSON, PREPROCESSING_TENSORS):
        original = source / name
        if original.is_file():
            write_with_atomic(target / name, functools.partial(shutil.copyfile, original))
