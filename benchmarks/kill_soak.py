"""Kill soak: SIGKILL a small run at random moments (some during a checkpoint write), resume it, compare.

Every run is ``trainlab fit`` in a subprocess, killed with SIGKILL either at a random time or the
moment a checkpoint folder appears without its manifest (that is, mid-write), then continued
with ``trainlab fit --resume``. Each resumed run must end bit-identical to an uninterrupted
reference (model.safetensors and metrics.jsonl byte for byte), every complete checkpoint must
verify and load, and no temporary file may be left behind.

    python benchmarks/kill_soak.py --runs 20 --during-write 6
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from trainlab.train.checkpoint import CheckpointManager, load_state

RECIPE = {
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


def fit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainlab", "fit", *args]


def mid_write(run: Path) -> bool:
    """Whether a checkpoint write was under way: a step folder without manifest, or a temporary file."""
    checkpoints = run / "checkpoints"
    if not checkpoints.is_dir():
        return False
    for folder in checkpoints.iterdir():
        if folder.is_dir() and (
            not (folder / "manifest.json").exists() or any(p.suffix == ".tmp" for p in folder.iterdir())
        ):
            return True
    return False


def kill_when_writing(process: subprocess.Popen, run: Path, skip_writes: int, timeout: float) -> bool:
    """Poll for a checkpoint write in progress and SIGKILL then; returns whether it was caught mid-write."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    checkpoints = run / "checkpoints"
    while process.poll() is None and time.monotonic() < deadline:
        if checkpoints.is_dir():
            for folder in list(checkpoints.iterdir()):
                if folder.name not in seen and not (folder / "manifest.json").exists():
                    seen.add(folder.name)
                    if len(seen) > skip_writes:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        return mid_write(run)
        time.sleep(0.0005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return mid_write(run)


def check_checkpoints(run: Path) -> list[str]:
    problems = []
    manager = CheckpointManager(run / "checkpoints")
    for info in manager.complete():
        try:
            manager.verify(info)
            load_state(info.state_path)
        except Exception as exc:  # noqa: BLE001 (report any failure, keep soaking)
            problems.append(f"{info.path.name}: {exc}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--during-write", type=int, default=6, help="runs killed the moment a checkpoint write starts"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trainlab-kill-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    recipe = workdir / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))

    started = time.perf_counter()
    subprocess.run(
        fit_command(str(recipe), "--out", str(workdir / "reference")), check=True, capture_output=True
    )
    reference_seconds = time.perf_counter() - started
    reference = {
        name: (workdir / "reference" / name).read_bytes() for name in ("model.safetensors", "metrics.jsonl")
    }
    print(f"reference run: {reference_seconds:.1f} s; workdir {workdir}", flush=True)

    failures, caught_mid_write = 0, 0
    print(
        f"{'run':>3}  {'kill':<24} {'mid-write':>9}  {'complete at kill':<16}  {'resume rc':>9}  {'identical':>9}  "
        f"{'tmp left':>8}  checkpoints"
    )
    for index in range(args.runs):
        run = workdir / f"run{index:02d}"
        process = subprocess.Popen(
            fit_command(str(recipe), "--out", str(run)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if index < args.during_write:
            skip = rng.randrange(0, 4)
            how = f"at checkpoint write #{skip + 1}"
            during = kill_when_writing(process, run, skip, timeout=4 * reference_seconds)
        else:
            delay = rng.uniform(0.0, reference_seconds)
            how = f"after {delay:.2f} s"
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            during = mid_write(run)
        caught_mid_write += during
        before = check_checkpoints(run) if run.exists() else []
        at_kill = [info.step for info in CheckpointManager(run / "checkpoints").complete()]

        # Resume (or start again, if the kill came before the run directory held a recipe).
        if (run / "recipe.yaml").exists():
            command = fit_command("--resume", str(run))
        else:
            command = fit_command(str(recipe), "--out", str(run))
        resumed = subprocess.run(command, capture_output=True, text=True)
        identical = resumed.returncode == 0 and all(
            (run / name).read_bytes() == data for name, data in reference.items()
        )
        leftovers = [str(p.relative_to(run)) for p in run.rglob("*.tmp")]
        after = check_checkpoints(run)
        ok = identical and not leftovers and not before and not after
        failures += not ok
        steps = [info.step for info in CheckpointManager(run / "checkpoints").complete()]
        print(
            f"{index:>3}  {how:<24} {str(during):>9}  {str(at_kill):<16}  {resumed.returncode:>9}  {str(identical):>9}  "
            f"{len(leftovers):>8}  {steps}",
            flush=True,
        )
        if not ok:
            print(f"     unloadable before resume: {before}; after: {after}; tmp: {leftovers}")
            print("     " + resumed.stderr.strip().replace("\n", "\n     ")[-2000:])

    print(
        f"\n{args.runs} runs, {caught_mid_write} killed during a checkpoint write, {failures} failures "
        f"({time.perf_counter() - started:.0f} s)"
    )
    ok = failures == 0 and caught_mid_write >= min(5, args.during_write)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
