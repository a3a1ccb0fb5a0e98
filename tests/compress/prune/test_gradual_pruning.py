"""Zhu & Gupta's polynomial sparsity schedule, against the formula, and the callback that follows it."""

import pytest
import torch
from torch import nn

from trainlab.compress.prune import GradualPruning, layer_sparsity, polynomial_sparsity
from trainlab.errors import ConfigError
from trainlab.registry import CALLBACKS


@pytest.mark.parametrize("step", [0, 100, 150, 400, 700, 1000, 1300, 5000])
def test_schedule_is_the_cubic_formula(step):
    initial, final, start, every, n = 0.1, 0.9, 100, 100, 10
    t = min(max(step, start), start + n * every)
    expected = final + (initial - final) * (1 - (t - start) / (n * every)) ** 3
    assert polynomial_sparsity(step, initial=initial, final=final, start=start, end=start + n * every) == (
        pytest.approx(expected)
    )


class FakeTrainer:
    def __init__(self, model):
        self.model, self.step = model, 0


def test_the_callback_prunes_on_its_schedule_and_holds_the_final_sparsity():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 50), nn.ReLU(), nn.Linear(50, 10))
    callback = CALLBACKS.get("gradual_pruning").build(
        final_sparsity=0.8, start_step=10, end_step=50, every=10
    )
    trainer = FakeTrainer(model)
    callback.on_fit_start(trainer)
    seen = {}
    for step in range(1, 61):
        trainer.step = step
        with torch.no_grad():  # stands in for an update that would revive pruned weights
            for parameter in model.parameters():
                parameter.add_(0.01)
        callback.on_step_end(trainer)
        seen[step] = layer_sparsity(model)["0.weight"]
    for step in (10, 20, 30, 40, 50):
        expected = polynomial_sparsity(step, initial=0.0, final=0.8, start=10, end=50)
        assert abs(seen[step] - expected) <= 0.5 / (20 * 50) + 1e-9  # round() to whole weights
    assert seen[9] == 0.0
    assert seen[15] == seen[10]  # between pruning steps the masks hold, despite the updates
    assert seen[60] == pytest.approx(0.8)
    assert layer_sparsity(model)["2.weight"] == pytest.approx(0.8)


def test_bad_schedules_name_their_options():
    with pytest.raises(ConfigError, match="end_step"):
        GradualPruning(final_sparsity=0.5, start_step=100, end_step=100)
    with pytest.raises(ConfigError, match="initial_sparsity"):
        GradualPruning(final_sparsity=0.5, initial_sparsity=0.6)
    with pytest.raises(ConfigError, match="final_sparsity"):
        CALLBACKS.get("gradual_pruning").build(final_sparsity=1.0)
