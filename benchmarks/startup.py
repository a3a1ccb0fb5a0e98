"""Start-up time of trainlab's entry points, measured beside ``python -c "import torch"`` in one run.

Each repeat runs every command once, in a fresh random order, each in a fresh interpreter; the
table gives medians and each command's median difference from importing torch in the same repeat.
The goals (issue 10): ``--help`` ≤ 0.5 s without torch; ``import trainlab`` ≤ torch + 0.5 s;
``trainlab catalog`` ≤ torch + 1 s.

    python benchmarks/startup.py --repeats 7
    python benchmarks/startup.py --repeats 7 --clock cpu   # on a shared machine
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
TRAINLAB = str(Path(PYTHON).with_name("trainlab"))

# name -> (command, goal as (limit in seconds, measured against "absolute" or "torch"))
COMMANDS: dict[str, tuple[list[str], tuple[float, str] | None]] = {
    "python -c 'import torch'": ([PYTHON, "-c", "import torch"], None),
    "python -c 'import trainlab'": ([PYTHON, "-c", "import trainlab"], (0.5, "torch")),
    "python -c 'from trainlab import fit'": ([PYTHON, "-c", "from trainlab import fit"], (0.5, "torch")),
    "trainlab --help": ([TRAINLAB, "--help"], (0.5, "absolute")),
    "trainlab fit --help": ([TRAINLAB, "fit", "--help"], (0.5, "absolute")),
    "trainlab catalog": ([TRAINLAB, "catalog"], (1.0, "torch")),
    "trainlab catalog --json": ([TRAINLAB, "catalog", "--json"], (1.0, "torch")),
    "trainlab fit (iris mlp, 1 step)": (
        [TRAINLAB, "fit", "--data", "iris", "--model", "mlp", "--steps", "1", "--out", "{tmp}/run{n}"],
        None,
    ),
}


def run_once(command: list[str], tmp: str, n: int, clock: str = "wall") -> float:
    """Seconds one run takes: wall clock, or the CPU time (user + system) of the process and its threads."""
    args = [part.format(tmp=tmp, n=n) for part in command]
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, args)
    if clock == "cpu":
        return usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time (the user's wait, on a quiet machine); cpu: the process's CPU time, "
        "which waiting for a core on a shared machine does not inflate",
    )
    args = parser.parse_args()
    order = list(COMMANDS)
    rng = random.Random(args.seed)
    times: dict[str, list[float]] = {name: [] for name in order}
    over_torch: dict[str, list[float]] = {name: [] for name in order}
    with tempfile.TemporaryDirectory() as tmp:
        for command, _ in COMMANDS.values():  # warm the file cache once
            run_once(command, tmp, -1)
        for repeat in range(args.repeats):
            rng.shuffle(order)
            this_repeat = {name: run_once(COMMANDS[name][0], tmp, repeat, args.clock) for name in order}
            for name, seconds in this_repeat.items():
                times[name].append(seconds)
                over_torch[name].append(seconds - this_repeat["python -c 'import torch'"])
    print(f"python {sys.version.split()[0]}, {args.repeats} repeats, {args.clock} clock, medians in seconds")
    print(f"{'command':40} {'median':>8} {'- torch':>8}  goal")
    for name, (_, goal) in COMMANDS.items():
        median = statistics.median(times[name])
        difference = statistics.median(over_torch[name])
        verdict = ""
        if goal is not None:
            limit, against = goal
            value = median if against == "absolute" else difference
            verdict = f"{'met' if value <= limit else 'MISSED'} (≤ {'' if against == 'absolute' else 'torch + '}{limit} s)"
        print(f"{name:40} {median:8.3f} {difference:+8.3f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
