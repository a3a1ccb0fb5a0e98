"""Pruning the 551K-parameter MNIST-1D MLP: accuracy against sparsity, structured size and latency, lottery tickets.

Three parts, each printing a markdown table (RESULTS.md's pruning section is their output):

* ``unstructured``: ``trainlab prune --sweep`` with global magnitude and random pruning at
  50/70/90/95%, without and with a short fine-tune; writes each sweep's sweep.png and sweep.md.
* ``structured``: neurons removed by L1 norm (30% and 50% of each hidden layer), with the same
  fine-tune; parameters, weights file and CPU latency against the unpruned model. Latency is timed
  interleaved: every repeat times each model once, in a fresh random order, so a load spike on the
  shared machine hits all of them; one torch thread, timed with that thread's CPU clock (``--clock``).
* ``lottery``: ``lottery_ticket`` (global magnitude, rewinding) against a random re-init of the same
  mask, for ``--seeds`` seeds; mean and per-seed test accuracy.

    python benchmarks/pruning.py [--part all|unstructured|structured|lottery] [--work DIR]
        [--finetune-steps 300] [--seeds 3] [--lottery-steps 2000] [--lottery-width 512] [--repeats 15]
        [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

import torch

import trainlab
from trainlab.compress import prune
from trainlab.compress.prune import lottery_ticket
from trainlab.compress.prune.sweep import sweep

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "compress" / "mnist1d_mlp.yaml"
SPARSITIES = (0.5, 0.7, 0.9, 0.95)
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
TIMING_SECONDS = 0.05  # each timing runs enough calls to last about this long


def base_run(work: Path) -> Path:
    run = work / "base"
    if not (run / "model.safetensors").is_file():
        trainlab.fit(RECIPE, out=str(run), verbose=0)
    return run


def unstructured(work: Path, finetune_steps: int) -> None:
    run = base_run(work)
    tables = {}
    for steps in (0, finetune_steps):
        out = work / f"sweep-ft{steps}"
        if not (out / "sweep.csv").is_file():
            sweep(run, ["global_magnitude", "random"], SPARSITIES, out=out, finetune_steps=steps)
        tables[steps] = {(row["method"], float(row["sparsity"])): row for row in _csv(out / "sweep.csv")}
    dense = float(tables[0][("none", 0.0)]["value"])
    print(f"\nunpruned test accuracy {dense:.4f}\n")
    print(
        "| sparsity | global magnitude | random | global magnitude, "
        f"fine-tuned {finetune_steps} | random, fine-tuned {finetune_steps} |"
    )
    print("|---:|---:|---:|---:|---:|")
    for sparsity in SPARSITIES:
        cells = [
            float(tables[steps][(method, sparsity)]["value"])
            for steps in (0, finetune_steps)
            for method in ("global_magnitude", "random")
        ]
        print(f"| {sparsity:.0%} | " + " | ".join(f"{cell:.4f}" for cell in cells) + " |")
    print(f"\nplots: {work}/sweep-ft0/sweep.png, {work}/sweep-ft{finetune_steps}/sweep.png")


def structured(work: Path, finetune_steps: int, repeats: int, clock: str) -> None:
    run = base_run(work)
    models: dict[str, tuple[Path, dict[str, Any]]] = {"unpruned": (run, _summary(run))}
    for fraction in (0.3, 0.5):
        out = work / f"structured-{fraction:g}"
        if not (out / "summary.json").is_file():
            prune(run, "structured", fraction, finetune_steps=finetune_steps, out=out)
        models[f"{fraction:.0%} of neurons"] = (out, _summary(out))
    loaded = {name: trainlab.load(path).model.eval() for name, (path, _) in models.items()}
    latency = interleaved_latency(loaded, repeats, CLOCKS[clock])
    base = models["unpruned"][1]["model"]
    print(
        "\n| model | hidden widths | parameters | weights file (bytes) | test accuracy | "
        "batch 1 (µs) | batch 256 (µs) | speed-up b1 | speed-up b256 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (_, summary) in models.items():
        facts = summary["model"]
        widths = [m.out_features for n, m in loaded[name].named_children() if n.startswith("linear")]
        ratios = [
            statistics.median(
                a / b for a, b in zip(latency["unpruned"][batch], latency[name][batch], strict=True)
            )
            for batch in (1, 256)
        ]
        print(
            f"| {name} | {widths} | {facts['parameters']:,} ({facts['parameters'] / base['parameters']:.0%}) | "
            f"{facts['weights_bytes']:,} | {summary['test']['accuracy']:.4f} | "
            f"{statistics.median(latency[name][1]) * 1e6:.1f} | {statistics.median(latency[name][256]) * 1e6:.1f} | "
            f"{ratios[0]:.2f} | {ratios[1]:.2f} |"
        )


def interleaved_latency(
    models: dict[str, torch.nn.Module], repeats: int, clock: Any
) -> dict[str, dict[int, list[float]]]:
    """Seconds per call of each model at batch 1 and 256; each repeat times every model once, in random order."""
    torch.set_num_threads(1)
    times: dict[str, dict[int, list[float]]] = {name: {1: [], 256: []} for name in models}
    generator = random.Random(0)
    with torch.inference_mode():
        for batch in (1, 256):
            x = torch.randn(batch, 1, 40)
            calls = {name: _calls_for(model, x, clock) for name, model in models.items()}
            for _ in range(repeats):
                order = list(models)
                generator.shuffle(order)
                for name in order:
                    start = clock()
                    for _ in range(calls[name]):
                        models[name](x)
                    times[name][batch].append((clock() - start) / calls[name])
    return times


def _calls_for(model: torch.nn.Module, x: torch.Tensor, clock: Any) -> int:
    calls, elapsed = 1, 0.0
    while elapsed < TIMING_SECONDS:
        calls *= 2
        start = clock()
        for _ in range(calls):
            model(x)
        elapsed = clock() - start
    return calls


def lottery(
    work: Path, seeds: int, steps: int, sparsity: float, rounds: int, rewind_step: int, width: int
) -> None:
    rows = []
    for seed in range(seeds):
        path = work / f"lottery-seed{seed}.json"
        if not path.is_file():
            result = lottery_ticket(
                RECIPE,
                sparsity=sparsity,
                rounds=rounds,
                rewind_step=rewind_step,
                reinit_seed=1000 + seed,
                overrides=[f"train.seed={seed}", f"train.steps={steps}", f"model.width={width}"],
            )
            record = {
                "seed": seed,
                "sparsity": result.sparsity,
                "dense": result.dense["test"]["accuracy"],
                "ticket": result.ticket["test"]["accuracy"],
                "random_reinit": result.random_reinit["test"]["accuracy"],
                "rounds": [
                    {"target_sparsity": r["target_sparsity"], "test": r["test"]["accuracy"]}
                    for r in result.rounds
                ],
            }
            path.write_text(json.dumps(record, indent=1))
        rows.append(json.loads(path.read_text()))
    print(
        f"\nwidth {width}, {rounds} rounds to {sparsity:.0%}, rewound to step {rewind_step}, "
        f"{steps} steps per training\n"
    )
    print(
        "| seed | weight sparsity | dense | winning ticket (rewound) | random re-init, same mask | ticket - re-init |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        gap = row["ticket"] - row["random_reinit"]
        print(
            f"| {row['seed']} | {row['sparsity']:.3f} | {row['dense']:.4f} | {row['ticket']:.4f} | "
            f"{row['random_reinit']:.4f} | {gap:+.4f} |"
        )
    means = {key: statistics.mean(row[key] for row in rows) for key in ("dense", "ticket", "random_reinit")}
    print(
        f"| mean | | {means['dense']:.4f} | {means['ticket']:.4f} | {means['random_reinit']:.4f} | "
        f"{means['ticket'] - means['random_reinit']:+.4f} |"
    )


def _summary(run: Path) -> dict[str, Any]:
    return json.loads((run / "summary.json").read_text())


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open() as file:
        return list(csv.DictReader(file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "unstructured", "structured", "lottery"], default="all")
    parser.add_argument("--work", type=Path, default=Path("runs/benchmark-pruning"))
    parser.add_argument("--finetune-steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--lottery-steps", type=int, default=2000)
    parser.add_argument("--lottery-sparsity", type=float, default=0.8)
    parser.add_argument("--lottery-rounds", type=int, default=2)
    parser.add_argument("--rewind-step", type=int, default=0)
    parser.add_argument("--lottery-width", type=int, default=512, help="hidden width of the lottery's MLP")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.part in ("all", "unstructured"):
        unstructured(args.work, args.finetune_steps)
    if args.part in ("all", "structured"):
        structured(args.work, args.finetune_steps, args.repeats, args.clock)
    if args.part in ("all", "lottery"):
        lottery(
            args.work,
            args.seeds,
            args.lottery_steps,
            args.lottery_sparsity,
            args.lottery_rounds,
            args.rewind_step,
            args.lottery_width,
        )
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
