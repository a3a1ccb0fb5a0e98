"""The accuracy-sparsity curve: one pruned run per method and sparsity, drawn (PNG) and tabled (CSV, markdown)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainlab._io import write_text_atomic, write_with_atomic
from trainlab.compress.prune.run import check_sparsity, prune
from trainlab.errors import TrainlabError

COLUMNS = (
    "method",
    "sparsity",
    "finetune_steps",
    "metric",
    "value",
    "weight_sparsity",
    "nonzero_parameters",
    "run_dir",
)


def parse_sparsities(text: str) -> list[float]:
    """``"0.5,0.7,0.9"`` as floats, each checked to be in [0, 1).

    Raises:
        TrainlabError: an empty list, or an entry that is not a sparsity.
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise TrainlabError("--sweep: give sparsities separated by commas, e.g. --sweep 0.5,0.7,0.9,0.95")
    return [check_sparsity(part, key="--sweep") for part in parts]


def sweep(
    run_dir: str | os.PathLike[str],
    methods: Sequence[str],
    sparsities: Sequence[float],
    *,
    out: str | os.PathLike[str],
    finetune_steps: int = 0,
    options: Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
    trust_code: bool = False,
) -> list[dict[str, Any]]:
    """Prune ``run_dir`` with every method at every sparsity; write sweep.csv, sweep.md and sweep.png to ``out``.

    Each point is its own run directory under ``out`` (``<method>-<sparsity>``). The table's
    first row is the unpruned run. The metric is the test split's accuracy for a classifier (the
    validation split's when there is no test split), otherwise its loss.

    Returns:
        One row per point, with the keys of ``COLUMNS``.
    """
    from trainlab.registry import PRUNERS

    for method in methods:
        PRUNERS.get(method, key="--method")  # an unknown name fails before any work
    for sparsity in sparsities:
        check_sparsity(sparsity, key="--sweep")
    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise TrainlabError(f"--out: '{target}' is not empty; a sweep writes a new directory, choose another")
    rows: list[dict[str, Any]] = []
    for method in methods:
        for sparsity in sparsities:
            result = prune(
                run_dir,
                method,
                sparsity,
                finetune_steps=finetune_steps,
                out=target / f"{method}-{sparsity:g}",
                options=options,
                overrides=overrides,
                trust_code=trust_code,
            )
            if not rows:
                rows.append(_row("none", 0.0, 0, result.summary["pruning"]["source_metrics"], None, None, ""))
                rows[0]["nonzero_parameters"] = result.summary["pruning"]["source_model"][
                    "nonzero_parameters"
                ]
            summary = result.summary
            rows.append(
                _row(
                    method,
                    sparsity,
                    finetune_steps,
                    summary,
                    summary["pruning"]["weight_sparsity"],
                    summary["model"]["nonzero_parameters"],
                    str(result.run_dir),
                )
            )
    write_table(rows, target)
    return rows


def _row(
    method: str,
    sparsity: float,
    finetune_steps: int,
    metrics: Mapping[str, Any],
    weight_sparsity: float | None,
    nonzero: int | None,
    run_dir: str,
) -> dict[str, Any]:
    split = "test" if "test" in metrics else "val"
    name = "accuracy" if "accuracy" in metrics[split] else "loss"
    return {
        "method": method,
        "sparsity": sparsity,
        "finetune_steps": finetune_steps,
        "metric": f"{split}_{name}",
        "value": metrics[split][name],
        "weight_sparsity": weight_sparsity,
        "nonzero_parameters": nonzero,
        "run_dir": run_dir,
    }


def write_table(rows: Sequence[Mapping[str, Any]], out: Path) -> None:
    """sweep.csv, sweep.md and sweep.png (one line per method, the unpruned run as a dashed line)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "sweep.csv", buffer.getvalue())
    lines = ["| " + " | ".join(COLUMNS[:-1]) + " |", "|" + "---|" * (len(COLUMNS) - 1)]
    for row in rows:
        cells = [_cell(row[column]) for column in COLUMNS[:-1]]
        lines.append("| " + " | ".join(cells) + " |")
    write_text_atomic(out / "sweep.md", "\n".join(lines) + "\n")
    write_with_atomic(out / "sweep.png", lambda tmp: _plot(rows, tmp))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _plot(rows: Sequence[Mapping[str, Any]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    dense = rows[0]
    axes.axhline(dense["value"], color="gray", linestyle="--", label="unpruned")
    for method in dict.fromkeys(row["method"] for row in rows[1:]):
        points = [row for row in rows[1:] if row["method"] == method]
        axes.plot(
            [row["sparsity"] for row in points], [row["value"] for row in points], marker="o", label=method
        )
    steps = rows[-1]["finetune_steps"]
    axes.set_xlabel("sparsity (fraction removed)")
    axes.set_ylabel(dense["metric"].replace("_", " "))
    axes.set_title("pruned" + (f", fine-tuned {steps} steps" if steps else ", no fine-tune"))
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=120)
    plt.close(figure)
