"""The LR range test on torch objects: the schedule it follows, where it stops, and that it puts everything back."""

import math

import pytest
import torch
from torch import nn

from trainlab.data import make_batch_iterator
from trainlab.diagnose.lr_finder import LRFindReport, LRSweep, lr_range_test
from trainlab.errors import TrainlabError
from trainlab.registry import OPTIMIZERS
from trainlab.train.seed import rng_state

FIRST_ORDER = [e.name for e in OPTIMIZERS.list() if not e.flags.get("needs_closure")]
CLOSURE = [e.name for e in OPTIMIZERS.list() if e.flags.get("needs_closure")]


def _problem(seed=0):
    torch.manual_seed(seed)
    inputs = torch.randn(64, 6)
    targets = (inputs[:, 0] > 0).long()
    dataset = torch.utils.data.TensorDataset(inputs, targets)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
    return model, dataset


def _snapshot(model, optimizer, batches):
    return {
        "model": {k: v.clone() for k, v in model.state_dict().items()},
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "optimizer": _plain(optimizer.state_dict()),
        "rng": rng_state()["torch"].clone(),
        "batches": batches.state_dict(),
        "training": [m.training for m in model.modules()],
    }


def _plain(value):
    """Optimizer state as nested dicts and lists of cloned tensors, for bitwise comparison."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.clone() if isinstance(value, torch.Tensor) else value


def _assert_bitwise_equal(before, after, where=""):
    if isinstance(before, dict):
        assert before.keys() == after.keys(), where
        for key in before:
            _assert_bitwise_equal(before[key], after[key], f"{where}.{key}")
    elif isinstance(before, list):
        assert len(before) == len(after), where
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            _assert_bitwise_equal(a, b, f"{where}[{index}]")
    elif isinstance(before, torch.Tensor):
        assert before.dtype == after.dtype and torch.equal(before, after), where
    else:
        assert before == after or (before != before and after != after), where


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_every_first_order_optimizer_sweeps_and_is_restored_bitwise(name):
    """A short sweep over the catalog: it runs, and afterwards parameters, buffers, gradients,
    optimizer state and hyperparameters, the RNG and the batch position are exactly as before,
    even after the optimizer has taken steps of its own (so there is state to restore)."""
    model, dataset = _problem()
    optimizer = OPTIMIZERS.get(name).build(list(model.named_parameters()))
    batches = make_batch_iterator(dataset, 16, shuffle=True, seed=0)
    for inputs, targets in list(batches)[:1]:  # some optimizer state and a part-used epoch
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    model.eval()  # a mode the sweep must put back
    before = _snapshot(model, optimizer, batches)
    sweep = lr_range_test(
        model, nn.functional.cross_entropy, optimizer, batches, start=1e-5, end=1.0, steps=6
    )
    assert len(sweep.lrs) >= 2 and all(math.isfinite(loss) for loss in sweep.losses[:2])
    _assert_bitwise_equal(before, _snapshot(model, optimizer, batches), name)


@pytest.mark.parametrize("name", FIRST_ORDER[:1] + ["momentum", "schedule_free_adamw"])
def test_training_after_a_sweep_matches_training_without_one(name):
    """The strongest form of "restored": the next steps are the steps that would have been taken."""

    def train_three_steps(sweep_first):
        model, dataset = _problem()
        optimizer = OPTIMIZERS.get(name).build(list(model.named_parameters()))
        batches = make_batch_iterator(dataset, 16, shuffle=True, seed=0)
        torch.manual_seed(5)
        if sweep_first:
            lr_range_test(model, nn.functional.cross_entropy, optimizer, batches, start=1e-4, end=1, steps=10)
        for inputs, targets in list(batches)[:3]:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
        return [p.detach().clone() for p in model.parameters()]

    for plain, swept in zip(train_three_steps(False), train_three_steps(True), strict=True):
        assert torch.equal(plain, swept)


def test_the_lr_grows_exponentially_in_every_param_group_with_its_ratio():
    model, dataset = _problem()
    seen = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):
            seen.append([group["lr"] for group in self.param_groups])
            return super().step(closure)

    groups = [
        {"params": list(model[0].parameters()), "lr": 0.1},
        {"params": list(model[1].parameters()) + list(model[4].parameters()), "lr": 0.01},
    ]
    batches = make_batch_iterator(dataset, 16, shuffle=True, seed=0)
    sweep = lr_range_test(
        model, nn.functional.cross_entropy, Recording(groups), batches, start=1e-6, end=1e-2, steps=9
    )
    expected = [1e-6 * (1e-2 / 1e-6) ** (i / 8) for i in range(9)]
    assert sweep.lrs == pytest.approx(expected, rel=1e-12)
    assert [first for first, _ in seen] == pytest.approx(expected, rel=1e-12)
    assert [second for _, second in seen] == pytest.approx([lr / 10 for lr in expected], rel=1e-12)


def test_a_diverging_sweep_stops_once_the_smoothed_loss_passes_four_times_its_best():
    # Gradient descent on f(w) = 5 w² diverges for lr > 2/10: |1 − 10 lr| > 1.
    weight = nn.Parameter(torch.ones(1))
    model = nn.Module()
    model.weight = weight
    model.forward = lambda inputs: weight * inputs
    batches = [(torch.ones(1), torch.zeros(1))]
    sweep = lr_range_test(
        model,
        lambda outputs, targets: 5 * ((outputs - targets) ** 2).sum(),
        torch.optim.SGD([weight], lr=1.0),
        batches,
        start=1e-3,
        end=10.0,
        steps=60,
    )
    assert sweep.diverged_at == sweep.lrs[-1] and len(sweep.lrs) < 60
    assert sweep.diverged_at > 0.2  # not before the step size that diverges
    assert sweep.smoothed[-1] > 4 * min(sweep.smoothed)
    assert all(s <= 4 * min(sweep.smoothed[: i + 1]) for i, s in enumerate(sweep.smoothed[:-1]))
    assert weight.item() == 1.0  # restored


def test_a_non_finite_loss_stops_the_sweep():
    weight = nn.Parameter(torch.ones(1))
    model = nn.Module()
    model.weight = weight
    model.forward = lambda inputs: weight * inputs
    sweep = lr_range_test(
        model,
        lambda outputs, targets: torch.log(outputs.sum()),  # starts at 0, NaN once w < 0
        torch.optim.SGD([weight], lr=1.0),
        [(torch.ones(1), torch.zeros(1))],
        start=1e-2,
        end=100.0,
        steps=30,
    )
    # The best loss is 0 at the start, then negative: no multiple of it can stop the sweep, the NaN does.
    assert sweep.diverged_at is not None and math.isnan(sweep.losses[-1]) and len(sweep.lrs) > 2


@pytest.mark.parametrize("name", CLOSURE)
def test_closure_optimizers_are_refused(name):
    model, dataset = _problem()
    optimizer = OPTIMIZERS.get(name).build(list(model.named_parameters()))
    batches = make_batch_iterator(dataset, 16, shuffle=True, seed=0)
    with pytest.raises(TrainlabError, match="closure"):
        lr_range_test(model, nn.functional.cross_entropy, optimizer, batches)


@pytest.mark.parametrize(
    ("start", "end", "steps"),
    [(0, 1, 100), (-1, 1, 100), (1e-3, 1e-4, 100), (1e-7, math.inf, 100), (math.nan, 1, 100), (1e-7, 10, 2)],
)
def test_a_bad_range_is_refused(start, end, steps):
    model, dataset = _problem()
    with pytest.raises(TrainlabError, match="--start|--end|--steps"):
        lr_range_test(
            model,
            nn.functional.cross_entropy,
            torch.optim.SGD(model.parameters()),
            [],
            start=start,
            end=end,
            steps=steps,
        )


def test_the_report_combines_seeds_by_geometric_mean_and_spread():
    from trainlab.diagnose.lr_suggestions import Suggestion

    def sweep(lr):
        return LRSweep(
            [lr], [1.0], [1.0], 10, None, {"valley": Suggestion("valley", lr, 1.0), "steepest": None}
        )

    report = LRFindReport([sweep(1e-3), sweep(4e-3), sweep(2e-3)])
    assert report.suggestions["valley"] == pytest.approx((1e-3 * 4e-3 * 2e-3) ** (1 / 3))
    assert report.spread["valley"] == pytest.approx(4.0)
    assert report.suggestions["steepest"] is None and report.spread["steepest"] is None
    with pytest.raises(TrainlabError, match="steepest"):
        report.recommended("steepest")


def test_a_wrapper_around_a_closure_optimizer_is_refused():
    model, dataset = _problem()
    optimizer = OPTIMIZERS.get("lookahead").build(list(model.named_parameters()), base="lbfgs")
    batches = make_batch_iterator(dataset, 16, shuffle=True, seed=0)
    with pytest.raises(TrainlabError, match="closure"):
        lr_range_test(model, nn.functional.cross_entropy, optimizer, batches)
