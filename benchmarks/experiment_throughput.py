"""Experiment throughput (issue 12 §1): 2 workers against 1 worker on an 8-run ablation; target ≥ 1.8x.

The ablation is the MNIST-1D CNN (cnn1d, the paper's recipe shortened to ``--steps``) at 4 learning rates
× 2 seeds. Each contestant is a fresh ``trainlab experiment run EXP.yaml --workers N`` process, timed
from start to exit (start-up, worker spawn and every run included), each into a new directory. The
runner splits torch's threads: 1 worker trains with every core, 2 workers with cores // 2 each. The
contestants are interleaved A B B A ... so that a change in the machine's load hits both alike.

Beside the end-to-end ratio (the target), it prints the ratio of the runs' own training time (each
cell's ``wall_s`` summed, divided by the workers): the throughput once the workers run, without the
command's start-up (imports, spawning and warming the workers, opening the storage), its exit, and
the wait for the slower worker's last run.

    python benchmarks/experiment_throughput.py               # 4000 steps per run (~13 s on a quiet VM), 2 rounds
    python benchmarks/experiment_throughput.py --steps 300 --rounds 1
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from experiment_resume import command as experiment_command  # the same `trainlab experiment run` line


def write_spec(directory: Path, steps: int) -> Path:
    spec = {
        "name": "throughput",
        "base": {
            "data": {"name": "mnist1d", "val_fraction": 0.0},
            "model": "cnn1d",
            "optimizer": {"name": "adam", "lr": 1e-2},
            "train": {"steps": steps, "batch_size": 100, "log_every": 100},
        },
        "grid": {"optimizer.lr": [1e-2, 5e-3, 2e-3, 1e-3]},
        "seeds": 2,
    }
    path = directory / "throughput.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_once(spec: Path, out: Path, workers: int) -> tuple[float, float]:
    """The command's wall time, and its cells' summed run time per worker."""
    started = time.perf_counter()
    subprocess.run(experiment_command(spec, out, workers), check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    from trainlab.experiment.results import load_results

    results = load_results(out)
    counts = results.counts()
    assert counts["finished"] == 8, counts
    return wall, sum(record.wall_s or 0.0 for record in results.runs) / workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="optimizer steps per run")
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each contestant")
    args = parser.parse_args()
    walls: dict[int, list[float]] = {1: [], 2: []}
    training: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(Path(tmp), args.steps)
        for round_index in range(args.rounds):
            for workers in (1, 2) if round_index % 2 == 0 else (2, 1):
                wall, cells = run_once(spec, Path(tmp) / f"round{round_index}-workers{workers}", workers)
                walls[workers].append(wall)
                training[workers].append(cells)
                print(
                    f"round {round_index}: {workers} worker(s): 8 runs in {wall:.1f} s ({8 * 60 / wall:.1f} runs/min); "
                    f"runs' own time per worker {cells:.1f} s, the rest {wall - cells:.1f} s"
                )
    one, two = sum(walls[1]), sum(walls[2])
    print(f"\n1 worker: {one / args.rounds:.1f} s per 8 runs; 2 workers: {two / args.rounds:.1f} s")
    print(f"throughput of 2 workers / 1 worker: {one / two:.2f}x (target >= 1.8x)")
    for index, (a, b) in enumerate(zip(walls[1], walls[2], strict=True)):
        print(f"  round {index}: {a / b:.2f}x")
    print(
        f"the runs' own time (start-up and exit left out): {sum(training[1]) / sum(training[2]):.2f}x "
        f"(1 worker {sum(training[1]) / args.rounds:.1f} s, 2 workers {sum(training[2]) / args.rounds:.1f} s per worker)"
    )


if __name__ == "__main__":
    main()
