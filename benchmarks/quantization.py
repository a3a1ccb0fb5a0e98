"""Int8 quantization of the compression base model: size on disk, accuracy change and CPU latency, torch and ONNX Runtime.

For the MLP of ``recipes/compress/mnist1d_mlp.yaml`` (551,434 parameters):

1. ``trainlab quantize --method dynamic --onnx`` and ``--method static --onnx`` on the float run:
   weights file (torchao, safetensors) and ONNX file sizes, test accuracy before and after.
2. QAT: the same recipe trained with the ``qat`` callback, then ``--method qat-convert``; the
   static-PTQ accuracy gap against the gap left after QAT (both against the float run).
3. Latency at batch 1 and 256 of float32 against int8, in torch (the run's model and the int8
   model as ``trainlab.load`` rebuilds it) and in ONNX Runtime (the exported files), plus torch's
   deprecated ``torch.ao.quantization.quantize_dynamic`` (fbgemm kernels) for reference. Contestants
   are interleaved: every repeat times each once in a fresh random order, so a load spike on a
   shared machine hits all of them; one thread each.

    python benchmarks/quantization.py --work runs/bench-quantization [--repeats 9] [--clock wall|cpu]

Runs already in ``--work`` (float/, qat/) are reused, so the script can be re-run for the timings.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import statistics
import sys
from pathlib import Path
from typing import Any

import torch
from export_latency import CLOCKS, time_calls

import trainlab
from trainlab.compress.quantize.onnx_runtime import onnx_session
from trainlab.compress.quantize.run import quantize

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "compress" / "mnist1d_mlp.yaml"
BATCHES = (1, 256)
TIMING_SECONDS = 0.05


def trained(work: Path, name: str, overrides: list[str]) -> Path:
    run = work / name
    if not (run / "summary.json").is_file():
        trainlab.fit(RECIPE, out=str(run), overrides=[*overrides, "train.progress=false"], verbose=0)
    return run


def quantized(source: Path, work: Path, method: str, calibration_batches: int) -> dict[str, Any]:
    out = work / f"{source.name}-int8-{method}"
    if not (out / "summary.json").is_file():
        quantize(source, method, calibration_batches=calibration_batches, onnx=True, out=out)
    return json.loads((out / "summary.json").read_text()) | {"dir": str(out)}


def accuracy_rows(float_summary: dict[str, Any], results: dict[str, dict[str, Any]]) -> list[str]:
    rows = [
        "| model | library | file bytes | × smaller | test accuracy | change (points) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    fp32 = float_summary["test"]["accuracy"]
    rows.append(
        f"| float32 | torch (safetensors) | {float_summary['model']['weights_bytes']:,} | 1.00 | {fp32:.4f} | |"
    )
    for label, summary in results.items():
        record = summary["quantization"]
        accuracy = summary["test"]["accuracy"]
        rows.append(
            f"| int8 {label} | torchao (safetensors) | {summary['model']['weights_bytes']:,} | "
            f"{float_summary['model']['weights_bytes'] / summary['model']['weights_bytes']:.2f} | {accuracy:.4f} | "
            f"{(accuracy - fp32) * 100:+.2f} |"
        )
        ort = record["onnx"]
        rows.append(
            f"| int8 {label} | onnxruntime (ONNX, float32 {ort['bytes']['fp32']:,} B, accuracy {ort['accuracy']['fp32']:.4f}) | "
            f"{ort['bytes']['int8']:,} | {ort['size_ratio']:.2f} | {ort['accuracy']['int8']:.4f} | "
            f"{(ort['accuracy']['int8'] - ort['accuracy']['fp32']) * 100:+.2f} |"
        )
    return rows


def qat_rows(
    float_summary: dict[str, Any], static: dict[str, Any], qat: dict[str, Any], qat_float: dict[str, Any]
) -> list[str]:
    fp32 = float_summary["test"]["accuracy"]
    static_gap = (fp32 - static["test"]["accuracy"]) * 100
    qat_gap = (fp32 - qat["test"]["accuracy"]) * 100
    closed = (static_gap - qat_gap) / static_gap if static_gap > 0 else math.nan
    return [
        "| | test accuracy | gap to float32 (points) |",
        "|---|---:|---:|",
        f"| float32 (plain training) | {fp32:.4f} | |",
        f"| static PTQ int8 (torchao) | {static['test']['accuracy']:.4f} | {static_gap:+.2f} |",
        f"| QAT run, float32 weights (fake-quant removed) | {qat_float['test']['accuracy']:.4f} | {(fp32 - qat_float['test']['accuracy']) * 100:+.2f} |",
        f"| QAT then qat-convert int8 (torchao) | {qat['test']['accuracy']:.4f} | {qat_gap:+.2f} |",
        "",
        f"Static-PTQ gap {static_gap:.2f} points; "
        + (
            "it is not above 0.5 points, so there is no gap for QAT to close (the acceptance rule does not apply)."
            if static_gap <= 0.5
            else f"QAT closes {closed:.0%} of it."
        ),
    ]


def contestants(float_run: Path, dynamic: dict[str, Any], threads: int) -> dict[str, Any]:
    float_model = trainlab.load(float_run).model.eval()
    int8_model = trainlab.load(dynamic["dir"]).model.eval()
    legacy = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(float_model), {torch.nn.Linear}, dtype=torch.qint8
    )
    ort = dynamic["quantization"]["onnx"]["files"]
    sessions = {name: onnx_session(path, threads) for name, path in ort.items()}

    def torch_runner(model: torch.nn.Module) -> Any:
        def run(x: torch.Tensor) -> Any:
            with torch.inference_mode():
                return model(x)

        return run

    def ort_runner(session: Any) -> Any:
        return lambda x: session.run(None, {"input": x.numpy()})

    return {
        "torch float32": torch_runner(float_model),
        "torch int8 (torchao)": torch_runner(int8_model),
        "torch int8 (torch.ao, deprecated)": torch_runner(legacy),
        "onnxruntime float32": ort_runner(sessions["fp32"]),
        "onnxruntime int8": ort_runner(sessions["int8"]),
    }


def latency_rows(runners: dict[str, Any], shape: list[int], repeats: int, clock: Any) -> list[str]:
    generator = random.Random(0)
    rows = [
        "| runtime | batch | µs/call (median) | × float32 of the same runtime (median of repeats) |",
        "|---|---:|---:|---:|",
    ]
    for batch in BATCHES:
        x = torch.randn(batch, *shape)
        calls = {
            name: max(1, math.ceil(TIMING_SECONDS / time_calls(run, x, 3))) for name, run in runners.items()
        }
        times: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(repeats):
            order = list(runners)
            generator.shuffle(order)
            for name in order:
                times[name].append(time_calls(runners[name], x, calls[name], clock))
        for name in runners:
            base = "torch float32" if name.startswith("torch") else "onnxruntime float32"
            ratio = statistics.median(t / b for t, b in zip(times[name], times[base], strict=True))
            rows.append(f"| {name} | {batch} | {statistics.median(times[name]) * 1e6:.1f} | {ratio:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/bench-quantization"))
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--calibration-batches", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)

    float_run = trained(args.work, "float", [])
    qat_run = trained(args.work, "qat", ["callbacks=[{name: qat}]"])
    float_summary = json.loads((float_run / "summary.json").read_text())
    results = {
        method: quantized(float_run, args.work, method, args.calibration_batches)
        for method in ("dynamic", "static")
    }
    qat = quantized(qat_run, args.work, "qat-convert", args.calibration_batches)
    qat_float = json.loads((qat_run / "summary.json").read_text())
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}, {args.threads} thread(s) each\n")
    print("\n".join(accuracy_rows(float_summary, results)), "\n")
    print("\n".join(qat_rows(float_summary, results["static"], qat, qat_float)), "\n")
    print(f"{args.repeats} interleaved repeats, {args.clock} clock\n")
    runners = contestants(float_run, results["dynamic"], args.threads)
    shape = float_summary["data"]["input_shape"]
    print("\n".join(latency_rows(runners, shape, args.repeats, CLOCKS[args.clock])))


if __name__ == "__main__":
    main()
