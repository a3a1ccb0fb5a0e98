"""The LR finder's picture: loss against learning rate (log scale), each seed's curve, each rule's suggestion marked."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainlab.diagnose.lr_finder import LRFindReport

RULE_STYLES = {"steepest": ("tab:red", "v"), "minimum/10": ("tab:green", "s"), "valley": ("tab:purple", "o")}


def plot_lr_find(report: LRFindReport, out: str | Path, title: str = "LR range test") -> Path:
    """Draw every sweep's smoothed loss (raw loss faint), each rule's suggestion per seed as a
    marker on its curve, and the combined suggestion as a dashed line; write it atomically to ``out``.

    Raises:
        TrainlabError: ``out`` is not a .png/.svg/.pdf path, or cannot be written.
    """
    from trainlab.diagnose.lr_finder import DEFAULT_RULE
    from trainlab.playground.figures import check_figure_path, pyplot, save_figure

    check_figure_path(out)
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for sweep in report.sweeps:
        label = f"seed {sweep.seed}" if sweep.seed is not None else "smoothed loss"
        (line,) = axes.plot(sweep.lrs, sweep.smoothed, label=label, linewidth=1.5)
        axes.plot(sweep.lrs, sweep.losses, color=line.get_color(), alpha=0.2, linewidth=0.8)
        for rule, suggestion in sweep.suggestions.items():
            if suggestion is not None:
                color, marker = RULE_STYLES[rule]
                # minimum/10 marks the minimum it read; its line (below) sits a decade to the left.
                read_at = suggestion.lr * (10 if rule == "minimum/10" else 1)
                axes.plot(
                    [read_at], [suggestion.loss], marker=marker, color=color, markersize=7, linestyle=""
                )
    for rule, lr in report.suggestions.items():
        if lr is not None:
            color, _ = RULE_STYLES[rule]
            default = " (default)" if rule == DEFAULT_RULE else ""
            axes.axvline(lr, color=color, linestyle="--", linewidth=1, label=f"{rule}{default}: {lr:.2g}")
    finite = [loss for sweep in report.sweeps for loss in sweep.smoothed if math.isfinite(loss)]
    if finite:
        # The divergence cliff would squash the useful part of the curve: show up to 1.5× the start.
        first = max(sweep.smoothed[0] for sweep in report.sweeps)
        low, high = min(finite), min(max(finite), first + 0.5 * abs(first))
        margin = 0.05 * (high - low) or 0.05
        axes.set_ylim(low - margin, high + margin)
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss (smoothed)")
    axes.set_title(title)
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)
    return save_figure(figure, out)
