"""A tiny classifier and a hand-written loop driven through a Monitor, shared by the instrument tests."""

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from trainlab.diagnose import Monitor


@pytest.fixture(autouse=True)
def one_intra_op_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and two threads stall when other work shares the machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_classifier(activation: type[nn.Module] = nn.ReLU, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), activation(), nn.Linear(8, 8), activation(), nn.Linear(8, 3))


def batch(seed: int, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(size, 6, generator=generator), torch.randint(0, 3, (size,), generator=generator)


def train(model: nn.Module, monitor: Monitor | None, steps: int, lr: float = 0.1) -> list[float]:
    """SGD on fixed batches; the Monitor observes it. Returns the losses."""
    optimizer = monitor.optimizer if monitor is not None else torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        inputs, targets = batch(step)
        loss = nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        if monitor is not None:
            monitor.after_backward(loss, targets=targets)
        optimizer.step()
        optimizer.zero_grad()
        if monitor is not None:
            monitor.after_step()
        losses.append(loss.item())
    return losses
