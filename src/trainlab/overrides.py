"""Overrides on a recipe: dotted ``--set`` keys, and the flat quick fields of the CLI and ``fit(**fields)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean
from trainlab.recipe_yaml import parse_yaml

QUICK_FIELDS: dict[str, str] = {
    "name": "name",
    "data": "data.name",
    "model": "model.name",
    "loss": "loss.name",
    "optimizer": "optimizer.name",
    "lr": "optimizer.lr",
    "weight_decay": "optimizer.weight_decay",
    "schedule": "schedule.name",
    "steps": "train.steps",
    "epochs": "train.epochs",
    "batch_size": "train.batch_size",
    "grad_accum_steps": "train.grad_accum_steps",
    "grad_clip_norm": "train.grad_clip_norm",
    "grad_clip_value": "train.grad_clip_value",
    "precision": "train.precision",
    "seed": "train.seed",
    "eval_every": "train.eval_every",
    "log_every": "train.log_every",
    "device": "train.device",
    "out": "out",
}


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in ``raw``: ``["optimizer.lr=3e-3"]`` or ``{"optimizer.lr": 3e-3}``.

    A component given as a bare name (``optimizer: adam``) becomes ``{name: adam}`` when one of
    its options is set.
    """
    if not isinstance(overrides, Mapping):
        pairs = {}
        for item in overrides:
            if "=" not in item:
                raise TrainlabError(f"--set '{item}' must look like key=value, e.g. optimizer.lr=3e-3")
            key, text = item.split("=", 1)
            pairs[key.strip()] = parse_yaml(text, source=f"--set {item}") if text.strip() else None
        overrides = pairs
    for dotted, value in overrides.items():
        node = raw
        parts = dotted.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if isinstance(child, str):
                child = {"name": child}
            elif child is None:
                child = {}
            elif not isinstance(child, dict):
                raise TrainlabError(f"--set {dotted}: '{'.'.join(parts[: depth + 1])}' is not a section")
            node[part] = child
            node = child
        node[parts[-1]] = value
    return raw


def quick_overrides(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Map flat names (``lr``, ``batch_size``, ...) to dotted recipe keys, skipping unset ones."""
    unknown = [k for k in fields if k not in QUICK_FIELDS]
    if unknown:
        raise ConfigError(
            [Problem(k, f"unknown field{did_you_mean(k, QUICK_FIELDS)}") for k in unknown],
            source="fit() arguments",
        )
    return {QUICK_FIELDS[k]: v for k, v in fields.items() if v is not None}
