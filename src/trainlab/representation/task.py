"""What a run learns (its task), derived from the recipe, the model's entry and the data, with the checks it implies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import TensorDataset

from trainlab.errors import ConfigError, Problem
from trainlab.references import is_reference
from trainlab.registry import LOSSES, MODELS

if TYPE_CHECKING:
    from trainlab.data import DataBundle
    from trainlab.recipe import Recipe

# Tasks that learn from the inputs alone; the labels stay for evaluation (probes, latent plots).
REPRESENTATION_TASKS = ("reconstruction", "generative")


def model_flags(recipe: Recipe) -> dict[str, Any]:
    """The registry flags of the recipe's model; empty for a model from Python or from user code."""
    if recipe.model is None or is_reference(recipe.model.name) or recipe.model.name not in MODELS:
        return {}
    return dict(MODELS.get(recipe.model.name).flags)


def training_task(recipe: Recipe, bundle: DataBundle) -> str:
    """``recipe.task``, else the model's (a representation model names its own), else the data's.

    Raises:
        ConfigError: the task and the model disagree (a classifier on a reconstruction task, an
            autoencoder on a classification task), or a supervised task that is not the data's.
    """
    model_task = model_flags(recipe).get("task")
    task = recipe.task or model_task or bundle.task
    model = recipe.model.name if recipe.model is not None else "the model"
    if (
        task in REPRESENTATION_TASKS
        and recipe.model is not None
        and model_task is None
        and not is_reference(recipe.model.name)
    ):
        raise ConfigError(
            [
                Problem(
                    "task",
                    f"is {task}, but '{model}' predicts labels; choose a representation model "
                    "(autoencoder, denoising_autoencoder, sparse_autoencoder, contractive_autoencoder, vae, rbm) "
                    "or remove task",
                )
            ]
        )
    if task not in REPRESENTATION_TASKS and model_task in REPRESENTATION_TASKS:
        raise ConfigError(
            [
                Problem(
                    "task",
                    f"is {task}, but '{model}' learns a representation ({model_task}); remove task "
                    "(it is the model's), or fine-tune a classifier from it (mlp_from_rbm for an rbm run)",
                )
            ]
        )
    if task not in REPRESENTATION_TASKS and task != bundle.task:
        raise ConfigError([Problem("task", f"is {task}, but '{bundle.name}' is a {bundle.task} dataset")])
    return task


def representation_loss_name(recipe: Recipe, task: str) -> str:
    """The objective of a representation task: the model entry's, or the recipe's loss if that is one.

    Raises:
        ConfigError: the recipe names a supervised loss (cross_entropy, mse, ...) for the task.
    """
    objective = model_flags(recipe).get("objective", "model_objective")
    if recipe.loss is None:
        return str(objective)
    name = recipe.loss.name
    if name in LOSSES and LOSSES.get(name).flags.get("task") != "representation":
        loss_task = LOSSES.get(name).flags.get("task", "any")
        kind = f"a {loss_task} loss" if loss_task != "any" else "a loss on labels"
        raise ConfigError(
            [
                Problem(
                    "loss.name",
                    f"'{name}' is {kind}, but this is a {task} task: the model trains on its own objective "
                    f"('{objective}') and ignores the labels; remove loss (or set loss: {objective})",
                )
            ]
        )
    return name


def check_input_range(model: torch.nn.Module, bundle: DataBundle) -> None:
    """A model that scores inputs as probabilities (a Bernoulli decoder or RBM) needs them in [0, 1].

    Raises:
        ConfigError: the training inputs leave the model's ``input_range``, naming data.scaling as the fix.
    """
    wanted = getattr(model, "input_range", None)
    if wanted is None or not isinstance(bundle.train, TensorDataset):
        return
    inputs = bundle.train.tensors[0]
    low, high = inputs.min().item(), inputs.max().item()
    if low < wanted[0] - 1e-6 or high > wanted[1] + 1e-6:
        raise ConfigError(
            [
                Problem(
                    "data.scaling",
                    f"the model's Bernoulli units read inputs as probabilities in [{wanted[0]:g}, {wanted[1]:g}], "
                    f"but the training inputs range over [{low:.3g}, {high:.3g}]; scale them to [0, 1] with "
                    "data.scaling: minmax (or use a Gaussian decoder / visible: gaussian)",
                )
            ]
        )
