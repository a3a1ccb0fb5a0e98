"""Step time of every catalog optimizer, as a ratio to torch AdamW(fused=True) measured in the same run.

Three models: (a) the mnist1d CNN (5,210 parameters in 8 tensors), (b) an MLP with 64 parameter
tensors and ~133K parameters, (c) ~4M parameters in 8 tensors. Gradients are fixed random tensors,
so only ``optimizer.step()`` is timed. Each repeat runs every contestant once, in a fresh random
order, so drift in machine load hits all alike; the table shows medians over repeats and the
median of the per-repeat ratios to AdamW(fused). Where kozistr's pytorch_optimizer has the same
algorithm, its class is timed too (its defaults, as a user would get them).

Optimizers that need a closure (lbfgs, sam, asam, newton, bfgs, cg) are left out: their step is
dominated by the forward and backward passes they re-run.

    python benchmarks/optim_step.py --repeats 7 --threads 1
"""

from __future__ import annotations

import argparse
import copy
import platform
import random
import statistics
import time
from collections.abc import Callable

import torch

import trainlab  # noqa: F401  (registers components)
from trainlab.models import build_model
from trainlab.registry import OPTIMIZERS

CLOSURE_ONLY = {"lbfgs", "sam", "asam", "newton", "bfgs", "cg"}
# Our own first-order optimizers and kozistr's pytorch_optimizer class for the same algorithm.
PYTORCH_OPTIMIZER = {
    "lion": ("Lion", {"lr": 1e-4}),
    "lamb": ("Lamb", {"lr": 1e-3}),
    "lars": ("LARS", {"lr": 1.0}),
    "adabelief": ("AdaBelief", {"lr": 1e-3}),
    "schedule_free_sgd": ("ScheduleFreeSGD", {"lr": 1.0}),
    "schedule_free_adamw": ("ScheduleFreeAdamW", {"lr": 2.5e-3}),
}


def models() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(32)])  # 64 tensors, 133,120 params
    big = torch.nn.Sequential(*[torch.nn.Linear(1000, 1000) for _ in range(4)])  # 8 tensors, 4,004,000 params
    return {"a_cnn1d": build_model("cnn1d", (1, 40), 10), "b_mlp64": mlp, "c_4m": big}


def contestants() -> dict[str, Callable[[torch.nn.Module], torch.optim.Optimizer]]:
    result: dict[str, Callable[[torch.nn.Module], torch.optim.Optimizer]] = {
        "torch AdamW(fused)": lambda model: torch.optim.AdamW(model.parameters(), fused=True),
        "torch AdamW(default)": lambda model: torch.optim.AdamW(model.parameters()),
    }
    for entry in OPTIMIZERS:
        if entry.name not in CLOSURE_ONLY:
            result[entry.name] = lambda model, e=entry: e.build(list(model.named_parameters()))
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
    pristine: torch.nn.Module,
    make: Callable[[torch.nn.Module], torch.optim.Optimizer],
    grads: list[torch.Tensor],
    steps: int,
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
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - start) / steps


def _selected(contestant: str, names: list[str]) -> bool:
    counterparts = {f"pytorch_optimizer {PYTORCH_OPTIMIZER[n][0]}" for n in names if n in PYTORCH_OPTIMIZER}
    return contestant in names or contestant in counterparts or contestant == "torch AdamW(fused)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per contestant per repeat")
    parser.add_argument("--models", default="a_cnn1d,b_mlp64,c_4m")
    parser.add_argument(
        "--max-step", type=float, default=1.0, help="skip contestants slower than this (s/step)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated catalog names to time (with their "
        "pytorch_optimizer counterparts and the AdamW(fused) baseline); default: all",
    )
    args = parser.parse_args()
    unknown_models = sorted(set(args.models.split(",")) - set(models()))
    if unknown_models:
        parser.error(f"--models: {', '.join(unknown_models)} unknown; choose from {', '.join(models())}")
    unknown = sorted(set(args.only.split(",")) - set(contestants())) if args.only else []
    if unknown:
        parser.error(
            f"--only: {', '.join(unknown)} not in the catalog (see `trainlab catalog optimizers`; "
            f"closure-only {', '.join(sorted(CLOSURE_ONLY))} are not timed)"
        )
    torch.set_num_threads(args.threads)
    print(
        f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} thread(s), "
        f"{args.repeats} interleaved repeats"
    )
    for model_name, model in models().items():
        if model_name not in args.models.split(","):
            continue
        grads = [torch.randn_like(p) * 1e-2 for p in model.parameters()]
        makers = contestants()
        if args.only:
            makers = {name: make for name, make in makers.items() if _selected(name, args.only.split(","))}
        # Steps per measurement from one probe, so each contestant runs about `budget` seconds.
        probe = {name: time_steps(model, make, grads, 1) for name, make in makers.items()}
        too_slow = {name: seconds for name, seconds in probe.items() if seconds > args.max_step}
        for name in too_slow:
            del makers[name]
        steps = {name: max(3, int(args.budget / max(probe[name], 1e-6))) for name in makers}
        times: dict[str, list[float]] = {name: [] for name in makers}
        ratios: dict[str, list[float]] = {name: [] for name in makers}
        for _ in range(args.repeats):
            order = list(makers)
            random.shuffle(order)
            round_times = {name: time_steps(model, makers[name], grads, steps[name]) for name in order}
            for name, seconds in round_times.items():
                times[name].append(seconds)
                ratios[name].append(seconds / round_times["torch AdamW(fused)"])
        count = sum(p.numel() for p in model.parameters())
        print(f"\n## model {model_name}: {count:,} parameters in {len(grads)} tensors\n")
        print("| optimizer | median step (µs) | × AdamW(fused) |")
        print("|---|---:|---:|")
        for name in sorted(makers, key=lambda n: statistics.median(ratios[n])):
            print(
                f"| {name} | {statistics.median(times[name]) * 1e6:,.0f} | {statistics.median(ratios[name]):.2f} |"
            )
        for name, seconds in too_slow.items():
            print(f"| {name} | skipped: {seconds:.1f} s per step | |")
        _print_speedups(times)


def _print_speedups(times: dict[str, list[float]]) -> None:
    """Ours against pytorch_optimizer's class for the same algorithm: the median of per-repeat ratios."""
    pairs = [(ours, f"pytorch_optimizer {cls}") for ours, (cls, _) in PYTORCH_OPTIMIZER.items()]
    pairs = [(ours, theirs) for ours, theirs in pairs if ours in times and theirs in times]
    if not pairs:
        return
    print("\n| optimizer | speed-up over pytorch_optimizer (median of per-repeat ratios) |")
    print("|---|---:|")
    for ours, theirs in pairs:
        speedups = [t / o for o, t in zip(times[ours], times[theirs], strict=True)]
        print(f"| {ours} | {statistics.median(speedups):.2f} |")


if __name__ == "__main__":
    main()
