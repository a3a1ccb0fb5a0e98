"""Every ``function`` entry runs on small inputs of the shape its parameters name and returns finite values."""

import pytest
import torch

from trainlab.registry import get_registry

FUNCTIONS = get_registry("function")


def _inputs(generator):
    p = torch.softmax(torch.randn(2, 5, generator=generator, dtype=torch.float64), 1)
    q = torch.softmax(torch.randn(2, 5, generator=generator, dtype=torch.float64), 1)
    joint = torch.rand(3, 4, generator=generator, dtype=torch.float64)
    spread = torch.randn(5, 5, generator=generator, dtype=torch.float64)
    return {
        "p": p,
        "q": q,
        "joint": joint / joint.sum(),
        "x": torch.randn(40, generator=generator, dtype=torch.float64),
        "y": torch.randn(40, generator=generator, dtype=torch.float64),
        "covariance": spread @ spread.T + torch.eye(5, dtype=torch.float64),
        "class_counts": [50, 20, 5],
        "scores": torch.rand(40, generator=generator, dtype=torch.float64),
        "labels": torch.arange(40) % 2,
    }


@pytest.mark.parametrize("name", FUNCTIONS.names())
def test_every_function_runs_and_is_finite(name):
    entry = FUNCTIONS.get(name)
    inputs = _inputs(torch.Generator().manual_seed(0))
    if "covariance" in entry.parameters():  # a distance between vectors of the covariance's size
        inputs["x"], inputs["y"] = inputs["x"][:5], inputs["y"][:5]
    required = [n for n, p in entry.parameters().items() if p.default is p.empty]
    assert set(required) <= set(inputs), f"add an input for function '{name}'"
    value = entry.factory(**{n: inputs[n] for n in required})
    assert torch.isfinite(torch.as_tensor(value, dtype=torch.float64)).all()
    assert entry.reference
