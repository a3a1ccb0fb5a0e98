"""The 2-D playground: functions, runs, plots and the command."""

import math

import pytest
import torch

from trainlab.cli import main
from trainlab.errors import ConfigError
from trainlab.playground import FUNCTIONS, get_function, plot_trajectories, run_playground


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_minima_are_stationary_points_with_the_known_value(name):
    function = FUNCTIONS[name]
    for minimum in function.minima:
        point = torch.tensor(minimum, dtype=torch.float64, requires_grad=True)
        function(point).backward()
        assert float(point.grad.abs().max()) < 1e-4
        assert float(function(point.detach())) == pytest.approx(function.minimum_value, abs=1e-8)


def test_every_function_runs_and_plots(tmp_path):
    for name, function in FUNCTIONS.items():
        trajectories = run_playground(function, ["sgd", "adam"], steps=20)
        assert all(t.points.shape == (21, 2) for t in trajectories)
        assert plot_trajectories(function, trajectories, tmp_path / f"{name}.svg").stat().st_size > 0


def test_newton_reaches_the_rosenbrock_minimum_and_gradient_descent_does_not():
    rosenbrock = FUNCTIONS["rosenbrock"]
    sgd, newton = run_playground(rosenbrock, ["sgd", "newton"], steps=100, tolerance=1e-6)
    assert newton.steps_to_tolerance is not None and newton.steps_to_tolerance < 40
    assert sgd.steps_to_tolerance is None


def test_schedule_free_trajectory_is_the_averaged_point():
    quadratic = FUNCTIONS["quadratic"]
    (trajectory,) = run_playground(quadratic, ["schedule_free_adamw"], steps=300, tolerance=1e-2)
    assert trajectory.steps_to_tolerance is not None
    assert math.isfinite(float(trajectory.values[-1]))


def test_unknown_names_are_config_errors_with_suggestions():
    with pytest.raises(ConfigError, match="did you mean 'rosenbrock'"):
        get_function("rosenbrok")
    with pytest.raises(ConfigError, match="did you mean 'adam'"):
        run_playground(FUNCTIONS["beale"], ["adamm"])
    with pytest.raises(ConfigError, match="2-D weight"):
        run_playground(FUNCTIONS["beale"], ["muon"])


def test_command_writes_the_plot_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "race.png"
    code = main(
        [
            "playground",
            "--optimizers",
            "momentum,adam,bfgs",
            "--function",
            "himmelblau",
            "--steps",
            "50",
            "--out",
            str(out),
        ]
    )
    assert code == 0 and out.stat().st_size > 1000
    printed = capsys.readouterr().out
    assert "bfgs" in printed and "steps to tolerance" in printed


def test_command_bad_names_exit_2(tmp_path, capsys):
    assert main(["playground", "--optimizers", "sgd,adamm", "--out", str(tmp_path / "x.png")]) == 2
    assert "did you mean 'adam'" in capsys.readouterr().err
    assert main(["playground", "--function", "rosenbrok", "--out", str(tmp_path / "x.png")]) == 2
    assert main(["playground", "--optimizers", "sgd", "--steps", "2", "--out", str(tmp_path / "x.gif")]) == 2
