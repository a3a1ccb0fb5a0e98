"""Kill soak: SIGKILL a run at random moments, resume it, and demand the uninterrupted run's bytes.

Every run is ``trainlab fit`` in a subprocess, killed with SIGKILL, then continued with
``trainlab fit --resume`` until that exits 0. A kill lands in one of three ways:

- ``time``: at a random moment in a window of the run (``--window``, as fractions of its steps).
  The moment is placed by the run's own pace: the last checkpoint before the drawn step, plus
  the remaining steps at the pace between the two checkpoints before that. A loaded machine
  changes the pace from run to run, and can stretch start-up to most of the wall time, so a
  fraction of the reference's wall time would land anywhere;
- ``write``: the moment a checkpoint folder appears without its manifest (mid-write);
- ``final``: half of them at a random moment after the last step's checkpoint is complete (within
  the reference's time for the final evaluation and writes, scaled by the run's pace), half the
  moment the temporary file of ``model.safetensors`` or ``summary.json`` appears.

Each resumed run must end bit-identical to an uninterrupted reference: model.safetensors and
metrics.jsonl byte for byte, and the last step's checkpoint tensor for tensor. Every complete
checkpoint must verify and load, and no temporary file may be left behind. A run that fails keeps
its directory, and the soak prints the checkpoint it resumed from, which tensors differ and by
how much, the first differing metrics line, and whether the checkpoint it resumed from already
differed from the reference's checkpoint of that step (the reference keeps all of them).

Modes:

- ``fast``: a 1.1M-parameter MLP for 60 steps, checkpoints of ~13 MB so that writes can be
  caught in the middle; one thread.
- ``issue``: the setup of issue 17: mnist1d cnn1d, 800 steps, ``train.deterministic=true``,
  ``train.checkpoint_every=25``, killed between 30% and 90% of the run; trainlab's default threads.

``--hog N`` runs N busy loops beside everything (the reference too), bounded by ``--hog-seconds``.
``--resume-env KEY=VALUE`` sets a variable in the resuming processes only: ``OMP_NUM_THREADS=2``
gives them another default thread count than the killed process had, as a busy machine can.

    python benchmarks/kill_soak.py --mode fast --runs 20 --during-write 6 --final 4
    python benchmarks/kill_soak.py --mode issue --runs 50 --during-write 5 --final 15 --hog 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from cpu_hog import start_hogs, stop_hogs
from run_diff import check_checkpoints, checkpoint_differences, diagnose, resume_point, same_as_reference

FAST_RECIPE = {
    "data": {"name": "mnist1d"},
    # About 1.1M parameters: with Adam's two moments a checkpoint is ~13 MB, so writes take long
    # enough to be caught in the middle.
    "model": {"name": "mlp", "width": 1024, "depth": 2},
    "optimizer": {"name": "adam", "lr": 1e-3},
    "train": {
        "steps": 60,
        "batch_size": 64,
        "checkpoint_every": 10,
        "keep_last": 2,
        "log_every": 5,
        "eval_every": 20,
        "deterministic": True,
        "progress": False,
        "threads": 1,
    },
}

# Issue 17, section 8: `trainlab fit --data mnist1d --model cnn1d --steps 800` with these two settings.
ISSUE_RECIPE = {
    "data": {"name": "mnist1d"},
    "model": {"name": "cnn1d"},
    "train": {"steps": 800, "deterministic": True, "checkpoint_every": 25, "progress": False},
}

MODES = {"fast": (FAST_RECIPE, (0.0, 1.0)), "issue": (ISSUE_RECIPE, (0.3, 0.9))}


def fit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainlab", "fit", *args]


# ------------------------------------------------------------------------------------------------
# Load beside the soak


# ------------------------------------------------------------------------------------------------
# Watching a run directory


@dataclass
class Timeline:
    """Seconds from launch to each event of an uninterrupted run."""

    recipe: float
    first_checkpoint: float
    final_checkpoint: float
    weights: float
    summary: float
    exit: float

    def pace(self, steps: int, every: int) -> float:
        """Seconds per step between the first and the last checkpoint."""
        return (self.final_checkpoint - self.first_checkpoint) / max(steps - every, 1)


def manifest(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"step-{step:08d}" / "manifest.json"


def watch_reference(
    process: subprocess.Popen, run: Path, steps: int, every: int, launched: float
) -> Timeline:
    """Poll the reference run's directory until it exits, noting when its files appear."""
    seen: dict[str, float] = {}
    watched = {
        "recipe": run / "recipe.yaml",
        "first_checkpoint": manifest(run, every),
        "final_checkpoint": manifest(run, steps),
        "weights": run / "model.safetensors",
        "summary": run / "summary.json",
    }
    while process.poll() is None:
        for event, path in watched.items():
            if event not in seen and path.exists():
                seen[event] = time.monotonic() - launched
        time.sleep(0.001)
    ended = time.monotonic() - launched
    return Timeline(**{event: seen.get(event, ended) for event in watched}, exit=ended)


