"""The run's diagnostics as pictures: gradient norms, activation zeros and scale, update ratios per layer over steps."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainlab.diagnose.records import read_records
from trainlab.errors import TrainlabError
from trainlab.playground.figures import pyplot, save_figure

PICTURES_DIR = "diagnostics"


def draw_pictures(run_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """Draw ``grad_norm.png``, ``activations.png`` and ``update_ratio.png`` from a run's diagnostics.jsonl.

    Args:
        run_dir: A run directory whose run measured diagnostics (``fit --diagnose``).
        out_dir: Where the pictures go; default ``RUN_DIR/diagnostics/``.

    Returns:
        The files written (a picture whose statistics the run did not measure is left out).

    Raises:
        TrainlabError: the run directory holds no diagnostics.
    """
    records = read_records(run_dir)
    if not records:
        raise TrainlabError(
            f"{run_dir}: no diagnostics.jsonl rows to draw; train with `trainlab fit ... --diagnose`"
        )
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / PICTURES_DIR
    params = [r for r in records if r["kind"] == "param"]
    activations = sorted((r for r in records if r["kind"] == "activation"), key=lambda r: r["depth"])
    written = []
    if any(r.get("grad_norm") is not None for r in params):
        written.append(
            _heatmaps(
                [(params, "grad_norm", "log10 gradient norm", "viridis", None)],
                "Gradient norm per parameter tensor",
                out / "grad_norm.png",
            )
        )
    if activations:
        written.append(
            _heatmaps(
                [
                    (activations, "zero_frac", "fraction of exact zeros", "magma", (0.0, 1.0)),
                    (activations, "std", "log10 std of the output", "viridis", None),
                ],
                "Activations per layer (in forward order)",
                out / "activations.png",
            )
        )
    if any(r.get("update_ratio") is not None for r in params):
        written.append(
            _heatmaps(
                [(params, "update_ratio", "log10 ‖Δw‖/‖w‖ (healthy near −3)", "coolwarm", (-6.0, 0.0))],
                "Update-to-weight ratio per parameter tensor",
                out / "update_ratio.png",
            )
        )
    return written


def _heatmaps(
    panels: Sequence[tuple[list[dict[str, Any]], str, str, str, tuple[float, float] | None]],
    title: str,
    path: Path,
) -> Path:
    """One heatmap per panel: layers down, sampled steps across; a ``log10`` label means log scale."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    for axis, (rows, key, label, colormap, limits) in zip(axes[0], panels, strict=True):
        layers, steps, matrix = _layer_by_step(rows, key, log=label.startswith("log10"))
        vmin, vmax = limits if limits is not None else (None, None)
        image = axis.imshow(
            matrix, aspect="auto", interpolation="nearest", cmap=colormap, vmin=vmin, vmax=vmax
        )
        figure.colorbar(image, ax=axis, label=label)
        axis.set_yticks(
            range(len(layers)), [_short(name) for name in layers], fontsize=max(4, 9 - len(layers) // 12)
        )
        ticks = list(range(0, len(steps), max(1, len(steps) // 8)))
        axis.set_xticks(ticks, [str(steps[i]) for i in ticks])
        axis.set_xlabel("step")
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def _layer_by_step(rows: list[dict[str, Any]], key: str, *, log: bool) -> tuple[list[str], list[int], Any]:
    """The values of ``key`` as a layers × steps matrix (NaN where missing), layers in first-seen order."""
    import numpy as np

    layers = list(dict.fromkeys(r["layer"] for r in rows))
    steps = sorted({r["step"] for r in rows})
    matrix = np.full((len(layers), len(steps)), np.nan)
    layer_index = {name: i for i, name in enumerate(layers)}
    step_index = {step: i for i, step in enumerate(steps)}
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            if log:
                value = math.log10(value) if value > 0 else math.nan
            matrix[layer_index[row["layer"]], step_index[row["step"]]] = value
    return layers, steps, matrix


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]
