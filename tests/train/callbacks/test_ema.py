"""EMA and SWA of the weights against averages computed by hand; evaluation swaps them in and out."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

import trainlab
from trainlab.train.callbacks import EMA, SWA


def _trainer(model, step=0, total_steps=100):
    return SimpleNamespace(model=model, step=step, total_steps=total_steps, eval_sets={})


def test_ema_follows_the_recurrence_with_decay_warmup():
    model = nn.Linear(3, 2)
    ema = EMA(decay=0.9, warmup=True)
    trainer = _trainer(model)
    ema.on_fit_start(trainer)
    expected = model.weight.detach().clone()
    for step in range(1, 6):
        with torch.no_grad():
            model.weight.add_(torch.randn_like(model.weight))
        trainer.step = step
        decay = min(0.9, (1 + step - 1) / (10 + step - 1))
        expected = decay * expected + (1 - decay) * model.weight.detach()
        ema.on_step_end(trainer)
    torch.testing.assert_close(ema.average["weight"], expected)


def test_ema_swaps_in_for_evaluation_and_back():
    model = nn.Linear(2, 1)
    ema = EMA(decay=0.5, warmup=False)
    trainer = _trainer(model)
    ema.on_fit_start(trainer)
    live = model.weight.detach().clone()
    ema.average["weight"] = torch.zeros_like(live)
    ema.on_eval_start(trainer, "val")
    assert torch.all(model.weight == 0)
    ema.on_eval_end(trainer, "val", {})
    torch.testing.assert_close(model.weight.detach(), live)


def test_ema_state_round_trip_keeps_the_average():
    ema = EMA(0.99)
    ema.on_fit_start(_trainer(nn.Linear(2, 2)))
    restored = EMA(0.99)
    restored.load_state_dict(ema.state_dict())
    torch.testing.assert_close(restored.average["weight"], ema.average["weight"])


def test_swa_is_the_mean_of_the_weights_after_start():
    model = nn.Linear(2, 2)
    swa = SWA(start=0.5)
    seen = []
    for step in range(1, 11):
        with torch.no_grad():
            model.weight.add_(1.0)
        if step >= 5:
            seen.append(model.weight.detach().clone())
        swa.on_step_end(_trainer(model, step=step, total_steps=10))
    torch.testing.assert_close(swa.average["weight"], torch.stack(seen).mean(0))


@pytest.mark.parametrize("name", ["ema", "swa"])
def test_averaging_from_a_recipe_evaluates_with_averaged_weights(name):
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "norm": "batch"},
        "callbacks": [name],
        "train": {"steps": 8, "eval_every": 4},
    }
    result = trainlab.fit(recipe, save=False)
    assert 0 <= result.summary["test"]["accuracy"] <= 1
