"""Step time of every catalog optimizer, as a ratio to torch AdamW(fused=True) measured in the same run.

Models of mixed shapes, as users train them: (a) the mnist1d CNN (5,210 parameters in 8 tensors),
(b) an MLP 40→256→128→64→10 (52,298 in 8), (c) a transformer encoder block (d_model 64, 4 heads,
feed-forward 256, LayerNorms) between a 100×64 embedding and a 10-way head (57,034 in 15), and
(d) 4,004,000 parameters in 8 tensors, where every optimizer is memory-bound.

Optimizers are created as users create them, ``trainlab.create("optimizer", name,
model.named_parameters())``, with their catalog defaults. Gradients are fixed random tensors, so
only ``optimizer.step()`` is timed. Each repeat runs every contestant once, in a fresh random
order, each on its own fresh copy of the model, so drift in machine load hits all alike; the
tables show the median step and the median of the per-repeat ratios. Where kozistr's
pytorch_optimizer has the same algorithm, its class is timed too (its defaults).

``--compare-with REF`` also times trainlab's own first-order optimizers as they were at the git
ref REF: ``git archive`` extracts that ``src/trainlab`` into a temporary directory, and a worker
process importing it times each of them when its turn comes in the same shuffled repeats.

``--clock cpu`` times with the process's CPU time instead of the wall clock: on a machine shared
with other work and with one torch thread, time spent waiting for a core then does not count.

Optimizers that need a closure (lbfgs, sam, asam, newton, bfgs, cg) are left out: their step is
dominated by the forward and backward passes they re-run.

    python benchmarks/optim_step.py --repeats 7 --threads 1 --compare-with 1d89b23
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

import trainlab
from trainlab.models import build_model

CLOSURE_ONLY = {"lbfgs", "sam", "asam", "newton", "bfgs", "cg"}
BASELINE = "torch AdamW(fused)"
# Our own first-order optimizers and kozistr's pytorch_optimizer class for the same algorithm.
PYTORCH_OPTIMIZER = {
    "lion": ("Lion", {"lr": 1e-4}),
    "lamb": ("Lamb", {"lr": 1e-3}),
    "lars": ("LARS", {"lr": 1.0}),
    "adabelief": ("AdaBelief", {"lr": 1e-3}),
    "schedule_free_sgd": ("ScheduleFreeSGD", {"lr": 1.0}),
    "schedule_free_adamw": ("ScheduleFreeAdamW", {"lr": 2.5e-3}),
}
OURS = list(PYTORCH_OPTIMIZER)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
Maker = Callable[[torch.nn.Module], torch.optim.Optimizer]


class TransformerClassifier(torch.nn.Module):
    """An embedding, one transformer encoder block and a 10-way head: many shapes, LayerNorm parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(100, 64)
        self.block = torch.nn.TransformerEncoderLayer(
            d_model=64, nhead=4, dim_feedforward=256, batch_first=True
        )
        self.head = torch.nn.Linear(64, 10)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.embedding(tokens)).mean(dim=1))


def models() -> dict[str, Callable[[], torch.nn.Module]]:
    """Each benchmark model's constructor (seeded, so every process builds the same weights)."""

    def mlp() -> torch.nn.Module:
        widths = [40, 256, 128, 64, 10]
        layers: list[torch.nn.Module] = []
        for fan_in, fan_out in zip(widths, widths[1:], strict=False):
            layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
        return torch.nn.Sequential(*layers[:-1])

    def large() -> torch.nn.Module:
        return torch.nn.Sequential(*[torch.nn.Linear(1000, 1000) for _ in range(4)])

    return {
        "a_cnn1d": lambda: build_model("cnn1d", (1, 40), 10),
        "b_mlp": mlp,
        "c_transformer": TransformerClassifier,
        "d_4m": large,
    }


def build(model_name: str) -> tuple[torch.nn.Module, list[torch.Tensor]]:
    """The model and fixed gradients for it, the same in every process."""
    torch.manual_seed(0)
    model = models()[model_name]()
    generator = torch.Generator().manual_seed(1)
    grads = [torch.randn(p.shape, generator=generator) * 1e-2 for p in model.parameters()]
    return model, grads


