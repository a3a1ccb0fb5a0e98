"""``trainlab export``: a run's model with its preprocessing, as ONNX, torch.export or safetensors, checked against torch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command()(export)


@reports_user_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    fmt: Annotated[str, typer.Option("--format", help="onnx, torch-export or safetensors.")] = "onnx",
    out: Annotated[
        Path | None, option("Output file (default: RUN_DIR/export/model.<suffix>).", "--out")
    ] = None,
    weights: Annotated[
        str,
        typer.Option("--weights", help="last: the final weights; best: the best checkpoint by validation."),
    ] = "last",
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", help="Largest difference from torch's outputs that passes the check."),
    ] = 1e-4,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Export the run's scaling and model as one module, and check its outputs against torch's."""
    from trainlab.inference import load
    from trainlab.inference.export import export_run

    result = export_run(load(run_dir, weights=weights, trust_code=trust_code), fmt, out, tolerance=tolerance)
    batches = " and ".join(str(size) for size in result.check_batches)
    console.print(
        f"{result.format} export written to {result.path}\n"
        f"max |export - torch| on check batches of {batches} samples: {result.max_abs_diff:.3g}",
        highlight=False,
    )
