"""Per-run fixed cost inside an experiment worker (issue 12 §1): what a run costs beyond its training loop.

A warm worker (imports done, the dataset built by its first run) runs one-step runs one after another,
each into its own run directory, exactly as the experiment runner hands them out. For each run:

- ``task``: wall time from submitting the run to getting its record back (the runner's view);
- ``loop``: the trainer's own wall time (summary.json ``run.wall_time_s``: the step and the final
  evaluation of every split);
- ``fixed = task - loop``: building the model, loss, optimizer and batches, writing the run directory
  (recipe, preprocessing, weights, summary), and the round trip to the worker.

The first run of each recipe pays the worker's imports and the data loading and is reported apart.

    python benchmarks/experiment_fixed_cost.py --runs 10
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from trainlab.experiment.cell import run_cell
from trainlab.experiment.workers import WorkerPool

RECIPES = {
    "mnist1d cnn1d": {
        "data": {"name": "mnist1d", "val_fraction": 0.0},
        "model": "cnn1d",
        "train": {"steps": 1},
    },
    "digits mlp": {
        "data": "digits",
        "model": {"name": "mlp", "width": 128, "depth": 2},
        "train": {"steps": 1},
    },
}


def measure(pool: WorkerPool, recipe: dict, runs: int, root: Path) -> tuple[float, list[float], list[float]]:
    """(first run's task time, fixed costs of the warm runs, their task times)."""
    from trainlab.experiment.runner import _cell_recipe
    from trainlab.experiment.spec import spec_from_mapping

    cell = spec_from_mapping({"name": "fixed", "base": recipe, "seeds": runs + 1}).runs()
    fixed, tasks, first = [], [], 0.0
    for index, one in enumerate(cell):
        started = time.perf_counter()
        record = pool.submit(
            run_cell, "base", one.seed, _cell_recipe(one), str(root / f"seed-{one.seed}")
        ).result()
        task = time.perf_counter() - started
        assert record["status"] == "finished", record
        if index == 0:
            first = task
            continue
        tasks.append(task)
        fixed.append(task - record["wall_s"])
    return first, fixed, tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="warm runs per recipe")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, WorkerPool(1) as pool:
        print(f"1 worker, {pool.threads} torch thread(s); {args.runs} warm one-step runs per recipe")
        print(
            f"{'recipe':<16} {'first run s':>11} {'task s (median)':>16} {'fixed s (median)':>17} {'fixed s (max)':>14}"
        )
        for name, recipe in RECIPES.items():
            first, fixed, tasks = measure(pool, recipe, args.runs, Path(tmp) / name.replace(" ", "_"))
            print(
                f"{name:<16} {first:>11.2f} {statistics.median(tasks):>16.3f} "
                f"{statistics.median(fixed):>17.3f} {max(fixed):>14.3f}"
            )


if __name__ == "__main__":
    main()
