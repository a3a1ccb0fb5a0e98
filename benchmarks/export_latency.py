"""ONNX Runtime (CPU) against torch eager: latency of each built-in model exported with its preprocessing.

Each model is the module ``trainlab export`` writes (scaling, then the model), timed at batch 1
and batch 256. Contestants are interleaved: every repeat times torch eager and the ONNX Runtime
session once each, in a fresh random order, so a load spike on a shared machine hits both; the
table gives the median time per call and the median of the per-repeat ratios. Both runtimes use
the same number of threads (``--threads``); with one, both compute on the calling thread, so
``--clock cpu`` (that thread's CPU time) leaves out the time a busy machine keeps it waiting for a core.

    python benchmarks/export_latency.py [--repeats 9] [--threads 1] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from trainlab.data.transforms.standardize import Standardizer
from trainlab.inference import Predictor, Preprocessing
from trainlab.inference.export import WithPreprocessing, export_run
from trainlab.models import build_model

SHAPES = {"mlp": (1, 8, 8), "cnn1d": (1, 40), "gru": (1, 40), "cnn2d": (1, 8, 8), "resnet": (1, 8, 8)}
BATCHES = (1, 256)
# Each timing runs enough calls to last about this long, so that a scheduler tick is a small part of it.
TIMING_SECONDS = 0.05
Runner = Callable[[torch.Tensor], object]
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}


def contestants(name: str, work: Path, threads: int) -> dict[str, Runner]:
    import onnxruntime

    torch.manual_seed(0)
    shape = SHAPES[name]
    preprocessing = Preprocessing(
        task="classification",
        input_shape=shape,
        scaling="standardize",
        scaler=Standardizer.fit(torch.randn(64, *shape) * 3 + 1),
        classes=list(range(10)),
    )
    predictor = Predictor(
        build_model(name, shape, 10), preprocessing, run_dir=work, model_spec={"name": name}
    )
    path = export_run(predictor, "onnx", work / f"{name}.onnx").path
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    module = WithPreprocessing.of(predictor)

    def eager(x: torch.Tensor) -> object:
        with torch.inference_mode():
            return module(x)

    return {"torch eager": eager, "onnxruntime": lambda x: session.run(None, {"input": x.numpy()})}


def time_calls(
    run: Runner, x: torch.Tensor, calls: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Seconds per call of ``run(x)``, over ``calls`` calls."""
    started = clock()
    for _ in range(calls):
        run(x)
    return (clock() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    rng = random.Random(0)
    print(
        f"torch {torch.__version__}, {args.threads} thread(s) each, {args.repeats} interleaved repeats, {args.clock} clock\n"
    )
    print(
        "| model | batch | torch eager (µs/call) | onnxruntime (µs/call) | torch / onnxruntime (median of repeats) |"
    )
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for name in SHAPES:
            runners = contestants(name, Path(scratch), args.threads)
            for batch in BATCHES:
                x = torch.randn(batch, *SHAPES[name])
                # Warm-up (first calls allocate and plan), which also sizes each contestant's timings.
                calls = {
                    label: max(1, math.ceil(TIMING_SECONDS / time_calls(run, x, 3)))
                    for label, run in runners.items()
                }
                times: dict[str, list[float]] = {label: [] for label in runners}
                for _ in range(args.repeats):
                    order = list(runners)
                    rng.shuffle(order)
                    for label in order:
                        times[label].append(time_calls(runners[label], x, calls[label], clock))
                ratio = statistics.median(
                    t / o for t, o in zip(times["torch eager"], times["onnxruntime"], strict=True)
                )
                eager, onnx = (
                    statistics.median(times[label]) * 1e6 for label in ("torch eager", "onnxruntime")
                )
                print(f"| {name} | {batch} | {eager:.1f} | {onnx:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
