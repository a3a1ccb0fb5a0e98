"""Steps/s of ``trainlab fit`` with one core busy in another process: the default threads against fixed counts.

Issue 17, section 7: on a 2-core machine with one core busy elsewhere, torch's intra-op threads
wait for each other at every operation, and a 2-thread run of the digits MLP fell to a sixth of
the 1-thread speed. The goal: with one core busy, trainlab's default is within 1.5× of the best
thread setting for the same run, and on a quiet machine no slower than the old default (every
core), for the digits MLP and the mnist1d CNN.

Each repeat runs both conditions in a random order: "quiet", then "hog" with a bounded CPU hog (a
separate process spinning on one core, which exits by itself after --hog-seconds at the latest)
started before the trials and stopped after them. Within a condition every model × setting trial
runs once, in a fresh random order, each as a fresh ``trainlab fit`` of --steps steps. The speed
is summary.json's ``run.steps_per_s`` (the training loop and its final evaluation, not start-up),
as the CLI's closing line prints it. ``run queue`` is the machine's other runnable threads before
each trial (from /proc/loadavg, without the hog): on a shared machine, read the figures with it.

    python benchmarks/busy_machine.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from cpu_hog import start_hogs, stop_hogs

TRAINLAB = str(Path(sys.executable).with_name("trainlab"))
MODELS = {
    "digits mlp": ["--data", "digits", "--model", "mlp"],
    "mnist1d cnn1d": ["--data", "mnist1d", "--model", "cnn1d"],
}
CONDITIONS = ("quiet", "hog")
GOAL_BUSY = 1.5  # the best setting's speed over the default's, with one core busy


def run_queue() -> int | None:
    """Other runnable threads on the machine right now (this process's reader excluded)."""
    try:
        return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0]) - 1
    except (OSError, IndexError, ValueError):
        return None


def trial(model: str, setting: str, steps: int, out: Path) -> dict:
    """One ``trainlab fit``; returns its speed and the thread count it trained with."""
    command = [TRAINLAB, "fit", *MODELS[model], "--steps", str(steps), "--out", str(out)]
    command += ["--set", "train.progress=false"]
    if setting != "default":
        command += ["--set", f"train.threads={setting}"]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    run = json.loads((out / "summary.json").read_text())["run"]
    threads = run.get("threads")
    return {"steps_per_s": run["steps_per_s"], "threads": threads["count"] if threads else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="fixed counts to compare")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--hog-seconds", type=float, default=900.0, help="the hog's upper bound per condition"
    )
    parser.add_argument("--seed", type=int, default=0, help="for the trial order")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    settings = ["default", *(str(n) for n in args.threads)]
    speeds: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    # Per repeat: (model, condition) -> {setting: steps/s}, for ratios taken within one repeat.
    paired: list[dict[tuple[str, str], dict[str, float]]] = []
    chosen: dict[tuple[str, str], list[int]] = defaultdict(list)
    queues: dict[str, list[int]] = defaultdict(list)
    print(f"{os.cpu_count()} CPUs, affinity {len(os.sched_getaffinity(0))}; {args.repeats} repeats")
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            paired.append(defaultdict(dict))
            for condition in rng.sample(CONDITIONS, len(CONDITIONS)):
                trials = [(model, setting) for model in args.models for setting in settings]
                rng.shuffle(trials)
                hogs = start_hogs(1, args.hog_seconds) if condition == "hog" else []
                try:
                    for n, (model, setting) in enumerate(trials):
                        queue = run_queue()
                        if queue is not None:
                            queue -= len(hogs)
                            queues[condition].append(queue)
                        out = Path(tmp) / f"r{repeat}-{condition}-{n}"
                        result = trial(model, setting, args.steps, out)
                        speeds[model, condition, setting].append(result["steps_per_s"])
                        paired[-1][model, condition][setting] = result["steps_per_s"]
                        if setting == "default" and result["threads"] is not None:
                            chosen[model, condition].append(result["threads"])
                        print(
                            f"repeat {repeat} {condition:5} {model:14} threads={setting:7} "
                            f"{result['steps_per_s']:7.1f} steps/s (trained with {result['threads']}; "
                            f"other runnable threads {queue})",
                            flush=True,
                        )
                finally:
                    stop_hogs(hogs)

    print()
    header = " | ".join(f"threads={s}" if s != "default" else "default" for s in settings)
    print(f"| model | condition | {header} | default chose | best fixed ÷ default (median per repeat) |")
    print("|---|---|" + "---:|" * len(settings) + "---|---:|")
    for model in args.models:
        for condition in CONDITIONS:
            medians = [statistics.median(speeds[model, condition, s]) for s in settings]
            ratios = []
            for per_repeat in paired:
                row = per_repeat.get((model, condition), {})
                if "default" in row:
                    ratios.append(max(row[s] for s in settings[1:]) / row["default"])
            counts = sorted(set(chosen[model, condition]))
            picks = ", ".join(f"{c} ×{chosen[model, condition].count(c)}" for c in counts) or "—"
            cells = " | ".join(f"{m:.0f}" for m in medians)
            spread = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
            print(f"| {model} | {condition} | {cells} | {picks} | {spread} |")
    for condition in CONDITIONS:
        if queues[condition]:
            values = queues[condition]
            print(
                f"other runnable threads before each {condition} trial: median {statistics.median(values)}, "
                f"range {min(values)}–{max(values)}"
            )
    print(f"goal: with the hog, best fixed ÷ default ≤ {GOAL_BUSY}; quiet, default ≥ threads=<every core>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
