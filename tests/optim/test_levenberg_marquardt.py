"""Levenberg-Marquardt and Gauss-Newton: the step by formula, a curve fit against scipy, the recipe and its errors."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.optimize import curve_fit

import trainlab
from trainlab.cli import main
from trainlab.errors import ConfigError
from trainlab.losses.residuals import residuals
from trainlab.optim import BFGS, GaussNewton, LevenbergMarquardt
from trainlab.playground.functions import FUNCTIONS

RECIPES = Path(__file__).parents[2] / "recipes"


def _decay_data():
    t = torch.linspace(0, 4, 40, dtype=torch.float64)
    noise = 0.01 * torch.sin(7 * t)  # fixed, so the fit is not exact and the residual curvature matters
    return t, 2.5 * torch.exp(-1.3 * t) + 0.5 + noise


def _decay_closure(params, optimizer, t, y):
    def model(a, b, c):
        return a * torch.exp(-b * t) + c

    def closure(create_graph=False, residuals=False):
        r = model(*params) - y
        if residuals:
            return r
        optimizer.zero_grad()
        loss = r.pow(2).sum()
        loss.backward(create_graph=create_graph)
        return loss

    return closure


@pytest.mark.parametrize("method", [LevenbergMarquardt, GaussNewton])
def test_exponential_fit_matches_scipy_curve_fit(method):
    t, y = _decay_data()
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 0.5, 0.0)]
    optimizer = method(params)
    closure = _decay_closure(params, optimizer, t, y)
    for _ in range(50):
        optimizer.step(closure)
    expected, _ = curve_fit(
        lambda t_, a, b, c: a * np.exp(-b * t_) + c,
        t.numpy(),
        y.numpy(),
        p0=(1.0, 0.5, 0.0),
        xtol=1e-14,
        ftol=1e-14,
    )
    assert np.allclose([float(p.detach()) for p in params], expected, atol=1e-6)


def test_first_step_solves_the_damped_normal_equations():
    t, y = _decay_data()
    start = torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    params = [start[i].clone().requires_grad_() for i in range(3)]
    optimizer = LevenbergMarquardt(params, damping=0.1)
    optimizer.step(_decay_closure(params, optimizer, t, y))

    def residual_of(x):
        return x[0] * torch.exp(-x[1] * t) + x[2] - y

    jacobian = torch.autograd.functional.jacobian(residual_of, start)
    normal = jacobian.T @ jacobian
    delta = torch.linalg.solve(normal + 0.1 * torch.diag(normal.diagonal()), -jacobian.T @ residual_of(start))
    # The first trial decreases the loss here, so it is the step taken.
    assert residual_of(start + delta).norm() < residual_of(start).norm()
    assert torch.allclose(torch.stack([p.detach() for p in params]), start + delta, atol=1e-10)


def test_gauss_newton_solves_linear_least_squares_in_one_step():
    generator = torch.Generator().manual_seed(0)
    design, target = (
        torch.randn(30, 4, generator=generator, dtype=torch.float64),
        torch.randn(30, generator=generator, dtype=torch.float64),
    )
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    optimizer = GaussNewton([w])
    optimizer.step(lambda create_graph=False, residuals=False: design @ w - target)
    assert torch.allclose(
        w.detach(), torch.linalg.lstsq(design, target.unsqueeze(1)).solution.squeeze(1), atol=1e-10
    )


def _iterations(method, function, limit=500):
    x = torch.tensor(function.start, dtype=torch.float64, requires_grad=True)
    optimizer = method([x])

    def closure(create_graph=False, residuals=False):
        if residuals:
            return function.residuals(x[0], x[1])
        optimizer.zero_grad()
        loss = function(x)
        loss.backward(create_graph=create_graph)
        return loss

    for iteration in range(1, limit + 1):
        optimizer.step(closure)
        if function.distance_to_minimum(x) < 1e-6:
            return iteration
    return None


@pytest.mark.parametrize("name", ["rosenbrock", "quadratic"])
def test_levenberg_marquardt_needs_fewer_iterations_than_bfgs(name):
    function = FUNCTIONS[name]
    assert _iterations(LevenbergMarquardt, function) < _iterations(BFGS, function)


def test_playground_functions_residuals_square_to_the_function():
    generator = torch.Generator().manual_seed(0)
    for function in FUNCTIONS.values():
        if function.residuals is None:
            continue
        point = torch.randn(2, generator=generator, dtype=torch.float64)
        assert float(function.residuals(point[0], point[1]).pow(2).sum()) == pytest.approx(
            float(function(point))
        )


def test_closure_without_residuals_is_refused():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="closure must accept residuals"):
        LevenbergMarquardt([w]).step(lambda: w.sum())


def test_mse_residuals_square_to_the_loss_on_labels_and_regression():
    outputs, labels = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    loss = trainlab.create("loss", "mse")
    from trainlab.losses import TaskLoss

    adapted = TaskLoss(loss, one_hot_classes=3, target_shape=None)
    assert float(residuals(adapted, outputs, labels).pow(2).sum()) == pytest.approx(
        float(adapted(outputs, labels))
    )
    targets = torch.randn(5, 3)
    assert float(
        residuals(torch.nn.MSELoss(reduction="sum"), outputs, targets).pow(2).sum()
    ) == pytest.approx(float(torch.nn.functional.mse_loss(outputs, targets, reduction="sum")))


def test_recipe_trains_a_small_mlp_regression():
    from trainlab.recipe_yaml import read_recipe_file

    recipe = read_recipe_file(RECIPES / "regression_mlp_lm.yaml")
    # A 72-sample training split keeps the Jacobian (and the test) small.
    recipe["data"]["val_fraction"] = 0.9
    recipe["train"].update(steps=5, batch_size=72, eval_every=None, log_every=1, threads=1)
    result = trainlab.fit(recipe, save=False)
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < 0.5 * losses[0]


def test_a_loss_that_is_not_least_squares_or_a_penalty_is_one_message(tmp_path, capsys):
    recipe = {"data": "iris", "model": {"name": "mlp", "width": 4}, "optimizer": "levenberg_marquardt"}
    with pytest.raises(ConfigError, match="loss.name"):
        trainlab.fit({**recipe, "train": {"steps": 1}}, save=False)
    out = tmp_path / "run"
    code = main(
        [
            "fit",
            "--set",
            "data=iris",
            "--set",
            "model=mlp",
            "--set",
            "optimizer=lm",
            "--set",
            "loss=mse",
            "--set",
            "regularizers=[l2]",
            "--set",
            "train.steps=1",
            "--out",
            str(out),
        ]
    )
    error = capsys.readouterr().err
    assert code == 2 and "regularizers" in error and "Traceback" not in error
    assert not (out / "summary.json").exists()


def test_playground_races_least_squares_methods_and_refuses_a_function_without_residuals():
    from trainlab.playground import run_playground

    (trajectory,) = run_playground(FUNCTIONS["rosenbrock"], ["levenberg_marquardt"], steps=60, tolerance=1e-6)
    assert trajectory.steps_to_tolerance is not None
    with pytest.raises(ConfigError, match="saddle is not one"):
        run_playground(FUNCTIONS["saddle"], ["gauss_newton"])


def test_fewer_residuals_than_parameters_solve_the_same_damped_system():
    # m = 3 residuals, n = 6 parameters: the step is solved in residual space (push-through identity).
    generator = torch.Generator().manual_seed(4)
    design = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    target = torch.randn(3, generator=generator, dtype=torch.float64)
    start = torch.randn(6, generator=generator, dtype=torch.float64)
    w = start.clone().requires_grad_()

    def residual_of(x):
        return torch.tanh(design @ x) - target

    optimizer = LevenbergMarquardt([w], damping=0.5)
    optimizer.step(lambda create_graph=False, residuals=False: residual_of(w))
    jacobian = torch.autograd.functional.jacobian(residual_of, start)
    normal = jacobian.T @ jacobian
    shift = 0.5 * normal.diagonal().clamp_min(1e-12)
    delta = torch.linalg.solve(normal + torch.diag(shift), -jacobian.T @ residual_of(start))
    assert residual_of(start + delta).norm() < residual_of(start).norm()
    assert torch.allclose(w.detach(), start + delta, atol=1e-10)
