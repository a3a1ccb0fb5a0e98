"""``trainlab schedule plot``: a schedule's learning-rate (and momentum) curve, as data and as a PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import check_spec
from trainlab.registry import get_registry


def parse_spec(text: str) -> dict[str, Any]:
    """``cosine`` or a YAML mapping such as ``{name: cosine, warmup_steps: 100}``, as a spec mapping."""
    from trainlab.recipe_yaml import parse_yaml

    value = parse_yaml(text, source="SPEC")
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, Mapping):
        raise ConfigError(
            [Problem("SPEC", "give a schedule name or a mapping like '{name: cosine, warmup_steps: 100}'")]
        )
    return dict(value)


def schedule_curve(
    spec: str | Mapping[str, Any], total_steps: int, lr: float = 1.0
) -> dict[str, list[float]]:
    """The learning rate at every step (and the momentum, when the schedule changes it), on an SGD optimizer."""
    entry, options = check_spec(
        get_registry("schedule"), spec, key="schedule", provided=("optimizer", "total_steps")
    )
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = entry.factory(optimizer, total_steps, **options)
    lrs, momenta = [], []
    for _ in range(total_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    curve = {"step": list(range(total_steps)), "lr": lrs}
    if len(set(momenta)) > 1:
        curve["momentum"] = momenta
    return curve


def plot_schedule(curve: Mapping[str, list[float]], title: str, path: str | Path) -> Path:
    """Draw the curve (momentum on a second axis when present) to a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.plot(curve["step"], curve["lr"], color="tab:blue", label="lr")
    axis.set_xlabel("step")
    axis.set_ylabel("learning rate", color="tab:blue")
    if "momentum" in curve:
        second = axis.twinx()
        second.plot(curve["step"], curve["momentum"], color="tab:orange", label="momentum")
        second.set_ylabel("momentum", color="tab:orange")
    axis.set_title(title)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
