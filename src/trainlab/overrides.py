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


# Keys of which a recipe may set only one. An override of one replaces the other where the recipe
# set it (``--steps 100`` over a recipe with ``epochs: 20``); giving both as overrides is an error.
EXCLUSIVE_KEYS = (("train.steps", "train.epochs"), ("train.grad_clip_norm", "train.grad_clip_value"))


def parse_overrides(items: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """``["optimizer.lr=3e-3"]`` as ``{"optimizer.lr": 0.003}`` (values are read as YAML); a mapping passes through."""
    if isinstance(items, Mapping):
        return dict(items)
    pairs: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise TrainlabError(f"--set '{item}' must look like key=value, e.g. optimizer.lr=3e-3")
        key, text = item.split("=", 1)
        pairs[key.strip()] = parse_yaml(text, source=f"--set {item}") if text.strip() else None
    return pairs


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in ``raw``: ``["optimizer.lr=3e-3"]`` or ``{"optimizer.lr": 3e-3}``.

    A component given as a bare name (``optimizer: adam``) becomes ``{name: adam}`` when one of
    its options is set.
    """
    for dotted, value in parse_overrides(overrides).items():
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


def replace_exclusive(raw: dict[str, Any], overrides: Mapping[str, Any]) -> list[str]:
    """Clear the recipe's half of each exclusive pair whose other half ``overrides`` set; say what changed.

    Raises:
        ConfigError: the overrides set both halves of a pair.
    """
    notes = []
    for first, second in EXCLUSIVE_KEYS:
        given = [key for key in (first, second) if overrides.get(key) is not None]
        if len(given) == 2:
            raise ConfigError([Problem(second, f"can't set both `{first}` and `{second}`; keep one")])
        if not given:
            continue
        other = second if given[0] == first else first
        section, field = other.split(".")
        recipe_section = raw.get(section)
        if isinstance(recipe_section, dict) and recipe_section.get(field) is not None:
            notes.append(
                f"{given[0]}={overrides[given[0]]} replaced the recipe's {other}: {recipe_section[field]}"
            )
            recipe_section[field] = None
    return notes


def quick_overrides(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Map flat names (``lr``, ``batch_size``, ...) to dotted recipe keys, skipping unset ones."""
    unknown = [k for k in fields if k not in QUICK_FIELDS]
    if unknown:
        raise ConfigError(
            [Problem(k, f"unknown field{did_you_mean(k, QUICK_FIELDS)}") for k in unknown],
            source="fit() arguments",
        )
    return {QUICK_FIELDS[k]: v for k, v in fields.items() if v is not None}


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: ``{"train": {"steps": 3}}`` is ``{"train.steps": 3}`` (lists stay whole)."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat
