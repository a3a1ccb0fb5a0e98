"""The LR finder's suggestion rules against closed forms, brute force and torch-lr-finder."""

import itertools
import math

import numpy as np
import pytest

from trainlab.diagnose.lr_suggestions import (
    SMOOTHING_BETA,
    TAIL_POINTS_SKIPPED,
    minimum,
    readable_window,
    smooth,
    steepest,
    suggest,
    valley,
)

LRS = np.logspace(-7, 1, 100)


def test_smoothing_is_the_debiased_exponential_average():
    losses = np.random.default_rng(0).uniform(1, 3, 40)
    beta = SMOOTHING_BETA
    expected = [
        (1 - beta) * sum(beta ** (t - k) * losses[k] for k in range(t + 1)) / (1 - beta ** (t + 1))
        for t in range(len(losses))
    ]
    np.testing.assert_allclose(smooth(losses), expected, rtol=1e-12)
    assert smooth([2.5])[0] == pytest.approx(2.5)  # debiased: the first point is the first loss


@pytest.mark.parametrize("centre", [1e-4, 3e-3, 0.1])
def test_steepest_finds_the_inflection_of_a_falling_curve(centre):
    # loss = 2 − tanh((log lr − log centre) / 1.5) falls fastest per decade exactly at lr = centre.
    losses = 2 - np.tanh((np.log(LRS) - np.log(centre)) / 1.5)
    index = steepest(LRS, losses)
    grid_step = np.log(LRS[1] / LRS[0])
    assert abs(np.log(LRS[index]) - np.log(centre)) <= grid_step


def test_steepest_ignores_the_fall_back_after_a_blow_up():
    # Down to a minimum at 1e-2, up a cliff, then (a sweep that ran on) steeply back down.
    logs = np.log10(LRS)
    losses = np.where(logs < -2, 2 - 0.1 * (logs + 7), 1.5 + 10 * (logs + 2))
    losses[logs > 0] = 21.5 - 5 * logs[logs > 0]
    assert LRS[steepest(LRS, losses)] < 1e-2


def test_minimum_over_ten_is_a_decade_below_the_lowest_loss():
    losses = (np.log10(LRS) + 2.0) ** 2 + 1  # lowest at lr = 1e-2
    suggestions = suggest(LRS, losses, planned_steps=100)
    assert suggestions["minimum/10"].lr == pytest.approx(LRS[minimum(LRS, losses)] / 10)
    assert LRS[minimum(LRS, losses)] == pytest.approx(1e-2, rel=0.21)


def _longest_decreasing_run_brute_force(losses):
    """The length of the longest strictly decreasing subsequence and its first possible end, by enumeration."""
    best_length, best_end = 1, 0
    for length in range(2, len(losses) + 1):
        ends = [
            chosen[-1]
            for chosen in itertools.combinations(range(len(losses)), length)
            if all(losses[a] > losses[b] for a, b in itertools.pairwise(chosen))
        ]
        if not ends:
            break
        best_length, best_end = length, min(ends)
    return best_length, best_end


@pytest.mark.parametrize("seed", range(6))
def test_valley_sits_half_way_down_the_longest_decreasing_run(seed):
    losses = np.random.default_rng(seed).normal(size=11).cumsum()
    length, end = _longest_decreasing_run_brute_force(losses)
    start = end - length
    third = (end - start) / 3
    assert valley(LRS[:11], losses) == start + int(third) + int(third / 2)


def test_valley_on_a_textbook_curve_lies_in_the_descent():
    logs = np.log10(LRS)
    losses = 2.3 - 1.5 / (1 + np.exp(-(logs + 3) * 2)) + np.where(logs > -0.5, (logs + 0.5) ** 2 * 20, 0)
    lr = LRS[valley(LRS, losses)]
    assert 1e-4 < lr < LRS[np.argmin(losses)]


def test_the_rules_read_only_the_window_fastai_reads():
    smoothed = list(np.linspace(3, 1, 60)) + [math.nan] * 3
    window = readable_window(smoothed, planned_steps=100)
    assert (window.start, window.stop) == (10, 60 - TAIL_POINTS_SKIPPED)
    too_short = suggest(LRS[:12], np.linspace(3, 1, 12), planned_steps=100)
    assert all(value is None for value in too_short.values())


def test_steepest_agrees_with_torch_lr_finder(tmp_path):
    """torch-lr-finder's suggestion (np.gradient over its window) on the same smoothed curve: the
    same point, or the next one (central against forward differences)."""
    torch_lr_finder = pytest.importorskip("torch_lr_finder")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    rng = np.random.default_rng(1)
    raw = 2.3 - 1.2 / (1 + np.exp(-(np.log10(LRS) + 2.5) * 1.7)) + rng.normal(0, 0.02, len(LRS))
    smoothed = smooth(raw)
    model = torch.nn.Linear(2, 1)
    finder = torch_lr_finder.LRFinder(model, torch.optim.SGD(model.parameters(), lr=1e-7), torch.nn.MSELoss())
    finder.history = {"lr": list(LRS), "loss": smoothed}
    figure, axes = plt.subplots()
    _, theirs = finder.plot(skip_start=10, skip_end=5, suggest_lr=True, ax=axes)
    plt.close(figure)
    ours = suggest(LRS, smoothed, planned_steps=100)["steepest"].lr
    grid_step = np.log(LRS[1] / LRS[0])
    assert abs(np.log(ours) - np.log(theirs)) <= grid_step * 1.01
