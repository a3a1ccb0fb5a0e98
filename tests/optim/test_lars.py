"""LARS against the paper's update rule (Algorithm 1)."""

import pytest
import torch

from trainlab.optim import Lars


def test_first_two_steps_by_hand():
    lr, m, wd, eta = 0.5, 0.9, 0.01, 0.001
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)  # ‖w‖ = 5
    optimizer = Lars([w], lr=lr, momentum=m, weight_decay=wd, trust_coefficient=eta, eps=0.0)
    g = [0.6, 0.8]  # ‖g‖ = 1
    w.grad = torch.tensor(g, dtype=torch.float64)
    optimizer.step()
    local = eta * 5.0 / (1.0 + wd * 5.0)
    v1 = [lr * local * (g[0] + wd * 3.0), lr * local * (g[1] + wd * 4.0)]
    w1 = [3.0 - v1[0], 4.0 - v1[1]]
    assert w.tolist() == pytest.approx(w1, rel=1e-12)
    w.grad = torch.tensor(g, dtype=torch.float64)
    optimizer.step()
    norm = (w1[0] ** 2 + w1[1] ** 2) ** 0.5
    local = eta * norm / (1.0 + wd * norm)
    v2 = [m * v1[i] + lr * local * (g[i] + wd * w1[i]) for i in range(2)]
    assert w.tolist() == pytest.approx([w1[0] - v2[0], w1[1] - v2[1]], rel=1e-12)


def test_decoupled_mode_shrinks_weights_outside_the_trust_ratio():
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    optimizer = Lars(
        [w],
        lr=0.5,
        momentum=0.0,
        weight_decay=0.1,
        weight_decay_mode="decoupled",
        trust_coefficient=0.001,
        eps=0.0,
    )
    w.grad = torch.tensor([0.6, 0.8], dtype=torch.float64)
    optimizer.step()
    local = 0.001 * 5.0 / 1.0
    assert w.tolist() == pytest.approx(
        [3.0 * 0.95 - 0.5 * local * 0.6, 4.0 * 0.95 - 0.5 * local * 0.8], rel=1e-12
    )
