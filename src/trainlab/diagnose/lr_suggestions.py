"""The LR range test's suggestion rules (steepest, minimum/10, valley), read off the smoothed loss curve.

The rules and the window they read follow fastai's ``Learner.lr_find``: the first tenth of the
planned steps (the loss has not started to respond) and the last five points (the run-up to a
divergence) are left out, and so is everything from the first non-finite loss on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

SMOOTHING_BETA = 0.98
"""fastai's and torch-lr-finder's weight of the running average (torch-lr-finder: 1 − smooth_f = 0.95)."""
TAIL_POINTS_SKIPPED = 5


@dataclass(frozen=True)
class Suggestion:
    """A rule's learning rate, and the point of the smoothed curve it reads (for the plot)."""

    rule: str
    lr: float
    loss: float


class LossSmoother:
    """The bias-corrected exponential moving average of a loss (fastai's ``AvgSmoothLoss``).

    avg_t = β avg_{t−1} + (1 − β) loss_t, reported as avg_t / (1 − β^t), so the first point is the
    first loss rather than (1 − β) times it.
    """

    def __init__(self, beta: float = SMOOTHING_BETA):
        self.beta, self.average, self.count = beta, 0.0, 0

    def add(self, loss: float) -> float:
        """Take the next loss in; returns the smoothed value."""
        self.count += 1
        self.average = self.beta * self.average + (1.0 - self.beta) * loss
        return self.average / (1.0 - self.beta**self.count)


def smooth(losses: Sequence[float], beta: float = SMOOTHING_BETA) -> list[float]:
    """``losses`` through a :class:`LossSmoother`."""
    smoother = LossSmoother(beta)
    return [smoother.add(loss) for loss in losses]


def steepest(lrs: np.ndarray, losses: np.ndarray) -> int:
    """The point where the loss falls fastest per decade of lr, d loss / d log lr most negative,
    on the way down to the minimum.

    fastai and torch-lr-finder search the whole window; a sweep that ran on past a blow-up can then
    pick the loss coming back down from it (a drop that is no descent at all), so the search here
    ends at the minimum.
    """
    descent = int(np.argmin(losses)) + 1
    if descent < 2:
        return 0
    slopes = np.diff(losses[:descent]) / np.diff(np.log(lrs[:descent]))
    return int(np.argmin(slopes))


def minimum(lrs: np.ndarray, losses: np.ndarray) -> int:
    """The point of lowest loss; the rule then divides its lr by 10 (Smith 2017's "a bit before the minimum")."""
    return int(np.argmin(losses))


def valley(lrs: np.ndarray, losses: np.ndarray) -> int:
    """The point half-way down the longest valley of the curve (1/3 + 1/6 of its length in).

    fastai's ``valley`` (from ESRI's arcgis.learn): longest[i] is the length of the longest strictly
    decreasing subsequence of losses that ends at point i; the valley spans the ``longest[end]``
    points before the first end of maximal length. Far enough from both the flat start and the
    cliff, it is fastai's default rule.
    """
    longest = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher_before = losses[:i] > losses[i]
        if higher_before.any():
            longest[i] = longest[:i][higher_before].max() + 1
    end = int(np.argmax(longest))
    start = end - int(longest[end])
    third = (end - start) / 3
    return start + int(third) + int(third / 2)


RULES: dict[str, tuple[Callable[[np.ndarray, np.ndarray], int], float]] = {
    "steepest": (steepest, 1.0),
    "minimum/10": (minimum, 0.1),
    "valley": (valley, 1.0),
}
"""Each rule's point finder and the factor applied to the lr at that point."""


def suggest(
    lrs: Sequence[float], smoothed: Sequence[float], planned_steps: int, rules: Sequence[str] = tuple(RULES)
) -> dict[str, Suggestion | None]:
    """Every rule's suggestion from a recorded sweep; None where too few usable points remain.

    Args:
        lrs: The learning rate of each recorded step.
        smoothed: The smoothed loss of each recorded step (see :func:`smooth`).
        planned_steps: The steps the sweep was asked for; its first tenth is skipped.
        rules: Names from :data:`RULES`.
    """
    window = readable_window(smoothed, planned_steps)
    usable_lrs = np.asarray(lrs[window], dtype=float)
    usable_losses = np.asarray(smoothed[window], dtype=float)
    suggestions: dict[str, Suggestion | None] = {}
    for rule in rules:
        find, factor = RULES[rule]
        if len(usable_lrs) < 3:
            suggestions[rule] = None
            continue
        index = find(usable_lrs, usable_losses)
        suggestions[rule] = Suggestion(rule, float(usable_lrs[index]) * factor, float(usable_losses[index]))
    return suggestions


def readable_window(smoothed: Sequence[float], planned_steps: int) -> slice:
    """The recorded points the rules read: after the first tenth of the plan, before the last five, all finite."""
    end = len(smoothed)
    for index, loss in enumerate(smoothed):
        if not math.isfinite(loss):
            end = index
            break
    return slice(planned_steps // 10, max(planned_steps // 10, end - TAIL_POINTS_SKIPPED))
