"""Turns a validated recipe into torch objects: data, model, loss, metrics, optimizer, schedule."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from trainlab.data import DataBundle, bundle_from_python, load_data
from trainlab.errors import ConfigError, DataError, ModelError, Problem
from trainlab.losses import adapt_loss
from trainlab.metrics import default_metrics
from trainlab.models import build_model
from trainlab.recipe import Component, Recipe
from trainlab.registry import CALLBACKS, LOSSES, METRICS, OPTIMIZERS, SCHEDULES


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError([Problem("train.device", "cuda was asked for but torch sees no CUDA device; use cpu or auto")])
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError([Problem("train.device", "mps was asked for but is not available; use cpu or auto")])
    return torch.device(name)


def build_data(recipe: Recipe, data: Any = None) -> DataBundle:
    """The recipe's dataset, or data passed from Python (a DataBundle, Dataset or (x, y) tuple)."""
    if data is None:
        spec = recipe.data
        return load_data(
            spec.name,
            val_fraction=spec.val_fraction,
            test_fraction=spec.test_fraction,
            split_seed=spec.split_seed,
            standardize=spec.standardize,
            key="data",
            **spec.options,
        )
    if isinstance(data, DataBundle):
        return data
    spec = recipe.data
    return bundle_from_python(
        data, val_fraction=spec.val_fraction, test_fraction=spec.test_fraction,
        split_seed=spec.split_seed, standardize=spec.standardize,
    )


def build_network(recipe: Recipe, bundle: DataBundle, model: nn.Module | None = None) -> nn.Module:
    if model is not None:
        if not isinstance(model, nn.Module):
            raise ModelError(f"model= must be a torch.nn.Module, got {type(model).__name__}")
        return model
    if recipe.model is None:
        raise ConfigError([Problem("model", "is required: name a model (`trainlab catalog models`) or pass model= to fit()")])
    return build_model(recipe.model.name, bundle.input_shape, bundle.num_outputs, key="model", **recipe.model.options)


def build_loss(recipe: Recipe, bundle: DataBundle) -> nn.Module:
    spec = recipe.loss or Component(name="cross_entropy" if bundle.task == "classification" else "mse")
    entry = LOSSES.get(spec.name, key="loss.name")
    loss = entry.build(**spec.options)
    return adapt_loss(entry, loss, task=bundle.task, num_classes=bundle.num_classes, target_shape=bundle.target_shape)


def build_metrics(recipe: Recipe, bundle: DataBundle) -> dict[str, Any]:
    specs = recipe.metrics if recipe.metrics is not None else [Component(name=n) for n in default_metrics(bundle.task)]
    metrics: dict[str, Any] = {}
    problems = []
    for index, spec in enumerate(specs):
        entry = METRICS.get(spec.name, key=f"metrics[{index}].name")
        metric_task = entry.flags.get("task")
        if metric_task not in (None, "any", bundle.task):
            problems.append(Problem(f"metrics[{index}]", f"'{entry.name}' is a {metric_task} metric but the data is a {bundle.task} task"))
            continue
        provided = {"num_classes": bundle.num_classes} if "num_classes" in entry.parameters() else {}
        metrics[entry.name] = entry.build(**provided, **spec.options)
    if problems:
        raise ConfigError(problems)
    return metrics


def monitor_metric(metrics: dict[str, Any]) -> str:
    """The first scalar metric: what progress shows and "best" refers to."""
    for name in metrics:
        if METRICS.get(name).flags.get("scalar", True):
            return name
    return "loss"


def build_optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    spec = recipe.optimizer
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ModelError("the model has no trainable parameters")
    return OPTIMIZERS.get(spec.name, key="optimizer.name").build(params, **spec.options)


def build_schedule(recipe: Recipe, optimizer: torch.optim.Optimizer, total_steps: int) -> Any:
    if recipe.schedule is None:
        return None
    spec = recipe.schedule
    return SCHEDULES.get(spec.name, key="schedule.name").build(optimizer, total_steps, **spec.options)


def build_callbacks(recipe: Recipe) -> list[Any]:
    return [CALLBACKS.get(c.name, key=f"callbacks[{i}].name").build(**c.options) for i, c in enumerate(recipe.callbacks)]


def total_steps(recipe: Recipe, batches_per_epoch: int) -> int:
    settings = recipe.train
    if settings.steps is not None:
        return settings.steps
    steps_per_epoch = batches_per_epoch // settings.grad_accum_steps
    if steps_per_epoch == 0:
        raise ConfigError(
            [Problem("train.grad_accum_steps", f"{settings.grad_accum_steps} micro-batches per step exceed the "
                     f"{batches_per_epoch} batches in an epoch; lower it or train.batch_size")]
        )
    return math.ceil(settings.epochs * steps_per_epoch)


def check_model_fits_data(model: nn.Module, bundle: DataBundle, device: torch.device) -> None:
    """Run two training samples through the model and check the output shape against the labels.

    Catches a wrong ``num_outputs`` or input layout before any training, with the fix named.
    """
    sample = [bundle.train[i] for i in range(min(2, len(bundle.train)))]
    if not sample:
        raise DataError("the training split is empty; lower data.val_fraction or add data")
    inputs = torch.stack([torch.as_tensor(x) for x, _ in sample]).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(inputs)
    except Exception as exc:
        raise ModelError(
            f"the model fails on a batch of input shape {tuple(inputs.shape)} (one sample: {bundle.input_shape}): "
            f"{type(exc).__name__}: {exc}. Make the model accept inputs of shape (batch, *{bundle.input_shape})."
        ) from None
    finally:
        model.train(was_training)
    if not isinstance(outputs, torch.Tensor):
        raise ModelError(f"the model returns {type(outputs).__name__}; it must return a tensor of shape (batch, outputs)")
    expected = bundle.num_outputs
    got = tuple(outputs.shape)
    if bundle.task == "classification":
        if outputs.dim() != 2 or got[1] != expected:
            raise ModelError(
                f"the model outputs shape {got} for a batch of {len(sample)}, but the data has {expected} classes: "
                f"the model must output (batch, {expected}). Set its output size to {expected}."
            )
    elif outputs[0].numel() != expected:
        raise ModelError(
            f"the model outputs shape {got} for a batch of {len(sample)}, but each target has shape "
            f"{bundle.target_shape or '()'} ({expected} value{'s' if expected != 1 else ''}); make it output (batch, {expected})."
        )
