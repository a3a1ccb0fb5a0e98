"""AdaBelief against the paper's update rule and adabelief-pytorch."""

import math

import pytest
import torch

from trainlab.optim import AdaBelief


def test_first_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optimizer = AdaBelief([w], lr=lr, betas=(b1, b2), eps=eps)
    # step 1, g = 2: m = 0.2; s = 0.001 (2 − 0.2)² + ε; step = lr (m/0.1) / (√(s/0.001) + ε)
    w.grad = torch.tensor([2.0], dtype=torch.float64)
    optimizer.step()
    m1, s1 = 0.2, 0.001 * 1.8**2 + eps
    w1 = 1.0 - lr * (m1 / 0.1) / (math.sqrt(s1 / (1 - b2)) + eps)
    assert w.item() == pytest.approx(w1, rel=1e-12)
    # step 2, g = −1: m = 0.9·0.2 − 0.1 = 0.08; s = 0.999 s1 + 0.001 (−1 − 0.08)² + ε
    w.grad = torch.tensor([-1.0], dtype=torch.float64)
    optimizer.step()
    m2 = 0.9 * m1 + 0.1 * -1.0
    s2 = b2 * s1 + (1 - b2) * (-1.0 - m2) ** 2 + eps
    w2 = w1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(s2 / (1 - b2**2)) + eps)
    assert w.item() == pytest.approx(w2, rel=1e-12)


@pytest.mark.parametrize("decoupled", [True, False])
def test_agrees_with_adabelief_pytorch_over_100_steps(side_by_side, decoupled):
    adabelief_pytorch = pytest.importorskip("adabelief_pytorch")
    mode = "decoupled" if decoupled else "l2"
    side_by_side(
        lambda p: AdaBelief(p, lr=1e-2, eps=1e-16, weight_decay=0.01, weight_decay_mode=mode),
        lambda p: adabelief_pytorch.AdaBelief(
            p,
            lr=1e-2,
            eps=1e-16,
            weight_decay=0.01,
            weight_decouple=decoupled,
            rectify=False,
            fixed_decay=False,
            print_change_log=False,
        ),
        rtol=1e-7,
        atol=1e-9,
    )
