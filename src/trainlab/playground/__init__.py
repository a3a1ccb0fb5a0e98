"""The 2-D optimizer playground: classic test functions, trajectories, steps to tolerance."""

from trainlab.playground.functions import FUNCTIONS, TestFunction, get_function
from trainlab.playground.run import Trajectory, plot_trajectories, run_playground

__all__ = ["FUNCTIONS", "TestFunction", "Trajectory", "get_function", "plot_trajectories", "run_playground"]
