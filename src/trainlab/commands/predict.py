"""``trainlab predict``: predictions for a file of new inputs, from a run or an ensemble of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainlab.commands.support import error_console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command()(predict)


@reports_user_errors
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    input_file: Annotated[
        Path, typer.Option("--input", help="Inputs in the run's column layout: .csv, .npy, .npz or .pt.")
    ],
    output: Annotated[Path | None, option("Prediction file (default: stdout).", "--output")] = None,
    top_k: Annotated[
        int | None, option("Write only the K most probable classes per sample.", "--top-k")
    ] = None,
    fmt: Annotated[
        str | None, option("csv or jsonl (default: from --output's suffix, else csv).", "--format")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Samples per forward pass.")] = 1024,
    ensemble: Annotated[
        list[Path], typer.Option("--ensemble", help="Another run to average with (repeatable).")
    ] = [],  # noqa: B006 (typer copies list defaults per call)
    tta: Annotated[
        bool, typer.Option("--tta", help="Average over the run's own training augmentations.")
    ] = False,
    weights: Annotated[
        str,
        typer.Option("--weights", help="last: the final weights; best: the best checkpoint by validation."),
    ] = "last",
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Input samples read at a time.")] = 65536,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Predict the label (and class probabilities) or value of every sample in a file of new inputs."""
    from trainlab.inference.predict_file import predict_file

    rows = predict_file(
        [run_dir, *ensemble],
        input_file,
        output,
        fmt=fmt,
        top_k=top_k,
        batch_size=batch_size,
        tta=tta,
        weights=weights,
        trust_code=trust_code,
        chunk_rows=chunk_rows,
    )
    if output is not None:
        error_console.print(f"{rows} predictions written to {output}", highlight=False)
