"""SAM and ASAM against the papers' perturbation formulas."""

import pytest
import torch

from trainlab.optim import SAM


def quartic_closure(w, optimizer):
    def closure():
        optimizer.zero_grad()
        loss = (w**4).sum() / 4  # ∇ = w³
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("adaptive", [False, True])
def test_step_uses_the_gradient_at_the_perturbed_point(adaptive):
    rho, eta, lr = 0.1, 0.01, 0.5
    start = torch.tensor([1.0, -2.0], dtype=torch.float64)
    w = start.clone().requires_grad_()
    optimizer = SAM(torch.optim.SGD([w], lr=lr), rho=rho, adaptive=adaptive, eta=eta)
    closure = quartic_closure(w, optimizer)
    closure()
    optimizer.step(closure)
    g = start**3
    if adaptive:  # ε = ρ T² g / ‖T g‖ with T = |w| + η
        t = start.abs() + eta
        epsilon = rho * t**2 * g / torch.linalg.vector_norm(t * g)
    else:  # ε = ρ g / ‖g‖
        epsilon = rho * g / torch.linalg.vector_norm(g)
    expected = start - lr * (start + epsilon) ** 3
    torch.testing.assert_close(w.detach(), expected, rtol=1e-9, atol=1e-12)


def test_without_closure_is_an_error():
    w = torch.zeros(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        SAM(torch.optim.SGD([w], lr=0.1)).step()


def test_agrees_with_pytorch_optimizer_sam():
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    torch.manual_seed(0)
    ours_w = torch.randn(6, dtype=torch.float64, requires_grad=True)
    their_w = ours_w.detach().clone().requires_grad_()
    ours = SAM(torch.optim.SGD([ours_w], lr=0.05, momentum=0.9), rho=0.05)
    theirs = pytorch_optimizer.SAM([their_w], torch.optim.SGD, rho=0.05, lr=0.05, momentum=0.9)
    for _ in range(100):
        closure = quartic_closure(ours_w, ours)
        closure()
        ours.step(closure)
        theirs.zero_grad()
        ((their_w**4).sum() / 4).backward()
        theirs.first_step(zero_grad=True)
        ((their_w**4).sum() / 4).backward()
        theirs.second_step()
    # pytorch_optimizer adds its 1e-12 to the norm differently: agreement to 1e-7 relative.
    torch.testing.assert_close(ours_w, their_w, rtol=1e-7, atol=1e-9)
