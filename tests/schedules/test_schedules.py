"""Every schedule against torch's scheduler where torch has one; warmup composition; resume safety."""

import math

import pytest
import torch
from torch.optim import lr_scheduler as torch_schedulers

import trainlab
from trainlab.registry import SCHEDULES

TOTAL = 60


def _optimizer(lr=0.1, momentum=0.9):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, momentum=momentum)


def _curve(scheduler, optimizer, steps=TOTAL, key="lr"):
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0][key])
        optimizer.step()
        scheduler.step()
    return values


TORCH_EQUIVALENTS = {
    "constant": ({}, lambda o: torch_schedulers.LambdaLR(o, lambda s: 1.0)),
    "step": ({"step_size": 7, "gamma": 0.5}, lambda o: torch_schedulers.StepLR(o, 7, 0.5)),
    "multistep": (
        {"milestones": [10, 35], "gamma": 0.3},
        lambda o: torch_schedulers.MultiStepLR(o, [10, 35], 0.3),
    ),
    "exponential": ({"gamma": 0.95}, lambda o: torch_schedulers.ExponentialLR(o, 0.95)),
    "cosine": ({"min_lr_ratio": 0.1}, lambda o: torch_schedulers.CosineAnnealingLR(o, TOTAL, eta_min=0.01)),
    "cosine_restarts": (
        {"cycle_steps": 10, "cycle_mult": 2},
        lambda o: torch_schedulers.CosineAnnealingWarmRestarts(o, 10, 2),
    ),
    "polynomial": ({"power": 2.0}, lambda o: torch_schedulers.PolynomialLR(o, TOTAL, 2.0)),
    "linear": ({"min_lr_ratio": 0.2}, lambda o: torch_schedulers.LinearLR(o, 1.0, 0.2, TOTAL)),
    "one_cycle": ({}, lambda o: torch_schedulers.OneCycleLR(o, 0.1, total_steps=TOTAL)),
    "cyclic": (
        {"step_size_up": 8, "min_lr_ratio": 0.1},
        lambda o: torch_schedulers.CyclicLR(o, 0.01, 0.1, step_size_up=8, cycle_momentum=False),
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH_EQUIVALENTS))
def test_schedule_equals_torch(name):
    options, make_reference = TORCH_EQUIVALENTS[name]
    ours_optimizer, reference_optimizer = _optimizer(), _optimizer()
    ours = trainlab.create("schedule", name, ours_optimizer, TOTAL, **options)
    reference = make_reference(reference_optimizer)
    assert isinstance(ours, torch_schedulers.LRScheduler)
    torch.testing.assert_close(
        _curve(ours, ours_optimizer), _curve(reference, reference_optimizer), rtol=1e-9, atol=1e-12
    )


def test_one_cycle_cycles_momentum_like_torch():
    ours_optimizer, reference_optimizer = _optimizer(), _optimizer()
    ours = trainlab.create("schedule", "one_cycle", ours_optimizer, TOTAL)
    reference = torch_schedulers.OneCycleLR(reference_optimizer, 0.1, total_steps=TOTAL)
    torch.testing.assert_close(
        _curve(ours, ours_optimizer, key="momentum"), _curve(reference, reference_optimizer, key="momentum")
    )


def test_one_cycle_sets_adams_beta1():
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    trainlab.create("schedule", "one_cycle", optimizer, TOTAL)
    assert optimizer.param_groups[0]["betas"][0] == pytest.approx(0.95)


def test_inverse_sqrt_and_wsd_follow_their_formulas():
    optimizer = _optimizer(lr=1.0)
    lrs = _curve(trainlab.create("schedule", "inverse_sqrt", optimizer, TOTAL, warmup_steps=4), optimizer)
    for step in range(4, TOTAL):
        assert lrs[step] == pytest.approx(math.sqrt(4 / step))
    optimizer = _optimizer(lr=1.0)
    lrs = _curve(trainlab.create("schedule", "wsd", optimizer, TOTAL, decay_fraction=0.25), optimizer)
    assert lrs[:45] == [1.0] * 45
    assert lrs[45] == 1.0 and lrs[-1] == pytest.approx(1 / 15)


@pytest.mark.parametrize("kind", ["linear", "exponential"])
@pytest.mark.parametrize("name", SCHEDULES.names())
def test_warmup_composes_with_every_schedule(name, kind):
    warmup = 10
    options = {"timescale": 5} if name == "inverse_sqrt" else {}  # its default timescale is the warmup length
    optimizer = _optimizer(lr=1.0)
    lrs = _curve(
        trainlab.create("schedule", name, optimizer, TOTAL, warmup_steps=warmup, warmup=kind, **options),
        optimizer,
    )
    # Without warmup the schedule starts at its own step 0; with warmup it starts there after the ramp.
    plain_optimizer = _optimizer(lr=1.0)
    plain_schedule = trainlab.create("schedule", name, plain_optimizer, TOTAL - warmup, **options)
    plain = _curve(plain_schedule, plain_optimizer, TOTAL - warmup)
    ramp = lrs[:warmup]
    assert all(a < b for a, b in zip(ramp, ramp[1:], strict=False)) and ramp[-1] <= plain[0]
    if kind == "linear":
        assert ramp[0] == pytest.approx(plain[0] / (warmup + 1))
    else:
        assert ramp[0] == pytest.approx(plain[0] * 0.01)
    torch.testing.assert_close(lrs[warmup:], plain)


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_schedule_resumes_from_its_state_dict(name):
    optimizer = _optimizer()
    scheduler = trainlab.create("schedule", name, optimizer, TOTAL, warmup_steps=5)
    _curve(scheduler, optimizer, 20)
    state = scheduler.state_dict()
    torch.save(state, "/dev/null")  # plain data: no functions to pickle
    expected = _curve(scheduler, optimizer, 20)
    resumed_optimizer = _optimizer()
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed = trainlab.create("schedule", name, resumed_optimizer, TOTAL, warmup_steps=5)
    resumed.load_state_dict(state)
    resumed_optimizer.param_groups[0]["lr"] = resumed.get_last_lr()[0]
    torch.testing.assert_close(_curve(resumed, resumed_optimizer, 20), expected)


def test_reduce_on_plateau_matches_torch():
    values = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.85, 0.86, 0.87, 0.9, 0.95]
    ours_optimizer, reference_optimizer = _optimizer(), _optimizer()
    ours = trainlab.create("schedule", "reduce_on_plateau", ours_optimizer, TOTAL, factor=0.5, patience=2)
    reference = torch_schedulers.ReduceLROnPlateau(reference_optimizer, factor=0.5, patience=2)
    for value in values:
        ours.observe(value)
        reference.step(value)
        assert ours_optimizer.param_groups[0]["lr"] == pytest.approx(
            reference_optimizer.param_groups[0]["lr"]
        )
    assert ours_optimizer.param_groups[0]["lr"] < 0.1


def test_reduce_on_plateau_from_a_recipe_watches_the_training_loss():
    # With a negligible lr the loss cannot improve, so with patience 0 every log halves the lr.
    recipe = {
        "data": "iris",
        "model": "mlp",
        "optimizer": {"name": "sgd", "lr": 1e-12},
        "schedule": {"name": "reduce_on_plateau", "patience": 0, "factor": 0.5, "threshold": 0.1},
        "train": {"steps": 4, "log_every": 1},
    }
    lrs = [r["lr"] for r in trainlab.fit(recipe, save=False).history if r["type"] == "step"]
    assert lrs[-1] < lrs[0]
