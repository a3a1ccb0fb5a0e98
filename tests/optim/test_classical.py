"""Newton, BFGS and CG: exact answers on quadratics, and far fewer iterations than gradient descent."""

import pytest
import torch

from trainlab.optim import BFGS, ConjugateGradient, Newton
from trainlab.playground.functions import FUNCTIONS

CLASSICAL = {"newton": Newton, "bfgs": BFGS, "cg": ConjugateGradient}


def iterations_to(function, make_optimizer, tolerance=1e-6, limit=500):
    x = torch.tensor(function.start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([x])

    def closure(create_graph=False):
        optimizer.zero_grad()
        loss = function(x)
        loss.backward(create_graph=create_graph)
        return loss

    for iteration in range(1, limit + 1):
        optimizer.step(closure)
        if function.distance_to_minimum(x) < tolerance:
            return iteration
    return None


def test_newton_solves_a_quadratic_in_one_step():
    assert iterations_to(FUNCTIONS["quadratic"], Newton) == 1


def test_newton_step_is_the_hessian_solve_by_hand():
    # f = ½ xᵀAx − bᵀx with A = [[3, 1], [1, 2]], b = (1, 1): x* = A⁻¹b = (0.2, 0.4)
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    a, b = (
        torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64),
        torch.tensor([1.0, 1.0], dtype=torch.float64),
    )
    optimizer = Newton([x])

    def closure(create_graph=False):
        optimizer.zero_grad()
        loss = 0.5 * x @ a @ x - b @ x
        loss.backward(create_graph=create_graph)
        return loss

    optimizer.step(closure)
    torch.testing.assert_close(x.detach(), torch.tensor([0.2, 0.4], dtype=torch.float64))


@pytest.mark.parametrize("beta", ["pr+", "fr"])
def test_cg_variants_converge_on_rosenbrock(beta):
    assert (
        iterations_to(FUNCTIONS["rosenbrock"], lambda p: ConjugateGradient(p, beta=beta), limit=2000)
        is not None
    )


@pytest.mark.parametrize("function", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_reach_the_minimum_to_1e6_far_faster_than_gradient_descent(name, function):
    # Gradient descent with its best fixed step needs 1,375 (quadratic) and 17,322 (Rosenbrock)
    # iterations from the same start (see benchmarks/RESULTS.md); these need tens.
    iterations = iterations_to(FUNCTIONS[function], CLASSICAL[name])
    assert iterations is not None and iterations <= 60


def test_bfgs_inverse_hessian_converges_to_the_true_one_on_a_quadratic():
    a = torch.tensor([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]], dtype=torch.float64)
    x = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    optimizer = BFGS([x])

    def closure(create_graph=False):
        optimizer.zero_grad()
        loss = 0.5 * x @ a @ x
        loss.backward(create_graph=create_graph)
        return loss

    for _ in range(6):
        optimizer.step(closure)
    assert float(x.detach().abs().max()) < 1e-8


def _digits_full_batch(name, steps):
    import trainlab

    recipe = {
        "data": "digits",
        "model": {"name": "mlp", "width": 8},
        "optimizer": name,
        "train": {"steps": steps, "batch_size": 100_000, "log_every": 1},
    }  # batch = the whole training set
    return trainlab.fit(recipe, save=False)


@pytest.mark.parametrize("name", ["bfgs", "cg"])
def test_train_a_small_mlp_on_digits_full_batch(name):
    result = _digits_full_batch(name, 20)
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert losses[-1] < 0.3 * losses[0]
    assert result.summary["test"]["accuracy"] > 0.8


@pytest.mark.slow
def test_newton_trains_a_small_mlp_on_digits_full_batch():
    # From a random start the Hessian is indefinite and the damping makes the first steps short
    # (the loss falls ~5 % per step); once the curvature is usable it converges fast:
    # 2.34 -> 0.02 in 30 steps, test accuracy 0.944 (benchmarks/RESULTS.md).
    result = _digits_full_batch("newton", 30)
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert losses[-1] < 0.05 * losses[0]
    assert result.summary["test"]["accuracy"] > 0.9


def test_newton_refuses_a_closure_that_cannot_keep_the_graph():
    x = torch.ones(2, dtype=torch.float64, requires_grad=True)
    optimizer = Newton([x])

    def closure():
        optimizer.zero_grad()
        loss = (x**2).sum()
        loss.backward()
        return loss

    with pytest.raises(TypeError, match="closure must accept create_graph"):
        optimizer.step(closure)
    assert torch.equal(x.detach(), torch.ones(2, dtype=torch.float64))


def test_newton_leaves_tensor_backward_alone_during_and_after_a_step():
    # The graph comes through closure(create_graph=True), not by swapping torch.Tensor.backward
    # process-wide, which would leak into other threads and into any closure that raised.
    backward = torch.Tensor.backward
    x = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    optimizer = Newton([x])
    seen = []

    def closure(create_graph=False):
        seen.append(torch.Tensor.backward is backward)
        optimizer.zero_grad()
        loss = (x**4).sum()
        loss.backward(create_graph=create_graph)
        return loss

    optimizer.step(closure)
    assert seen and all(seen) and torch.Tensor.backward is backward
    assert not torch.equal(x.detach(), torch.tensor([1.0, -2.0], dtype=torch.float64))
