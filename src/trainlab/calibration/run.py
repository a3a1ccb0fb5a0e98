"""``trainlab.calibrate(run)``: fit a run's temperature on its validation split and store it in calibration.json."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from trainlab import build
from trainlab._io import write_json_atomic
from trainlab.calibration.temperature import calibration_scores, fit_temperature
from trainlab.errors import TrainlabError
from trainlab.metrics.defaults import higher_is_better
from trainlab.recipe import validate_recipe
from trainlab.recipe_yaml import read_recipe_file
from trainlab.references import trusting_code
from trainlab.run_dir import CALIBRATION, RECIPE, RunDirectory, load_best_weights


def calibrate(
    run_dir: str | os.PathLike[str], *, weights: str = "last", bins: int = 15, trust_code: bool = False
) -> dict[str, Any]:
    """Fit temperature scaling on a finished classification run's validation split and write ``calibration.json``.

    The run's model and data are rebuilt from its recipe (the same seeded splits and scaling),
    the chosen weights loaded (safetensors; the best checkpoint with ``weights_only``), and one
    temperature T fitted on the validation logits (:func:`fit_temperature`). ECE and NLL are
    reported before (T = 1) and after, on validation and on test. Predictions divide the
    logits by T: the predicted class does not change, only the confidence.

    Args:
        run_dir: A directory written by ``fit``.
        weights: ``last`` (model.safetensors) or ``best`` (the best checkpoint); recorded in the
            file, since a temperature fits the weights it was fitted on.
        bins: Confidence bins of the ECE.
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Returns:
        What ``calibration.json`` holds: ``temperature``, ``fitted_on``, ``weights``, ``bins``,
        and for ``val`` and ``test`` the ``before`` and ``after`` scores (ece, nll, accuracy).

    Raises:
        TrainlabError: not a finished run, a regression run, or a run without a validation split.

    Reference:
        Guo, Pleiss, Sun & Weinberger 2017, On Calibration of Modern Neural Networks, arXiv:1706.04599.
    """
    if weights not in ("last", "best"):
        raise TrainlabError(
            f"--weights {weights!r}: use last (the final weights) or best (the best checkpoint)"
        )
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise TrainlabError(f"--bins {bins!r}: give a positive number of confidence bins (15 is usual)")
    run = RunDirectory(run_dir)
    run.require_finished()
    with trusting_code(trust_code):
        recipe = validate_recipe(read_recipe_file(run.path / RECIPE), source=str(run.path / RECIPE))
        bundle = build.build_data(recipe)
        if bundle.task != "classification":
            raise TrainlabError(
                f"the run in '{run.path}' is a {bundle.task} run; temperature scaling calibrates classifiers"
            )
        if bundle.val is None:
            raise TrainlabError(
                f"the run in '{run.path}' has no validation split (data.val_fraction is 0), and a temperature "
                "must be fitted on data the model did not train on; re-train with data.val_fraction > 0 "
                "(e.g. --set data.val_fraction=0.1)"
            )
        network = build.build_network(recipe, bundle)
        if weights == "best":
            metric = build.monitor_metric(build.build_metrics(recipe, bundle))
            load_best_weights(run, network, higher_is_better=higher_is_better(metric))
        else:
            run.load_weights(network)
    batch_size = recipe.train.eval_batch_size
    val_logits, val_labels = _logits(network, bundle.val, batch_size)
    temperature = fit_temperature(val_logits, val_labels)
    result: dict[str, Any] = {
        "temperature": temperature,
        "fitted_on": "val",
        "weights": weights,
        "bins": bins,
    }
    for split in ("val", "test"):
        dataset = bundle.split(split)
        if dataset is None:
            continue
        logits, labels = (val_logits, val_labels) if split == "val" else _logits(network, dataset, batch_size)
        result[split] = {
            "before": calibration_scores(logits, labels, bins=bins),
            "after": calibration_scores(logits, labels, temperature, bins=bins),
        }
    write_json_atomic(run.path / CALIBRATION, result)
    return result


@torch.no_grad()
def _logits(model: nn.Module, dataset: Dataset, batch_size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's logits and the labels of a split, in eval mode, batch by batch."""
    model.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size or 1024)
    outputs, labels = [], []
    for inputs, targets in loader:
        outputs.append(model(inputs))
        labels.append(targets)
    return torch.cat(outputs), torch.cat(labels)
