"""``trainlab calibrate RUN_DIR``: temperature scaling fitted on the run's validation split, stored in the run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command(name="calibrate")(calibrate)


@reports_user_errors
def calibrate(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    weights: Annotated[
        str, option("last (model.safetensors, the default) or best (the best checkpoint).", "--weights")
    ] = "last",
    bins: Annotated[
        int, typer.Option("--bins", help="Confidence bins of the expected calibration error.")
    ] = 15,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Fit temperature scaling on the validation split; write calibration.json; show ECE and NLL before and after.

    `trainlab predict` and `trainlab.load(run)` divide the logits by the stored temperature.
    """
    from trainlab.calibration import calibrate as fit_calibration
    from trainlab.run_dir import CALIBRATION

    result = fit_calibration(run_dir, weights=weights, bins=bins, trust_code=trust_code)
    table = Table(
        title=f"temperature T = {result['temperature']:.4g} (fitted on val, {result['weights']} weights)"
    )
    for column in ("split", "ECE before", "ECE after", "NLL before", "NLL after", "accuracy"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split in ("val", "test"):
        if split in result:
            before, after = result[split]["before"], result[split]["after"]
            table.add_row(
                split,
                f"{before['ece']:.4f}",
                f"{after['ece']:.4f}",
                f"{before['nll']:.4f}",
                f"{after['nll']:.4f}",
                f"{after['accuracy']:.4f}",
            )
    console.print(table)
    console.print(f"wrote {run_dir / CALIBRATION}", highlight=False)
