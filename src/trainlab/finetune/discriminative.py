"""Discriminative learning rates: each layer below the head trains at ``factor`` times the lr of the layer above."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.finetune.layers import model_layers
from trainlab.optim._param_groups import group_specs, make_param_groups
from trainlab.registry import Entry

KEY = "discriminative_lr"


def discriminative_optimizer(
    entry: Entry,
    model: nn.Module,
    params: Sequence[tuple[str, torch.Tensor]],
    options: dict[str, Any],
    factor: float,
) -> torch.optim.Optimizer:
    """The optimizer ``entry`` with one param group per (name-pattern group, depth) and lr scaled by depth.

    The optimizer's own groups come first, as it would make them (``param_groups`` patterns with
    their ``lr`` and ``weight_decay``, biases and norms without decay); each is then split by the
    depth of its parameters in :func:`~trainlab.finetune.layers.model_layers`: the head (depth 0)
    keeps the group's lr, the layer below ``lr * factor``, the next ``lr * factor**2``, and so on
    (Howard & Ruder 2018, ULMFiT, sec. 3.2: "discriminative fine-tuning").

    Args:
        entry: A registered optimizer that takes ``lr`` and ``param_groups``.
        model: The model, for its layers.
        params: The ``(name, tensor)`` pairs to optimize.
        options: The recipe's optimizer options.
        factor: Multiplier per layer of depth.

    Raises:
        ConfigError: the optimizer has no per-group lr (one group only, or no ``lr``/``param_groups``).
    """
    accepted = entry.parameters()
    if "lr" not in accepted or "param_groups" not in accepted:
        raise ConfigError(
            [Problem(KEY, f"optimizer '{entry.name}' takes no per-group lr; use adam, adamw, sgd or another")]
        )
    # Converted as the optimizer would convert them (a YAML ``1e-2`` is read as a string).
    options, problems = entry.check_kwargs(options, provided=("params",), key="optimizer")
    if problems:
        raise ConfigError(problems)
    base_lr = options.get("lr", accepted["lr"].default)
    weight_decay = options.get(
        "weight_decay", accepted["weight_decay"].default if "weight_decay" in accepted else 0
    )
    specs = group_specs(options.get("param_groups"))
    groups = make_param_groups(
        params,
        param_groups=specs,
        decay_norm_and_bias=options.get("decay_norm_and_bias", False),
        has_weight_decay=bool(weight_decay) or any(s.weight_decay for s in specs),
    )
    layers = model_layers(model)
    depth_of_name = {
        name: len(layers) - 1 - index for index, layer in enumerate(layers) for name in layer.parameters
    }
    depth = {id(tensor): depth_of_name[name] for name, tensor in params}
    split_groups = []
    for group in groups:
        by_depth: dict[int, list[torch.Tensor]] = {}
        for tensor in group["params"]:
            by_depth.setdefault(depth[id(tensor)], []).append(tensor)
        for level, tensors in sorted(by_depth.items(), reverse=True):
            split_groups.append({**group, "params": tensors, "lr": group.get("lr", base_lr) * factor**level})
    rest = {
        key: value for key, value in options.items() if key not in ("param_groups", "decay_norm_and_bias")
    }
    optimizer: torch.optim.Optimizer = entry.build(split_groups, **rest)
    if len(optimizer.param_groups) != len(split_groups):
        raise ConfigError(
            [
                Problem(
                    KEY,
                    f"optimizer '{entry.name}' keeps all parameters in one group, so they share one lr; "
                    "use adam, adamw, sgd or another",
                )
            ]
        )
    return optimizer
