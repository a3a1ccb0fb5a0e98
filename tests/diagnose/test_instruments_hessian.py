"""The Hessian's top eigenvalue against the full Hessian's eigenvalues, and a run it leaves untouched."""

import pytest
import torch
from instrument_loops import batch, one_intra_op_thread, train  # noqa: F401 (an autouse fixture)
from torch import nn
from torch.func import functional_call

from trainlab.diagnose import Monitor
from trainlab.diagnose.instruments.hessian import hessian_top_eigenvalue


def test_power_iteration_finds_the_largest_eigenvalue_of_the_exact_hessian():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    inputs, targets = batch(0, size=12)
    inputs = inputs.double()
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])

    def loss_of(vector):
        params, offset = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            params[name] = vector[offset : offset + shape.numel()].view(shape)
            offset += shape.numel()
        return nn.functional.cross_entropy(functional_call(model, params, (inputs,)), targets)

    eigenvalues = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat))
    largest = eigenvalues[eigenvalues.abs().argmax()].item()

    loss = nn.functional.cross_entropy(model(inputs), targets)
    estimate = hessian_top_eigenvalue(loss, list(model.parameters()), iterations=100)
    assert estimate.item() == pytest.approx(largest, rel=1e-6)


def test_sharpness_is_the_eigenvalue_times_lr_over_two():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)
    monitor = Monitor(
        model,
        optimizer,
        instruments=[{"name": "hessian", "iterations": 50}],
        loss_fn=nn.functional.cross_entropy,
    )
    train(model, monitor, steps=1)
    (row,) = monitor.flush()
    assert row["sharpness_x_lr_over_2"] == pytest.approx(row["hessian_top"] * 0.4 / 2)
    assert row["hessian_top"] > 0


def _net_with_dropout_and_batch_norm():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))


def test_the_extra_passes_leave_the_training_run_unchanged():
    plain = _net_with_dropout_and_batch_norm()
    torch.manual_seed(1)
    expected = train(plain, None, steps=5)

    watched = _net_with_dropout_and_batch_norm()
    optimizer = torch.optim.SGD(watched.parameters(), lr=0.1)
    monitor = Monitor(watched, optimizer, instruments=["hessian"], loss_fn=nn.functional.cross_entropy)
    torch.manual_seed(1)
    assert train(watched, monitor, steps=5) == expected
    assert len(monitor.flush()) == 5
    assert torch.equal(plain[1].running_mean, watched[1].running_mean)
