"""The LR finder's suggestions against the best learning rate of a grid of full runs, and torch-lr-finder's.

Issue 11, section 5: on three tasks (mnist1d cnn1d with Adam, the digits MLP with SGD and momentum,
a regression MLP with AdamW), each rule's suggestion should be within 3× of the best learning rate
of a 12-point log-spaced grid of full runs (by the final validation metric), at no more than a
tenth of the grid's compute, counted in optimizer steps and in wall time.

Per task, in one process: 12 full runs at log-spaced learning rates (constant lr, no schedule, so
that a sweep's lr and a run's lr mean the same thing), with the contestants interleaved between
them: ``trainlab.diagnose.lr_find`` over --seeds seeds (its suggestion per rule is the seeds'
geometric mean), and torch-lr-finder's ``range_test`` (same model, optimizer, data, start and end
lr and steps; its ``plot(suggest_lr=True)`` steepest-gradient suggestion). Then one full run at
each suggestion, to show what it costs in the metric to take it instead of the grid's best.

    python benchmarks/lr_finder.py            # the figures in RESULTS.md
    python benchmarks/lr_finder.py --quick    # a smoke run: short runs, 4 grid points
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
import torch

import trainlab
from trainlab.diagnose.lr_finder import lr_find
from trainlab.errors import TrainlabError

TASKS: dict[str, dict[str, Any]] = {
    "mnist1d cnn1d + Adam": {
        "recipe": {
            "data": {"name": "mnist1d", "val_fraction": 0.1},
            "model": "cnn1d",
            "optimizer": {"name": "adam"},
            "train": {"steps": 2000, "batch_size": 100, "log_every": 500},
        },
        "grid": (1e-4, 1.0),
        "metric": ("accuracy", max),
    },
    "digits MLP + SGD momentum": {
        "recipe": {
            "data": "digits",
            "model": {"name": "mlp", "depth": 2, "width": 128, "dropout": 0.1},
            "optimizer": {"name": "momentum", "momentum": 0.9},
            "train": {"epochs": 30, "batch_size": 64, "log_every": 500},
        },
        "grid": (1e-3, 10.0),
        "metric": ("accuracy", max),
    },
    "regression MLP + AdamW": {
        "recipe": {
            "data": "regression",
            "model": {"name": "mlp", "width": 64},
            "loss": "huber",
            "optimizer": {"name": "adamw", "weight_decay": 0.01},
            "train": {"steps": 1500, "batch_size": 64, "log_every": 500},
        },
        # From 1e-5: a first run from 1e-4 found its best at the grid's lowest lr.
        "grid": (1e-5, 1.0),
        "metric": ("loss", min),
    },
}
SWEEP = {"start": 1e-7, "end": 10.0, "steps": 100}


def full_run(recipe: dict[str, Any], lr: float, metric: str) -> tuple[float, int, float]:
    """The final validation metric of a run at ``lr``, its steps and its wall time (a diverged run: NaN)."""
    started = time.perf_counter()
    try:
        result = trainlab.fit(recipe, overrides=[f"optimizer.lr={lr}"], save=False, verbose=0)
    except TrainlabError:  # a NaN loss under nan_policy: raise
        return math.nan, 0, time.perf_counter() - started
    value = float(result.summary["val"][metric])
    return value, int(result.summary["run"]["steps"]), time.perf_counter() - started


def torch_lr_finder_suggestion(recipe: dict[str, Any]) -> tuple[float | None, int, float]:
    """torch-lr-finder's steepest-gradient suggestion on the recipe's model, optimizer and data."""
    from torch_lr_finder import LRFinder

    from trainlab import build
    from trainlab.api import resolve_recipe
    from trainlab.playground.figures import pyplot

    started = time.perf_counter()
    resolved = resolve_recipe(recipe)
    trainlab.train.seed_everything(resolved.train.seed)
    bundle = build.build_data(resolved)
    model = build.build_network(resolved, bundle)
    optimizer = build.build_optimizer(resolved, model)
    loader = torch.utils.data.DataLoader(bundle.train, batch_size=resolved.train.batch_size, shuffle=True)
    finder = LRFinder(model, optimizer, build.build_loss(resolved, bundle), device="cpu")
    finder.range_test(loader, start_lr=SWEEP["start"], end_lr=SWEEP["end"], num_iter=SWEEP["steps"])
    steps = len(finder.history["lr"])
    figure, axes = pyplot().subplots()
    try:
        _, suggestion = finder.plot(suggest_lr=True, ax=axes)
    except (ValueError, IndexError):  # too few points left after its skip_start/skip_end
        suggestion = None
    pyplot().close(figure)
    finder.reset()
    return suggestion, steps, time.perf_counter() - started


def bench_task(name: str, task: dict[str, Any], points: int, seeds: int, quick: bool) -> dict[str, Any]:
    recipe = task["recipe"]
    if quick:
        recipe = {**recipe, "train": {**recipe["train"], "steps": 60, "epochs": None}}
    metric, best_of = task["metric"]
    grid = np.logspace(math.log10(task["grid"][0]), math.log10(task["grid"][1]), points)
    results: dict[float, float] = {}
    grid_steps = 0
    grid_time = 0.0
    ours = theirs = None
    # The contestants run between grid points, so that a change in the machine's load hits both.
    for index, lr in enumerate(grid):
        value, steps, seconds = full_run(recipe, float(lr), metric)
        results[float(lr)], grid_steps, grid_time = value, grid_steps + steps, grid_time + seconds
        print(
            f"  {name}: lr {lr:.3g} -> val {metric} {value:.4f} ({steps} steps, {seconds:.1f} s)", flush=True
        )
        if index == points // 3:
            started = time.perf_counter()
            report = lr_find(recipe, seeds=seeds, **SWEEP)
            ours = (report, sum(len(s.lrs) for s in report.sweeps), time.perf_counter() - started)
        if index == 2 * points // 3:
            theirs = torch_lr_finder_suggestion(recipe)
    assert ours is not None and theirs is not None
    finite = {lr: v for lr, v in results.items() if not math.isnan(v)}
    best_lr = best_of(finite, key=finite.__getitem__)
    suggestions = {**ours[0].suggestions, "torch-lr-finder": theirs[0]}
    at_suggestion = {
        rule: full_run(recipe, lr, metric)[0] if lr is not None else math.nan
        for rule, lr in suggestions.items()
    }
    return {
        "grid": results,
        "best_lr": best_lr,
        "best_value": finite[best_lr],
        "metric": metric,
        "suggestions": suggestions,
        "spread": ours[0].spread,
        "at_suggestion": at_suggestion,
        "grid_steps": grid_steps,
        "grid_time": grid_time,
        "ours_steps": ours[1],
        "ours_time": ours[2],
        "theirs_steps": theirs[1],
        "theirs_time": theirs[2],
    }


def print_markdown(results: dict[str, dict[str, Any]], seeds: int) -> None:
    print(
        "\n| task | best grid lr (val metric) | rule | suggestion | × best | within 3× | val metric at suggestion | seeds' spread |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        best = f"{r['best_lr']:.3g} ({r['metric']} {r['best_value']:.4f})"
        for rule, lr in r["suggestions"].items():
            if lr is None:
                print(f"| {name} | {best} | {rule} | none | | no | | |")
                continue
            factor = lr / r["best_lr"]
            within = "yes" if 1 / 3 <= factor <= 3 else "**no**"
            spread = r["spread"].get(rule)
            spread_text = f"{spread:.2f}×" if spread else ""
            print(
                f"| {name} | {best} | {rule} | {lr:.3g} | {factor:.2f}× | {within} | "
                f"{r['at_suggestion'][rule]:.4f} | {spread_text} |"
            )
    print(
        "\n| task | grid: steps, s | trainlab lr_find ("
        + str(seeds)
        + " seeds): steps, s | ratio steps, time | torch-lr-finder: steps, s |"
    )
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['grid_steps']}, {r['grid_time']:.0f} | {r['ours_steps']}, {r['ours_time']:.1f} | "
            f"{r['ours_steps'] / r['grid_steps']:.3f}, {r['ours_time'] / r['grid_time']:.3f} | "
            f"{r['theirs_steps']}, {r['theirs_time']:.1f} |"
        )
    print("\nThe grid's val metric per lr:")
    for name, r in results.items():
        row = ", ".join(f"{lr:.2g}: {value:.3f}" for lr, value in r["grid"].items())
        print(f"- {name} ({r['metric']}): {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12, help="Learning rates in the grid.")
    parser.add_argument("--seeds", type=int, default=3, help="Seeds of trainlab's LR finder.")
    parser.add_argument("--quick", action="store_true", help="Short runs and 4 grid points: a smoke test.")
    parser.add_argument("--task", action="append", choices=list(TASKS), help="Only these tasks (repeatable).")
    args = parser.parse_args()
    points = 4 if args.quick else args.points
    results = {
        name: bench_task(name, TASKS[name], points, args.seeds, args.quick) for name in (args.task or TASKS)
    }
    print_markdown(results, args.seeds)


if __name__ == "__main__":
    main()