def mid_write(run: Path) -> bool:
    """Whether a checkpoint write was under way: a step folder without manifest, or a temporary file."""
    checkpoints = run / "checkpoints"
    if not checkpoints.is_dir():
        return False
    for folder in checkpoints.glob("step-*"):
        if folder.is_dir() and (
            not (folder / "manifest.json").exists() or any(p.suffix == ".tmp" for p in folder.iterdir())
        ):
            return True
    return False


def phase_at_kill(run: Path, steps: int) -> str:
    """Where the killed run was, judged from what it left on disk."""
    if not (run / "recipe.yaml").exists():
        return "start-up"
    if not manifest(run, steps).exists():
        return "training"
    if (run / "summary.json").exists():
        return "finished"
    if (run / "model.safetensors").exists():
        return "summary write"
    if any(run.glob(".model.safetensors.*.tmp")):
        return "weights write"
    return "final evaluation"


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def kill_when_writing(process: subprocess.Popen, run: Path, skip_writes: int, timeout: float) -> None:
    """Poll for a checkpoint folder without its manifest and SIGKILL then."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    checkpoints = run / "checkpoints"
    while process.poll() is None and time.monotonic() < deadline:
        if checkpoints.is_dir():
            for folder in list(checkpoints.glob("step-*")):
                if folder.name not in seen and not (folder / "manifest.json").exists():
                    seen.add(folder.name)
                    if len(seen) > skip_writes:
                        kill(process)
                        return
        time.sleep(0.0005)
    kill(process)


def appearance(process: subprocess.Popen, path: Path, deadline: float) -> float | None:
    """When ``path`` exists (monotonic seconds), or None if the run ends or the deadline passes first."""
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.0005)
    return time.monotonic()


def run_pace(process: subprocess.Popen, run: Path, step: int, every: int, deadline: float) -> float | None:
    """Seconds per step of this run between the checkpoints of ``step - every`` and ``step``.

    Returns when the checkpoint of ``step`` is complete (None if the pace could not be seen).
    """
    before = appearance(process, manifest(run, step - every), deadline) if step > every else None
    after = appearance(process, manifest(run, step), deadline)
    return None if before is None or after is None else (after - before) / every


def kill_at_step(
    process: subprocess.Popen, run: Path, target: float, every: int, reference_pace: float, deadline: float
) -> None:
    """SIGKILL when the run should be at step ``target``, judged by its own pace."""
    anchor = int(target // every) * every
    if anchor == 0:
        pace, reached = reference_pace, appearance(process, run / "recipe.yaml", deadline)
    else:
        pace, reached = run_pace(process, run, anchor, every, deadline) or reference_pace, 0.0
    if reached is None:
        return
    time.sleep((target - anchor) * pace)
    if process.poll() is None:
        kill(process)


def kill_when_appears(process: subprocess.Popen, run: Path, patterns: list[str], deadline: float) -> None:
    """SIGKILL as soon as a file matching one of ``patterns`` exists in ``run``."""
    while process.poll() is None and time.monotonic() < deadline:
        if any(next(run.glob(pattern), None) for pattern in patterns):
            kill(process)
            return
        time.sleep(0.0002)


def kill_in_final_phase(
    process: subprocess.Popen,
    run: Path,
    fraction: float,
    timeline: Timeline,
    steps: int,
    every: int,
    deadline: float,
) -> None:
    """SIGKILL ``fraction`` of the way through the final evaluation and writes, judged by the run's pace."""
    pace = run_pace(process, run, steps - (steps - 1) % every - 1, every, deadline)
    if appearance(process, manifest(run, steps), deadline) is None:
        return
    reference_pace = timeline.pace(steps, every)
    scale = pace / reference_pace if pace and reference_pace > 0 else 1.0
    time.sleep(fraction * (timeline.summary - timeline.final_checkpoint) * scale)
    if process.poll() is None:
        kill(process)


