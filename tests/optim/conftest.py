"""Shared helpers for optimizer tests: run two optimizers side by side on the same gradients."""

import pytest
import torch


def _run_side_by_side(make_ours, make_reference, steps=100, seed=0, between=None, bias=True):
    """Train two copies of a small model on identical batches; yield both parameter lists per step."""
    torch.manual_seed(seed)
    make = lambda: torch.nn.Sequential(  # noqa: E731
        torch.nn.Linear(6, 10, bias=bias), torch.nn.Tanh(), torch.nn.Linear(10, 3, bias=bias)
    ).double()
    model, twin = make(), make()
    twin.load_state_dict(model.state_dict())
    ours, reference = make_ours(model.parameters()), make_reference(twin.parameters())
    generator = torch.Generator().manual_seed(seed)
    for step in range(steps):
        inputs = torch.randn(32, 6, generator=generator, dtype=torch.float64)
        targets = torch.randint(0, 3, (32,), generator=generator)
        for net, optimizer in ((model, ours), (twin, reference)):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(inputs), targets).backward()
            optimizer.step()
        if between is not None:
            between(ours, reference)
        yield step, list(model.parameters()), list(twin.parameters())


@pytest.fixture
def side_by_side():
    """Assert that two optimizers agree at every step over ``steps`` steps (≥ 100 by default)."""

    def check(make_ours, make_reference, steps=100, rtol=1e-9, atol=1e-10, bias=True):
        for step, ours, theirs in _run_side_by_side(make_ours, make_reference, steps, bias=bias):
            a, b = (
                torch.cat([p.detach().reshape(-1) for p in ours]),
                torch.cat([p.detach().reshape(-1) for p in theirs]),
            )
            if not torch.allclose(
                a, b, rtol=rtol, atol=atol
            ):  # the cheap check first; the detailed message on failure
                torch.testing.assert_close(a, b, rtol=rtol, atol=atol, msg=lambda m, s=step: f"step {s}: {m}")

    return check
