"""LAMB against the paper's update rule (Algorithm 2)."""

import math

import pytest
import torch

from trainlab.optim import Lamb


def test_first_step_by_hand_uses_the_layer_trust_ratio():
    lr, wd, eps = 0.1, 0.1, 1e-6
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)  # ‖w‖ = 5
    optimizer = Lamb([w], lr=lr, weight_decay=wd, eps=eps, max_trust=None)
    w.grad = torch.tensor([1.0, -2.0], dtype=torch.float64)
    optimizer.step()
    # Step 1: m̂ = g, v̂ = g², r = g/(|g| + ε) ≈ sign(g); u = r + λw
    r = [1.0 / (1.0 + eps), -2.0 / (2.0 + eps)]
    u = [r[0] + wd * 3.0, r[1] + wd * 4.0]
    trust = 5.0 / math.hypot(*u)
    assert w.tolist() == pytest.approx([3.0 - lr * trust * u[0], 4.0 - lr * trust * u[1]], rel=1e-12)


def test_second_step_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-6
    w = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    optimizer = Lamb([w], lr=lr, eps=eps, weight_decay=0.0, max_trust=None)
    w.grad = torch.tensor([1.0], dtype=torch.float64)
    optimizer.step()
    w1 = w.item()
    w.grad = torch.tensor([-3.0], dtype=torch.float64)
    optimizer.step()
    m = 0.9 * 0.1 + 0.1 * -3.0
    v = 0.999 * 0.001 + 0.001 * 9.0
    r = (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    # one tensor of one element: the trust ratio is |w|/|r|, so the step is lr·|w|·sign(r)
    assert w.item() == pytest.approx(w1 - lr * abs(w1) / abs(r) * r, rel=1e-12)


def test_zero_weights_take_an_untrusted_adam_step():
    w = torch.zeros(3, requires_grad=True)
    optimizer = Lamb([w], lr=0.1)
    w.grad = torch.tensor([1.0, -1.0, 2.0])
    optimizer.step()
    torch.testing.assert_close(w, torch.tensor([-0.1, 0.1, -0.1]), atol=1e-5, rtol=0)


def test_max_trust_clamps_the_weight_norm():
    w = torch.tensor([300.0, 400.0], dtype=torch.float64, requires_grad=True)
    optimizer = Lamb([w], lr=1.0, weight_decay=0.0, max_trust=10.0)
    w.grad = torch.tensor([1.0, 0.0], dtype=torch.float64)
    optimizer.step()
    # u ≈ (1, 0): step length min(‖w‖, 10) = 10
    assert w.tolist() == pytest.approx([290.0, 400.0], rel=1e-6)
