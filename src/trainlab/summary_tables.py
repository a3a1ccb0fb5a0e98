"""A run's results for a person: metric tables, the closing line, and numbers short enough to read.

Imports only rich, so the command line can use it without loading torch.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table


def short_number(value: float) -> str:
    """Four significant digits, in exponent form when large or tiny: a loss of 1e29 reads ``1e+29``."""
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    """One split's loss and scalar metrics (curves and matrices are in summary.json)."""
    table = Table(title=title, show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        if isinstance(value, float):
            table.add_row(
                key, f"{value:.4f}" if math.isfinite(value) and abs(value) < 1e4 else short_number(value)
            )
        elif isinstance(value, (int, str)):
            table.add_row(key, str(value))
    return table


def print_summary(summary: dict[str, Any], console: Console, *, tables: bool = True) -> None:
    """Every split's table, a warning if the run diverged, then steps, time, speed and where the files are."""
    run = summary["run"]
    for split in ("train", "val", "test"):
        if tables and split in summary:
            console.print(metrics_table(split, summary[split]))
    if run.get("diverged"):
        console.print(f"[bold yellow]warning:[/] the run diverged: {run['diverged']}", highlight=False)
    finetune = summary.get("finetune")
    if tables and finetune:  # --quiet keeps to the closing line
        console.print(
            f"frozen: {finetune['frozen_tensors']} of {finetune['tensors']} tensors, "
            f"{finetune['frozen_parameters']:,} of {finetune['parameters']:,} parameters"
            + (" (gradual unfreezing)" if finetune.get("unfreeze_schedule") else ""),
            highlight=False,
        )
    steps = f"{run['session_steps']} steps"
    if run.get("resumed_from_step"):
        steps += f" (resumed at step {run['resumed_from_step']}, now at {run['steps']})"
    speed = f" ({run['steps_per_s']:.0f} steps/s)" if run["steps_per_s"] else ""
    console.print(
        f"{steps} in {run['wall_time_s']:.1f} s{speed}, {run['parameters']:,} parameters"
        + (f"; run directory: {run['dir']}" if run["dir"] else ""),
        highlight=False,
    )