# ------------------------------------------------------------------------------------------------


def resume_until_done(
    run: Path, recipe: Path, attempts: int, timeout: float, environment: dict[str, str]
) -> subprocess.CompletedProcess:
    """``trainlab fit --resume`` until it exits 0; a kill before recipe.yaml existed starts afresh.

    ``environment`` applies to resumes only: a fresh start is a new run, not a continued one.
    """
    for _ in range(attempts):
        if (run / "recipe.yaml").exists():
            command, extra = fit_command("--resume", str(run)), environment
        else:
            command, extra = fit_command(str(recipe), "--out", str(run)), {}
        resumed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **extra}
        )
        if resumed.returncode == 0:
            break
    return resumed


def kill_plan(args: argparse.Namespace) -> list[str]:
    kinds = ["write"] * args.during_write + ["final"] * args.final
    kinds += ["time"] * (args.runs - len(kinds))
    random.Random(args.seed).shuffle(kinds)
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="fast")
    parser.add_argument("--runs", type=int, default=20, help="kills in all")
    parser.add_argument(
        "--during-write", type=int, default=6, help="kills the moment a checkpoint write starts"
    )
    parser.add_argument("--final", type=int, default=4, help="kills after the last step's checkpoint")
    parser.add_argument(
        "--window",
        type=float,
        nargs=2,
        default=None,
        help="time kills: fractions of the run (mode's default)",
    )
    parser.add_argument("--threads", type=int, default=None, help="set train.threads (default: the mode's)")
    parser.add_argument("--hog", type=int, default=0, help="busy-loop processes beside the soak")
    parser.add_argument("--hog-seconds", type=float, default=3 * 3600, help="the longest a busy loop runs")
    parser.add_argument(
        "--resume-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set in the resumed processes only, e.g. OMP_NUM_THREADS=1 for another default thread count",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep-passing", action="store_true", help="keep the directories of identical runs")
    args = parser.parse_args()
    if args.during_write + args.final > args.runs:
        parser.error("--during-write plus --final exceeds --runs")
    base_recipe, default_window = MODES[args.mode]
    window = tuple(args.window) if args.window else default_window
    rng = random.Random(args.seed)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trainlab-kill-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    settings = dict(base_recipe["train"])
    if args.threads is not None:
        settings["threads"] = args.threads
    steps = settings["steps"]
    recipe = workdir / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "train": settings}))
    print("command: python " + shlex.join(sys.argv), flush=True)

    hog = start_hogs(args.hog, args.hog_seconds)
    try:
        return soak(args, recipe, workdir, steps, settings["checkpoint_every"], window, rng)
    finally:
        stop_hogs(hog)