def contestants() -> dict[str, Maker]:
    result: dict[str, Maker] = {
        BASELINE: lambda model: torch.optim.AdamW(model.parameters(), fused=True),
        "torch AdamW(default)": lambda model: torch.optim.AdamW(model.parameters()),
    }
    for entry in trainlab.catalog("optimizer"):
        if entry.name not in CLOSURE_ONLY:
            result[entry.name] = lambda model, n=entry.name: trainlab.create(
                "optimizer", n, model.named_parameters()
            )
    try:
        import pytorch_optimizer
    except ImportError:
        return result
    for cls_name, options in PYTORCH_OPTIMIZER.values():
        cls = getattr(pytorch_optimizer, cls_name)
        result[f"pytorch_optimizer {cls_name}"] = lambda model, c=cls, o=options: _train_mode(
            c(model.parameters(), **o)
        )
    result["pytorch_optimizer Lookahead(AdamW)"] = lambda model: pytorch_optimizer.Lookahead(
        torch.optim.AdamW(model.parameters())
    )
    return result


def _train_mode(optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    if callable(getattr(optimizer, "train", None)):
        optimizer.train()
    return optimizer


def time_steps(
    pristine: torch.nn.Module, make: Maker, grads: list[torch.Tensor], steps: int, clock: str = "wall"
) -> float:
    """Seconds per step, after 3 warm-up steps (which create the state).

    Every measurement gets its own copy of the model, with each parameter in its own allocation
    as in a freshly built model: trainlab's optimizers re-point parameters into one flat buffer
    on their first step, and a contestant timed on those parameters afterwards would inherit
    that memory layout.
    """
    model = copy.deepcopy(pristine)
    optimizer = make(model)
    for p, g in zip(model.parameters(), grads, strict=True):
        p.grad = g
    for _ in range(3):
        optimizer.step()
    now = CLOCKS[clock]
    start = now()
    for _ in range(steps):
        optimizer.step()
    return (now() - start) / steps


class Before:
    """trainlab's optimizers as they were at a git ref, timed in a worker process on request."""

    def __init__(self, ref: str, threads: int):
        self.ref = ref
        self._directory = tempfile.TemporaryDirectory(prefix="trainlab-before-")
        root = Path(__file__).resolve().parents[1]
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref, "src/trainlab"], cwd=root, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self._directory.name, filter="data")
        source = str(Path(self._directory.name) / "src")
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]),
        }
        self._worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            text=True,
        )
        self.version = self._ask({"report": "version"})

    def time(self, model_name: str, optimizer: str, steps: int, clock: str) -> float:
        request = {"model": model_name, "optimizer": optimizer, "steps": steps, "clock": clock}
        return float(self._ask(request))

    def _ask(self, request: dict[str, object]) -> object:
        assert self._worker.stdin is not None and self._worker.stdout is not None
        self._worker.stdin.write(json.dumps(request) + "\n")
        self._worker.stdin.flush()
        return json.loads(self._worker.stdout.readline())["answer"]

    def close(self) -> None:
        if self._worker.stdin is not None:
            self._worker.stdin.close()
        self._worker.wait()
        self._directory.cleanup()


