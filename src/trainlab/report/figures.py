"""The report's matplotlib figures, each returned as a data: URI that an HTML page inlines (no files, no URLs)."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from trainlab.experiment.statistics import Description
    from trainlab.report.run_data import RunData

# Wide enough for a page column, small enough that a report with a dozen figures stays a few MB.
WIDTH_IN = 7.5
DPI = 110
DIVERGED_COLOR = "#c0392b"


def _horizontal_boxes() -> dict[str, Any]:
    """boxplot's keyword for horizontal boxes: ``orientation`` from matplotlib 3.10, ``vert`` before it."""
    from importlib.metadata import version

    major, minor = (int(part) for part in version("matplotlib").split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


HORIZONTAL = _horizontal_boxes()


def new_figure(width: float = WIDTH_IN, height: float = 3.6, columns: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure with ``columns`` side-by-side axes, drawn off-screen (no GUI backend, no pyplot state)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)


def figure_data_uri(figure: Figure, fmt: str = "png") -> str:
    """``figure`` rendered as a ``data:image/png;base64,...`` (or ``svg``) URI, for an ``<img src>``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=DPI)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _seed_band(
    runs: Sequence[RunData], kind: str, split: str, key: str
) -> tuple[list[int], list[float], list[float], list[float]]:
    """Steps, and the mean, min and max over the runs that logged ``key`` at each step."""
    by_step: dict[int, list[float]] = {}
    for run in runs:
        for step, value in zip(*run.series(kind, split, key), strict=True):
            if math.isfinite(value):
                by_step.setdefault(step, []).append(value)
    steps = sorted(by_step)
    means = [sum(by_step[s]) / len(by_step[s]) for s in steps]
    return steps, means, [min(by_step[s]) for s in steps], [max(by_step[s]) for s in steps]


def _draw_band(
    axes: Axes, runs: Sequence[RunData], kind: str, split: str, key: str, label: str
) -> float | None:
    """Draw one group's mean and band; returns the lowest value drawn (None when there was nothing)."""
    steps, means, lows, highs = _seed_band(runs, kind, split, key)
    if not steps:
        return None
    # A split evaluated only at the end is one point, which a bare line would not show.
    (line,) = axes.plot(steps, means, label=label, linewidth=1.5, marker="o" if len(steps) < 4 else None)
    if len(runs) > 1:
        axes.fill_between(steps, lows, highs, color=line.get_color(), alpha=0.2, linewidth=0)
    return min(lows)


def learning_curves(groups: Mapping[str, Sequence[RunData]], metric: str, split: str = "val") -> str | None:
    """Training loss and ``split``'s ``metric`` over steps: one line per group (its seeds' mean) in a band
    from the seeds' min to max. None when no run logged anything."""
    panels = [("step", "train", "loss", "training loss"), ("eval", split, metric, f"{split} {metric}")]
    present = [
        panel
        for panel in panels
        if any(run.series(panel[0], panel[1], panel[2])[0] for g in groups.values() for run in g)
    ]
    if not present:
        return None
    figure, axes_list = new_figure(columns=len(present))
    for axes, (kind, panel_split, key, title) in zip(axes_list, present, strict=True):
        lowest = [_draw_band(axes, runs, kind, panel_split, key, label) for label, runs in groups.items()]
        axes.set_title(title)
        axes.set_xlabel("step")
        if key == "loss" and all(value is None or value > 0 for value in lowest):
            axes.set_yscale("log")
        axes.grid(alpha=0.3)
    axes_list[-1].legend(fontsize="small")
    return figure_data_uri(figure)


def lr_schedule(groups: Mapping[str, Sequence[RunData]]) -> str | None:
    """The logged learning rate over steps (one point per log interval), one line per group (its first run:
    seeds share a schedule)."""
    figure, (axes,) = new_figure(height=3.0)
    drawn = False
    for label, runs in groups.items():
        for run in runs[:1]:
            steps, rates = run.series("step", "train", "lr")
            if steps:
                axes.plot(steps, rates, label=label, linewidth=1.2, marker=".", markersize=4)
                drawn = True
    if not drawn:
        return None
    axes.set_xlabel("step")
    axes.set_ylabel("learning rate")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    return figure_data_uri(figure)


def final_metric(
    table: Mapping[str, Mapping[Any, float]],
    descriptions: Mapping[str, Description],
    metric: str,
    split: str,
) -> str:
    """Each variant's final metric: a box over its seeds, every seed as a point, and the mean with its t CI.

    Diverged seeds (NaN/inf) are drawn as red crosses on the axis floor and counted in the tick label.
    """
    import numpy as np

    variants = list(table)
    figure, (axes,) = new_figure(height=max(2.4, 0.55 * len(variants) + 1.2))
    finite_all = [v for values in table.values() for v in values.values() if math.isfinite(v)]
    floor = min(finite_all) if finite_all else 0.0
    rng = np.random.default_rng(0)  # a fixed jitter: the same report twice is the same picture
    labels = []
    for row, variant in enumerate(variants):
        values = list(table[variant].values())
        finite = [v for v in values if math.isfinite(v)]
        diverged = len(values) - len(finite)
        if finite:
            axes.boxplot(
                [finite], positions=[row], widths=0.5, showfliers=False, manage_ticks=False, **HORIZONTAL
            )
            jitter = rng.uniform(-0.12, 0.12, size=len(finite))
            axes.scatter(finite, row + jitter, s=18, alpha=0.8, zorder=3, color="#2c7fb8")
        description = descriptions.get(variant)
        if description is not None and description.n >= 2:
            low, high = description.t_ci
            axes.errorbar(
                [description.mean],
                [row + 0.32],
                xerr=[[description.mean - low], [high - description.mean]],
                fmt="D",
                color="black",
                markersize=4,
                capsize=3,
                zorder=4,
            )
        if diverged:
            axes.scatter(
                [floor] * diverged, [row] * diverged, marker="x", color=DIVERGED_COLOR, s=40, zorder=4
            )
        labels.append(f"{variant}" + (f"\n({diverged} diverged)" if diverged else ""))
    axes.set_yticks(range(len(variants)), labels)
    axes.invert_yaxis()
    axes.set_xlabel(f"{split} {metric} (points: seeds; diamond: mean with 95% t CI)")
    axes.grid(axis="x", alpha=0.3)
    return figure_data_uri(figure)


def confusion_matrix(matrix: Sequence[Sequence[float]], classes: Sequence[str], title: str) -> str:
    """A confusion matrix as a heat map (rows: true class, columns: predicted), counts written in small ones."""
    import numpy as np

    counts = np.asarray(matrix, dtype=float)
    size = len(counts)
    side = min(WIDTH_IN, 1.8 + 0.3 * size)
    figure, (axes,) = new_figure(width=side, height=side)
    image = axes.imshow(counts, cmap="Blues")
    names = list(classes) if len(classes) == size else [str(i) for i in range(size)]
    axes.set_xticks(range(size), names, rotation=90 if size > 8 else 0, fontsize="small")
    axes.set_yticks(range(size), names, fontsize="small")
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title, fontsize="medium")
    if size <= 12:  # past that the numbers no longer fit their cells
        threshold = counts.max() / 2 if counts.size else 0
        for (i, j), value in np.ndenumerate(counts):
            axes.text(
                j,
                i,
                f"{value:g}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value > threshold else "black",
            )
    figure.colorbar(image, ax=axes, shrink=0.8)
    return figure_data_uri(figure)
