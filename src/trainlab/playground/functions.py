"""The classic 2-D test functions of optimizer comparison pictures."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from trainlab.errors import ConfigError, Problem, did_you_mean


@dataclass(frozen=True)
class TestFunction:
    """A differentiable f(x, y) with where to start, where its minima are, and what to draw.

    Attributes:
        name: The name typed on the command line.
        formula: Shown in the plot title.
        f: Takes two tensors (x, y), returns f elementwise.
        start: The usual starting point.
        minima: Global minimizers; empty when f is unbounded below (the saddle).
        bounds: Plot window ((x_min, x_max), (y_min, y_max)).
        log_levels: Draw contours of log(1 + f − f_min) (for steep valleys).
        residuals: Takes (x, y), returns the stacked residuals r with f = Σ r² (least-squares
            optimizers need them); None when f is not a sum of squares.
    """

    name: str
    formula: str
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    log_levels: bool = False
    residuals: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    def __call__(self, point: torch.Tensor) -> torch.Tensor:
        return self.f(point[..., 0], point[..., 1])

    @property
    def minimum_value(self) -> float | None:
        if not self.minima:
            return None
        return float(self(torch.tensor(self.minima[0], dtype=torch.float64)))

    def distance_to_minimum(self, point: torch.Tensor) -> float:
        """Distance from ``point`` to the nearest global minimizer (inf when there is none)."""
        if not self.minima:
            return math.inf
        minima = torch.tensor(self.minima, dtype=point.dtype)
        return float(torch.linalg.vector_norm(minima - point.detach(), dim=1).min())


def _quadratic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Condition number 100: the canonical case where gradient descent zig-zags.
    return 0.5 * (x**2 + 100.0 * y**2)


def _rastrigin(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 20.0 + x**2 - 10.0 * torch.cos(2 * math.pi * x) + y**2 - 10.0 * torch.cos(2 * math.pi * y)


def _rastrigin_residuals(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # 10 − 10 cos 2πx = 20 sin² πx, so each coordinate contributes x² + (√20 sin πx)².
    amplitude = math.sqrt(20.0)
    return torch.stack([x, amplitude * torch.sin(math.pi * x), y, amplitude * torch.sin(math.pi * y)])


FUNCTIONS: dict[str, TestFunction] = {
    f.name: f
    for f in (
        TestFunction(
            "rosenbrock",
            "(1 − x)² + 100 (y − x²)²",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
            start=(-1.5, 2.0),
            minima=((1.0, 1.0),),
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
            log_levels=True,
            residuals=lambda x, y: torch.stack([1 - x, 10 * (y - x**2)]),
        ),
        TestFunction(
            "beale",
            "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
            lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
            start=(1.0, 1.4),
            minima=((3.0, 0.5),),
            bounds=((-4.5, 4.5), (-4.5, 4.5)),
            log_levels=True,
            residuals=lambda x, y: torch.stack([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3]),
        ),
        TestFunction(
            "himmelblau",
            "(x² + y − 11)² + (x + y² − 7)²",
            lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
            start=(0.0, 0.0),
            minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            log_levels=True,
            residuals=lambda x, y: torch.stack([x**2 + y - 11, x + y**2 - 7]),
        ),
        TestFunction(
            "saddle",
            "x² − y²",
            lambda x, y: x**2 - y**2,
            start=(1.0, 1e-3),
            minima=(),
            bounds=((-1.5, 1.5), (-1.5, 1.5)),
        ),
        TestFunction(
            "quadratic",
            "½ (x² + 100 y²), condition number 100",
            _quadratic,
            start=(-4.0, 1.0),
            minima=((0.0, 0.0),),
            bounds=((-5.0, 5.0), (-1.5, 1.5)),
            log_levels=True,
            residuals=lambda x, y: torch.stack([x, 10.0 * y]) / math.sqrt(2.0),
        ),
        TestFunction(
            "rastrigin",
            "20 + Σ x² − 10 cos 2πx",
            _rastrigin,
            start=(-2.3, 2.7),
            minima=((0.0, 0.0),),
            bounds=((-5.12, 5.12), (-5.12, 5.12)),
            residuals=_rastrigin_residuals,
        ),
    )
}


def get_function(name: str, key: str = "--function") -> TestFunction:
    """The test function ``name``.

    Raises:
        ConfigError: naming the closest function names.
    """
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    hint = did_you_mean(name, FUNCTIONS) or "; choose from " + ", ".join(FUNCTIONS)
    raise ConfigError([Problem(key, f"'{name}' is not a playground function{hint}")])
