"""The contract every optimizer keeps, parametrized over the registry and over our own classes.

State round-trip mid-run (bit-identical continuation), LR schedulers, several param groups,
maximize, and the multi-tensor path agreeing with the per-parameter loop.
"""

import copy

import pytest
import torch

import trainlab.optim as optim
from trainlab.registry import OPTIMIZERS

FIRST_ORDER = {
    "lion": lambda p, **kw: optim.Lion(p, lr=1e-2, weight_decay=0.1, **kw),
    "lamb": lambda p, **kw: optim.Lamb(p, lr=1e-2, weight_decay=0.01, **kw),
    "lars": lambda p, **kw: optim.Lars(p, lr=1.0, weight_decay=1e-3, **kw),
    "adabelief": lambda p, **kw: optim.AdaBelief(p, lr=1e-2, weight_decay=0.01, **kw),
    "schedule_free_sgd": lambda p, **kw: optim.ScheduleFreeSGD(p, lr=0.1, weight_decay=0.01, **kw),
    "schedule_free_adamw": lambda p, **kw: optim.ScheduleFreeAdamW(p, lr=1e-2, weight_decay=0.01, **kw),
}


def make_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.LayerNorm(8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    )


def batch(step):
    generator = torch.Generator().manual_seed(step)
    return torch.randn(16, 5, generator=generator), torch.randint(0, 3, (16,), generator=generator)


def closure_for(model, optimizer, step):
    inputs, targets = batch(step)

    def closure(create_graph=False, residuals=False):
        if residuals:  # least-squares optimizers (levenberg_marquardt, gauss_newton): one-hot targets
            return (model(inputs) - torch.nn.functional.one_hot(targets, 3).float()).flatten()
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward(create_graph=create_graph)
        return loss

    return closure


def train(model, optimizer, steps, start=0):
    for step in range(start, start + steps):
        closure = closure_for(model, optimizer, step)
        closure()
        optimizer.step(closure)


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_state_dict_round_trip_continues_bit_identically(name):
    options = {"base_options": {"lr": 0.05}} if name in ("sam", "asam", "lookahead") else {}
    model = make_model()
    optimizer = OPTIMIZERS.create(name, list(model.named_parameters()), **options)
    train(model, optimizer, 3)
    saved_model, saved_state = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    train(model, optimizer, 3, start=3)

    resumed = make_model(seed=1)
    resumed.load_state_dict(saved_model)
    reloaded = OPTIMIZERS.create(name, list(resumed.named_parameters()), **options)
    reloaded.load_state_dict(saved_state)
    train(resumed, reloaded, 3, start=3)
    for a, b in zip(model.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_foreach_and_loop_paths_agree(name):
    results = []
    for foreach in (True, False):
        model = make_model()
        optimizer = FIRST_ORDER[name](model.parameters(), foreach=foreach)
        train(model, optimizer, 5)
        results.append(list(model.parameters()))
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_lr_scheduler_drives_the_learning_rate(name):
    model = make_model()
    optimizer = FIRST_ORDER[name](model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for step in range(3):
        closure_for(model, optimizer, step)()
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(
        FIRST_ORDER[name]([torch.zeros(1)]).defaults["lr"] / 8
    )


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_param_groups_with_zero_lr_freeze_their_parameters(name):
    model = make_model()
    frozen_before = model[0].weight.detach().clone()
    groups = [
        {"params": [model[0].weight], "lr": 1e-12},
        {"params": [p for n, p in model.named_parameters() if n != "0.weight"]},
    ]
    optimizer = FIRST_ORDER[name](groups)
    other_before = model[3].weight.detach().clone()
    train(model, optimizer, 3)
    torch.testing.assert_close(model[0].weight, frozen_before, atol=1e-9, rtol=0)
    assert not torch.allclose(model[3].weight, other_before)


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_maximize_is_minimizing_the_negated_loss(name):
    results = []
    for maximize in (False, True):
        torch.manual_seed(0)
        weight = torch.randn(4, 3, requires_grad=True)
        optimizer = FIRST_ORDER[name]([weight], maximize=maximize)
        for _ in range(4):
            optimizer.zero_grad()
            loss = ((weight - 1.0) ** 2).sum()
            (-loss if maximize else loss).backward()
            optimizer.step()
        results.append(weight.detach())
    torch.testing.assert_close(results[0], results[1])