def soak(
    args: argparse.Namespace,
    recipe: Path,
    workdir: Path,
    steps: int,
    every: int,
    window: tuple[float, float],
    rng: random.Random,
) -> int:
    resume_environment = dict(item.split("=", 1) for item in args.resume_env)
    started = time.monotonic()
    reference = workdir / "reference"
    # The reference keeps every checkpoint, so that a failing run can be compared where it resumed.
    launched = time.monotonic()
    process = subprocess.Popen(
        fit_command(str(recipe), "--out", str(reference), "--set", "train.keep_last=1000000"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    timeline = watch_reference(process, reference, steps, every, launched)
    if process.returncode != 0:
        print(process.stderr.read() if process.stderr else "", file=sys.stderr)
        return 1
    print(
        f"reference run: {timeline.exit:.1f} s (recipe.yaml at {timeline.recipe:.1f} s, last checkpoint at "
        f"{timeline.final_checkpoint:.1f} s, "
        f"weights at {timeline.weights:.1f} s, summary at {timeline.summary:.1f} s); workdir {workdir}; "
        f"mode {args.mode}, hog {args.hog}, time kills in {window[0]:.0%}-{window[1]:.0%}, "
        f"resume environment {resume_environment or 'unchanged'}",
        flush=True,
    )
    print(
        f"{'run':>3}  {'kill':<26} {'phase at kill':<16} {'mid-write':>9}  {'resumed from':>12}  "
        f"{'resume rc':>9}  {'identical':>9}  {'tmp left':>8}"
    )
    failures, caught_mid_write, phases = 0, 0, Counter()
    for index, kind in enumerate(kill_plan(args)):
        run = workdir / f"run{index:02d}"
        process = subprocess.Popen(
            fit_command(str(recipe), "--out", str(run)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 4 * timeline.exit
        if kind == "write":
            skip = rng.randrange(0, 4)
            how = f"at checkpoint write #{skip + 1}"
            kill_when_writing(process, run, skip, timeout=4 * timeline.exit)
        elif kind == "final" and rng.random() < 0.5:
            fraction = rng.uniform(0.0, 1.0)
            how = f"{fraction:.0%} into the final phase"
            kill_in_final_phase(process, run, fraction, timeline, steps, every, deadline)
        elif kind == "final":
            # The writes take milliseconds, too short to hit by timing: watch for their temporary files.
            written = rng.choice(["model.safetensors", "summary.json"])
            how = f"writing {written}"
            kill_when_appears(process, run, [f".{written}.*.tmp", written], deadline)
        else:
            target = rng.uniform(*window) * steps
            how = f"at step ~{target:.0f}"
            kill_at_step(process, run, target, every, timeline.pace(steps, every), deadline)
        during = mid_write(run)
        caught_mid_write += during
        phase = phase_at_kill(run, steps)
        phases[phase] += 1
        before = check_checkpoints(run) if run.exists() else []
        resumed_from = resume_point(run)
        # Taken now: once the run goes on, it may prune the checkpoint it resumed from.
        at_resume = resumed_from and checkpoint_differences(
            resumed_from.state_path, reference, resumed_from.step
        )

        resumed = resume_until_done(
            run, recipe, attempts=3, timeout=20 * timeline.exit + 60, environment=resume_environment
        )
        identical = resumed.returncode == 0 and same_as_reference(run, reference, steps)
        leftovers = [str(p.relative_to(run)) for p in run.rglob("*.tmp")]
        after = check_checkpoints(run)
        ok = identical and not leftovers and not before and not after
        failures += not ok
        start = str(resumed_from.step) if resumed_from else "-"
        print(
            f"{index:>3}  {how:<26} {phase:<16} {str(during):>9}  {start:>12}  {resumed.returncode:>9}  "
            f"{str(identical):>9}  {len(leftovers):>8}",
            flush=True,
        )
        if ok:
            if not args.keep_passing:
                shutil.rmtree(run)
            continue
        report = diagnose(run, reference, steps, resumed_from, at_resume) if resumed.returncode == 0 else []
        report += [f"unloadable before resume: {before}; after: {after}; tmp: {leftovers}"]
        report += ["resume stderr: " + resumed.stderr.strip()[-2000:]]
        print("\n".join("     " + line.replace("\n", "\n     ") for line in report), flush=True)
        (run / "soak-report.json").write_text(json.dumps({"kill": how, "phase": phase, "report": report}))

    print(
        f"\n{args.runs} kills ({', '.join(f'{n} {phase}' for phase, n in phases.most_common())}), "
        f"{caught_mid_write} during a checkpoint write, {failures} not identical or not clean "
        f"({time.monotonic() - started:.0f} s)"
    )
    # Only the fast mode's 13 MB checkpoints take long enough to be caught mid-write reliably.
    enough_mid_write = args.mode != "fast" or caught_mid_write >= min(5, args.during_write)
    ok = failures == 0 and enough_mid_write
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
