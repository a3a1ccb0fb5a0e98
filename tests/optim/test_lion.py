"""Lion against the paper's update rule and lion-pytorch."""

import pytest
import torch

from trainlab.optim import Lion


def test_first_two_steps_by_hand():
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    optimizer = Lion([w], lr=0.01, betas=(0.9, 0.99), weight_decay=0.1)
    # step 1: g = (0.5, −0.1); c = 0.1 g → sign (1, −1); w ← w(1 − 0.01·0.1) − 0.01 sign(c)
    w.grad = torch.tensor([0.5, -0.1], dtype=torch.float64)
    optimizer.step()
    assert w.tolist() == pytest.approx([1.0 * 0.999 - 0.01, -2.0 * 0.999 + 0.01])
    # m1 = 0.01 g = (0.005, −0.001)
    assert optimizer.state[w]["exp_avg"].tolist() == pytest.approx([0.005, -0.001])
    # step 2: g = (−0.1, −0.1); c = 0.9 m1 + 0.1 g = (−0.0055, −0.0109) → sign (−1, −1)
    w.grad = torch.tensor([-0.1, -0.1], dtype=torch.float64)
    optimizer.step()
    assert w.tolist() == pytest.approx([0.989 * 0.999 + 0.01, -1.988 * 0.999 + 0.01])
    # m2 = 0.99 m1 + 0.01 g
    assert optimizer.state[w]["exp_avg"].tolist() == pytest.approx(
        [0.99 * 0.005 - 0.001, -0.99 * 0.001 - 0.001]
    )


def test_l2_mode_puts_the_decay_inside_the_sign():
    w = torch.tensor([1.0], requires_grad=True)
    optimizer = Lion([w], lr=0.1, weight_decay=10.0, weight_decay_mode="l2")
    w.grad = torch.tensor([-0.5])  # g + λw = 9.5 > 0: the decay wins the sign
    optimizer.step()
    assert w.item() == pytest.approx(0.9)


def test_agrees_with_lion_pytorch_over_100_steps(side_by_side):
    lion_pytorch = pytest.importorskip("lion_pytorch")
    side_by_side(
        lambda p: Lion(p, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1),
        lambda p: lion_pytorch.Lion(p, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1),
    )