def worker() -> None:
    """Answer timing requests on stdin with the trainlab this process imports (see :class:`Before`)."""
    built: dict[str, tuple[torch.nn.Module, list[torch.Tensor]]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("report") == "version":
            answer: object = str(Path(trainlab.__file__).parent)
        else:
            if request["model"] not in built:
                built[request["model"]] = build(request["model"])
            model, grads = built[request["model"]]
            make = contestants()[request["optimizer"]]
            answer = time_steps(model, make, grads, request["steps"], request["clock"])
        print(json.dumps({"answer": answer}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per contestant per repeat")
    parser.add_argument("--models", default=",".join(models()))
    parser.add_argument(
        "--max-step", type=float, default=1.0, help="skip contestants slower than this (s/step)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated catalog names to time (with their "
        "pytorch_optimizer counterparts and the AdamW(fused) baseline); default: all",
    )
    parser.add_argument(
        "--compare-with", default="", metavar="REF", help="also time our own optimizers as of this git ref"
    )
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="what a step's time is")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        worker()
        return
    unknown_models = sorted(set(args.models.split(",")) - set(models()))
    if unknown_models:
        parser.error(f"--models: {', '.join(unknown_models)} unknown; choose from {', '.join(models())}")
    unknown = sorted(set(args.only.split(",")) - set(contestants())) if args.only else []
    if unknown:
        parser.error(
            f"--only: {', '.join(unknown)} not in the catalog (see `trainlab catalog optimizers`; "
            f"closure-only {', '.join(sorted(CLOSURE_ONLY))} are not timed)"
        )
    before = Before(args.compare_with, args.threads) if args.compare_with else None
    print(
        f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} thread(s), "
        f"{args.repeats} interleaved repeats, {args.clock} clock"
        + (f"; 'before' is trainlab at {args.compare_with}" if before else "")
    )
    try:
        for model_name in args.models.split(","):
            run_model(model_name, args, before)
    finally:
        if before is not None:
            before.close()


def run_model(model_name: str, args: argparse.Namespace, before: Before | None) -> None:
    model, grads = build(model_name)
    makers = contestants()
    if args.only:
        makers = {name: make for name, make in makers.items() if _selected(name, args.only.split(","))}
    timers: dict[str, Callable[[int], float]] = {
        name: lambda steps, make=make: time_steps(model, make, grads, steps, args.clock)
        for name, make in makers.items()
    }
    if before is not None:
        for name in OURS:
            if name in makers:
                timers[f"{name} @{before.ref}"] = lambda steps, n=name: before.time(
                    model_name, n, steps, args.clock
                )
    # Steps per measurement from one probe, so each contestant runs about `budget` seconds.
    probe = {name: timer(1) for name, timer in timers.items()}
    too_slow = {name: seconds for name, seconds in probe.items() if seconds > args.max_step}
    for name in too_slow:
        del timers[name]
    steps = {name: max(3, int(args.budget / max(probe[name], 1e-6))) for name in timers}
    times: dict[str, list[float]] = {name: [] for name in timers}
    ratios: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(args.repeats):
        order = list(timers)
        random.shuffle(order)
        round_times = {name: timers[name](steps[name]) for name in order}
        for name, seconds in round_times.items():
            times[name].append(seconds)
            ratios[name].append(seconds / round_times[BASELINE])
    count = sum(p.numel() for p in model.parameters())
    print(f"\n## model {model_name}: {count:,} parameters in {len(grads)} tensors\n")
    print(f"| optimizer | median step (µs) | × {BASELINE} |")
    print("|---|---:|---:|")
    for name in sorted(timers, key=lambda n: statistics.median(ratios[n])):
        print(
            f"| {name} | {statistics.median(times[name]) * 1e6:,.0f} | {statistics.median(ratios[name]):.2f} |"
        )
    for name, seconds in too_slow.items():
        print(f"| {name} | skipped: {seconds:.1f} s per step | |")
    _print_targets(times, ratios, before)


def _print_targets(
    times: dict[str, list[float]], ratios: dict[str, list[float]], before: Before | None
) -> None:
    """Our own optimizers against the targets: medians of per-repeat ratios."""
    rows = [name for name in OURS if name in times]
    if not rows:
        return
    header = f"\n| ours | × {BASELINE} (target ≤ 1.5) | speed-up over pytorch_optimizer (target ≥ 1.5) |"
    rule = "|---|---:|---:|"
    if before is not None:
        header += f" × {BASELINE} @{before.ref} | speed-up over @{before.ref} |"
        rule += "---:|---:|"
    print(header)
    print(rule)
    for name in rows:
        theirs = f"pytorch_optimizer {PYTORCH_OPTIMIZER[name][0]}"
        cells = [f"{statistics.median(ratios[name]):.2f}", _speedup(times, name, theirs)]
        if before is not None:
            old = f"{name} @{before.ref}"
            cells += [
                f"{statistics.median(ratios[old]):.2f}" if old in ratios else "—",
                _speedup(times, name, old),
            ]
        print(f"| {name} | " + " | ".join(cells) + " |")


def _speedup(times: dict[str, list[float]], ours: str, other: str) -> str:
    if other not in times:
        return "—"
    return f"{statistics.median(t / o for o, t in zip(times[ours], times[other], strict=True)):.2f}"


def _selected(contestant: str, names: list[str]) -> bool:
    counterparts = {f"pytorch_optimizer {PYTORCH_OPTIMIZER[n][0]}" for n in names if n in PYTORCH_OPTIMIZER}
    return contestant in names or contestant in counterparts or contestant == BASELINE


if __name__ == "__main__":
    main()
