"""Schedule-free SGD and AdamW against the paper's three sequences and the schedulefree package."""

import pytest
import torch

from trainlab.optim import ScheduleFreeAdamW, ScheduleFreeSGD


def test_sgd_first_steps_by_hand_in_x_y_z_form():
    lr, beta = 0.1, 0.9
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optimizer = ScheduleFreeSGD([w], lr=lr, momentum=beta)
    x = z = 1.0
    for t, g in enumerate([2.0, -1.0, 0.5], start=1):
        w.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        # z ← z − γ g;  c = γ²/Σγ² = 1/t with a constant γ;  x ← (1 − c) x + c z;  y = (1 − β) z + β x
        z = z - lr * g
        c = 1.0 / t
        x = (1 - c) * x + c * z
        assert w.item() == pytest.approx((1 - beta) * z + beta * x, rel=1e-12)
    optimizer.eval()
    assert w.item() == pytest.approx(x, rel=1e-12)
    optimizer.train()
    assert w.item() == pytest.approx((1 - beta) * z + beta * x, rel=1e-12)


def test_adamw_first_step_by_hand():
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optimizer = ScheduleFreeAdamW([w], lr=lr, betas=(beta1, beta2), eps=eps)
    w.grad = torch.tensor([3.0], dtype=torch.float64)
    optimizer.step()
    d = 3.0 / (abs(3.0) + eps)  # v̂ = g² after bias correction
    z = 1.0 - lr * d
    x = z  # c = 1 at the first step
    assert w.item() == pytest.approx((1 - beta1) * z + beta1 * x, rel=1e-12)


def test_step_in_eval_mode_is_an_error():
    w = torch.zeros(2, requires_grad=True)
    optimizer = ScheduleFreeSGD([w])
    optimizer.eval()
    w.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="train"):
        optimizer.step()


def _in_train_mode(optimizer):
    optimizer.train()
    return optimizer


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_sgd_agrees_with_schedulefree_over_100_steps(side_by_side, weight_decay):
    schedulefree = pytest.importorskip("schedulefree")
    side_by_side(
        lambda p: ScheduleFreeSGD(p, lr=0.5, momentum=0.9, weight_decay=weight_decay, warmup_steps=10),
        lambda p: _in_train_mode(
            schedulefree.SGDScheduleFree(p, lr=0.5, momentum=0.9, weight_decay=weight_decay, warmup_steps=10)
        ),
    )


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adamw_agrees_with_schedulefree_over_100_steps(side_by_side, weight_decay):
    schedulefree = pytest.importorskip("schedulefree")
    side_by_side(
        lambda p: ScheduleFreeAdamW(p, lr=1e-2, weight_decay=weight_decay, warmup_steps=10),
        lambda p: _in_train_mode(
            schedulefree.AdamWScheduleFree(p, lr=1e-2, weight_decay=weight_decay, warmup_steps=10)
        ),
    )


def test_eval_weights_agree_with_schedulefree():
    schedulefree = pytest.importorskip("schedulefree")
    torch.manual_seed(0)
    ours_w = torch.randn(5, dtype=torch.float64, requires_grad=True)
    their_w = ours_w.detach().clone().requires_grad_()
    ours, theirs = (
        ScheduleFreeAdamW([ours_w], lr=0.05),
        _in_train_mode(schedulefree.AdamWScheduleFree([their_w], lr=0.05)),
    )
    for _ in range(20):
        for w, optimizer in ((ours_w, ours), (their_w, theirs)):
            optimizer.zero_grad()
            (w**4).sum().backward()
            optimizer.step()
    ours.eval()
    theirs.eval()
    torch.testing.assert_close(ours_w, their_w, rtol=1e-10, atol=1e-12)
