"""Teaching features built on the library: the 2-D optimizer playground and schedule curves.

The playground runs optimizers on classic test functions (trajectories, steps to tolerance);
``schedule_plot`` draws a schedule's learning-rate curve (``trainlab schedule plot``).
"""

from trainlab.playground.functions import FUNCTIONS, TestFunction, get_function
from trainlab.playground.run import Trajectory, plot_trajectories, run_playground

__all__ = ["FUNCTIONS", "TestFunction", "Trajectory", "get_function", "plot_trajectories", "run_playground"]
