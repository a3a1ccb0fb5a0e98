"""Run registered optimizers on a 2-D test function and draw their trajectories."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch

from trainlab.errors import ConfigError, Problem
from trainlab.playground.figures import check_figure_path, pyplot, save_figure
from trainlab.playground.functions import TestFunction
from trainlab.registry import OPTIMIZERS

# Learning rates that make the classic pictures legible on these functions (gradients of order 1–100);
# the registry defaults are tuned for networks. Anything not listed keeps its registry default.
PLAYGROUND_LR = {
    "sgd": 1e-3,
    "momentum": 1e-3,
    "nesterov": 1e-3,
    "asgd": 1e-3,
    "adagrad": 0.5,
    "adadelta": 1.0,
    "rmsprop": 1e-2,
    "centered_rmsprop": 1e-2,
    "adam": 5e-2,
    "adamw": 5e-2,
    "amsgrad": 5e-2,
    "nadam": 5e-2,
    "adamax": 5e-2,
    "radam": 5e-2,
    "adafactor": 5e-2,
    "lion": 1e-2,
    "lamb": 5e-2,
    "adabelief": 5e-2,
    "schedule_free_sgd": 1e-3,
    "schedule_free_adamw": 5e-2,
    "rprop": 1e-2,
    "lars": 10.0,
}
UNSUITABLE = {"muon": "Muon needs 2-D weight matrices; a point in the plane is a vector"}


@dataclass
class Trajectory:
    """The path of one optimizer.

    Attributes:
        optimizer: Its registered name.
        points: (steps + 1, 2) positions, the start included.
        values: f at each point.
        steps_to_tolerance: First step within ``tolerance`` of a global minimizer, or None.
    """

    optimizer: str
    points: torch.Tensor
    values: torch.Tensor
    steps_to_tolerance: int | None


def run_playground(
    function: TestFunction,
    optimizers: list[str],
    *,
    steps: int = 500,
    tolerance: float = 1e-3,
    lr: float | None = None,
    start: tuple[float, float] | None = None,
) -> list[Trajectory]:
    """Minimize ``function`` from its start point with each optimizer.

    Args:
        function: The 2-D test function.
        optimizers: Registered optimizer names.
        steps: Optimizer steps per run.
        tolerance: Distance to a global minimizer that counts as reached.
        lr: One learning rate for all (default: the playground's per-optimizer rates).
        start: Starting point (default: the function's).

    Raises:
        ConfigError: naming unknown or unsuitable optimizers, with the closest names.
    """
    problems = []
    for name in optimizers:
        if name not in OPTIMIZERS:
            problems.append(Problem("--optimizers", OPTIMIZERS.unknown_name_message(name)))
        elif OPTIMIZERS.get(name).name in UNSUITABLE:
            problems.append(Problem("--optimizers", f"'{name}': {UNSUITABLE[OPTIMIZERS.get(name).name]}"))
        elif OPTIMIZERS.get(name).flags.get("needs_residuals") and function.residuals is None:
            problems.append(
                Problem("--optimizers", f"'{name}' needs a sum of squares and {function.name} is not one")
            )
    if problems:
        raise ConfigError(problems)
    return [_run_one(function, name, steps, tolerance, lr, start or function.start) for name in optimizers]


def _run_one(
    function: TestFunction,
    name: str,
    steps: int,
    tolerance: float,
    lr: float | None,
    start: tuple[float, float],
) -> Trajectory:
    entry = OPTIMIZERS.get(name)
    point = torch.tensor(
        [start], dtype=torch.float64, requires_grad=True
    )  # (1, 2): a "weight", so decay applies
    options: dict[str, Any] = {}
    rate = lr if lr is not None else PLAYGROUND_LR.get(entry.name)
    if rate is not None and "lr" in entry.parameters():
        options["lr"] = rate
    elif rate is not None and "base_options" in entry.parameters():
        options["base_options"] = {"lr": rate}
    optimizer = entry.build([point], **options)
    needs_closure = isinstance(optimizer, torch.optim.LBFGS) or getattr(optimizer, "needs_closure", False)

    def closure(create_graph: bool = False, residuals: bool = False) -> torch.Tensor:
        if residuals:  # Levenberg-Marquardt and Gauss-Newton: f = ‖r‖²
            assert function.residuals is not None, "run_playground checked that f is a sum of squares"
            return function.residuals(point[0, 0], point[0, 1])
        optimizer.zero_grad()
        value = function(point[0])
        value.backward(create_graph=create_graph)
        return value

    points, reached = [point.detach()[0].clone()], None
    for step in range(1, steps + 1):
        value = closure()
        if not torch.isfinite(value):
            break
        optimizer.step(closure) if needs_closure else optimizer.step()
        current = _evaluation_point(optimizer, point)
        points.append(current)
        if reached is None and function.distance_to_minimum(current) < tolerance:
            reached = step
    path = torch.stack(points)
    return Trajectory(entry.name, path, function(path).detach(), reached)


@runtime_checkable
class _WithModes(Protocol):
    """An optimizer whose evaluation weights differ from its training point (schedule-free)."""

    def train(self) -> None: ...

    def eval(self) -> None: ...


def _evaluation_point(optimizer: torch.optim.Optimizer, point: torch.Tensor) -> torch.Tensor:
    # Schedule-free methods evaluate at their average x, not at the gradient point y.
    if isinstance(optimizer, _WithModes):
        optimizer.eval()
        current = point.detach()[0].clone()
        optimizer.train()
        return current
    return point.detach()[0].clone()


def plot_trajectories(function: TestFunction, trajectories: list[Trajectory], out: str | Path) -> Path:
    """Contours of ``function`` with every trajectory; the format follows the suffix (.png, .svg, .pdf).

    Raises:
        TrainlabError: an unsupported file suffix.
    """
    check_figure_path(out)
    plt = pyplot()

    (x_min, x_max), (y_min, y_max) = function.bounds
    xs, ys = torch.meshgrid(
        torch.linspace(x_min, x_max, 300, dtype=torch.float64),
        torch.linspace(y_min, y_max, 300, dtype=torch.float64),
        indexing="xy",
    )
    zs = function.f(xs, ys)
    if function.log_levels:
        zs = torch.log1p(zs - zs.min())
    figure, axes = plt.subplots(figsize=(7, 6))
    axes.contourf(xs.numpy(), ys.numpy(), zs.numpy(), levels=40, cmap="Greys", alpha=0.6)
    axes.contour(xs.numpy(), ys.numpy(), zs.numpy(), levels=20, colors="grey", linewidths=0.4)
    for minimum in function.minima:
        axes.plot(*minimum, marker="*", color="gold", markersize=14, markeredgecolor="black", zorder=5)
    for trajectory in trajectories:
        path = trajectory.points.numpy()
        inside = (
            (path[:, 0] >= x_min - 1)
            & (path[:, 0] <= x_max + 1)
            & (path[:, 1] >= y_min - 1)
            & (path[:, 1] <= y_max + 1)
        )
        path = path[inside.cumprod().astype(bool)]  # stop drawing where a run leaves the window for good
        label = trajectory.optimizer + (
            f" ({trajectory.steps_to_tolerance} steps)" if trajectory.steps_to_tolerance else ""
        )
        axes.plot(path[:, 0], path[:, 1], marker="o", markersize=1.5, linewidth=1.2, label=label)
    axes.plot(*function.start, marker="x", color="black", markersize=9)
    axes.set_xlim(x_min, x_max)
    axes.set_ylim(y_min, y_max)
    axes.set_title(f"{function.name}: {function.formula}", fontsize=10)
    axes.legend(loc="best", fontsize=8)
    return save_figure(figure, out, bbox_inches="tight")


def final_value(trajectory: Trajectory) -> float:
    value = float(trajectory.values[-1])
    return value if math.isfinite(value) else math.inf
