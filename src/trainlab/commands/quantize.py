"""``trainlab quantize RUN_DIR``: a trained run in int8 (torchao dynamic/static/QAT, optionally ONNX Runtime) as a new run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command(name="quantize")(quantize)


@reports_user_errors
def quantize(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    method: Annotated[
        str,
        option(
            "dynamic (int8 weights, inputs quantized per row at run time), static (inputs with scales "
            "calibrated on training batches) or qat-convert (static, for a run trained with the qat callback).",
            "--method",
        ),
    ] = "dynamic",
    calibration_batches: Annotated[
        int,
        option(
            "Training batches (of the run's batch size) that calibrate static input scales.",
            "--calibration-batches",
        ),
    ] = 32,
    onnx: Annotated[
        bool, option("Also export to ONNX and quantize with ONNX Runtime into RUN/export/.", "--onnx")
    ] = False,
    out: Annotated[str | None, option("The new run directory.", "--out")] = None,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Quantize a trained run's Linear layers to int8 into a new run directory that evaluates and predicts like any run.

    summary.json records the size on disk, the accuracy change and, with --onnx, the ONNX Runtime
    files' sizes and accuracy. Latency: benchmarks/quantization.py.
    """
    from trainlab.compress.quantize.run import quantize as quantize_run

    result = quantize_run(
        run_dir, method, calibration_batches=calibration_batches, onnx=onnx, out=out, trust_code=trust_code
    )
    summary, record = result.summary, result.summary["quantization"]
    split = "test" if "test" in summary else "val"
    before, after = record["source_metrics"].get(split, {}), summary[split]
    metric = "accuracy" if "accuracy" in after else "loss"
    console.print(
        f"int8 {record['method']} (torchao): {split} {metric} {before.get(metric, float('nan')):.4f} -> "
        f"{after[metric]:.4f}; weights file {record['source_model']['weights_bytes']:,} -> "
        f"{summary['model']['weights_bytes']:,} bytes ({record['size_ratio']:.2f}x smaller)",
        highlight=False,
    )
    if "onnx" in record:
        ort = record["onnx"]
        console.print(
            f"ONNX Runtime int8: {ort['split']} accuracy {ort['accuracy']['fp32']:.4f} -> {ort['accuracy']['int8']:.4f}; "
            f"file {ort['bytes']['fp32']:,} -> {ort['bytes']['int8']:,} bytes ({ort['size_ratio']:.2f}x smaller)",
            highlight=False,
        )
    console.print(f"wrote {result.run_dir}", highlight=False)
