"""``trainlab schedule plot``: a schedule's learning-rate (and momentum) curve, as data and as a PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from trainlab.errors import ConfigError, Problem
from trainlab.nn._spec import check_spec
from trainlab.playground.figures import check_figure_path, pyplot, save_figure
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


# A plot of a long run shows this many points: its first steps exactly (warmup lives there), then an
# even sample, so that `--steps 100000000` takes a moment instead of minutes and gigabytes.
EXACT_STEPS = 1000
MAX_POINTS = 10_000


def schedule_curve(
    spec: str | Mapping[str, Any], total_steps: int, lr: float = 1.0
) -> dict[str, list[float]]:
    """The learning rate (and the momentum, when the schedule changes it) on an SGD optimizer.

    Every step for a run of up to ``MAX_POINTS`` steps; beyond that the first ``EXACT_STEPS``
    steps and an even sample of the rest. Each schedule is ``base_lr * factor(step)`` with a pure
    ``factor`` (see ``trainlab.schedules``), so a sampled step costs what any step does.
    """
    entry, options = check_spec(
        get_registry("schedule"), spec, key="schedule", provided=("optimizer", "total_steps")
    )
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = entry.factory(optimizer, total_steps, **options)
    steps = _sampled_steps(total_steps)
    lrs = [lr * scheduler.factor(step) for step in steps]
    momenta = [scheduler.momentum(step) if scheduler.momentum else 0.9 for step in steps]
    curve = {"step": steps, "lr": lrs}
    if len(set(momenta)) > 1:
        curve["momentum"] = momenta
    return curve


def _sampled_steps(total_steps: int) -> list[int]:
    if total_steps <= MAX_POINTS:
        return list(range(total_steps))
    spacing = (total_steps - 1 - EXACT_STEPS) / (MAX_POINTS - EXACT_STEPS - 1)
    sampled = {EXACT_STEPS + round(i * spacing) for i in range(MAX_POINTS - EXACT_STEPS)}
    return [*range(EXACT_STEPS), *sorted(sampled)]


def plot_schedule(curve: Mapping[str, list[float]], title: str, path: str | Path) -> Path:
    """Draw the curve (momentum on a second axis when present) to ``path`` (.png, .svg or .pdf)."""
    check_figure_path(path)
    figure, axis = pyplot().subplots(figsize=(7, 3.5))
    axis.plot(curve["step"], curve["lr"], color="tab:blue", label="lr")
    axis.set_xlabel("step")
    axis.set_ylabel("learning rate", color="tab:blue")
    if "momentum" in curve:
        second = axis.twinx()
        second.plot(curve["step"], curve["momentum"], color="tab:orange", label="momentum")
        second.set_ylabel("momentum", color="tab:orange")
    axis.set_title(title)
    figure.tight_layout()
    return save_figure(figure, path)
