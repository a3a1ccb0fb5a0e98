"""Experiment resume (issue 12 §1): SIGKILL the runner halfway, run the same command again, compare.

A deterministic experiment of 3 variants × 5 seeds (digits MLP, ``train.deterministic``, checkpoints
every ``--checkpoint-every`` steps) runs twice with the same command line:

1. **reference**: uninterrupted;
2. **killed**: SIGKILLed once ``--kill-after`` cells have finished, then the same command again.

Passes when:

- the runner's workers die with it (no orphan process trains on after the SIGKILL);
- every cell is done once: one closed trial per cell in the storage, the cells finished before the
  kill are untouched by the rerun (their summary.json unchanged), and each cell that was in flight
  continues from the checkpoint it had (its summary's ``resumed_from_step``), not from step 0;
- every final metric of every split of every cell equals the reference's, bit for bit.

    python benchmarks/experiment_resume.py                    # 3 x 5 cells, 600 steps, 2 workers
    python benchmarks/experiment_resume.py --steps 200 --checkpoint-every 20
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def write_spec(directory: Path, steps: int, checkpoint_every: int) -> Path:
    spec = {
        "name": "resume",
        "base": {
            "data": "digits",
            "model": {"name": "mlp", "width": 64, "depth": 2},
            "optimizer": {"name": "adamw", "lr": 3e-3},
            "train": {
                "steps": steps,
                "batch_size": 32,
                "deterministic": True,
                "checkpoint_every": checkpoint_every,
                "log_every": checkpoint_every,
            },
        },
        "variants": {
            "adamw": {},
            "sgd": {"optimizer.name": "sgd", "optimizer.lr": 0.05},
            "wide": {"model.width": 128},
        },
        "seeds": 5,
    }
    path = directory / "resume.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def command(spec: Path, out: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "trainlab",
        "experiment",
        "run",
        str(spec),
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]


def finished_cells(out: Path) -> dict[str, int]:
    """Cell -> summary.json's mtime, for the cells whose summary says finished."""
    done = {}
    for summary in out.glob("runs/*/*/summary.json"):
        try:
            if json.loads(summary.read_text()).get("status") == "finished":
                done[f"{summary.parent.parent.name}/{summary.parent.name}"] = summary.stat().st_mtime_ns
        except (OSError, ValueError):
            continue  # being written
    return done


def children(pid: int) -> list[int]:
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in path.read_text().split()]
    return found


def newest_checkpoint(run_dir: Path) -> int:
    steps = [
        int(p.name.split("-")[-1])
        for p in (run_dir / "checkpoints").glob("step-*")
        if (p / "manifest.json").exists()
    ]
    return max(steps, default=0)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def kill_halfway(
    spec: Path, out: Path, workers: int, kill_after: int
) -> tuple[dict[str, int], dict[str, int], list[int]]:
    """Start the runner, SIGKILL it once ``kill_after`` cells finished; (finished cells, in-flight cells' checkpoint step, orphans)."""
    runner = subprocess.Popen(command(spec, out, workers), stdout=subprocess.DEVNULL)
    while len(finished_cells(out)) < kill_after:
        if runner.poll() is not None:
            raise SystemExit(
                f"the runner ended (code {runner.returncode}) before {kill_after} cells finished"
            )
        time.sleep(0.05)
    workers_pids = children(runner.pid)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    time.sleep(2.0)
    orphans = [pid for pid in workers_pids if alive(pid)]
    done = finished_cells(out)
    in_flight = {
        f"{d.parent.name}/{d.name}": newest_checkpoint(d)
        for d in out.glob("runs/*/*")
        if f"{d.parent.name}/{d.name}" not in done and (d / "recipe.yaml").exists()
    }
    return done, in_flight, orphans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=7, help="finished cells (of 15) before the SIGKILL")
    parser.add_argument("--keep", type=Path, default=None, help="keep both experiment directories here")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows through a pipe

    from trainlab.experiment import storage as cells
    from trainlab.experiment.results import load_results

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        spec = write_spec(root, args.steps, args.checkpoint_every)
        reference, killed = root / "reference", root / "killed"
        started = time.perf_counter()
        subprocess.run(command(spec, reference, args.workers), check=True, stdout=subprocess.DEVNULL)
        print(f"reference: 15 cells in {time.perf_counter() - started:.1f} s")

        before, in_flight, orphans = kill_halfway(spec, killed, args.workers, args.kill_after)
        print(
            f"SIGKILL after {len(before)} finished cells; in flight: {in_flight or 'none'} (cell: newest checkpoint step)"
        )
        print(f"worker processes alive after the SIGKILL: {orphans or 'none'}")
        subprocess.run(command(spec, killed, args.workers), check=True, stdout=subprocess.DEVNULL)

        problems = [f"orphan worker {pid}" for pid in orphans]
        after = finished_cells(killed)
        problems += [
            f"{cell} was finished before the kill but rewritten"
            for cell in before
            if after.get(cell) != before[cell]
        ]
        for cell, step in in_flight.items():
            summary_path = killed / "runs" / cell / "summary.json"
            if not summary_path.is_file():
                problems.append(f"{cell} has no summary.json after the rerun")
                continue
            summary = json.loads(summary_path.read_text())
            if summary.get("status") != "finished":
                problems.append(f"{cell} ended {summary.get('status')}: {summary.get('error')}")
                continue
            resumed = summary["run"].get("resumed_from_step") or 0
            if resumed != step:
                problems.append(
                    f"{cell} resumed from step {resumed}, but its newest checkpoint was step {step}"
                )
        study = cells.ExperimentStudy(
            cells.open_storage(cells.default_storage_url(killed)), "resume", create=False
        )
        closed: dict[str, int] = {}
        for trial in study.trials():
            if cells.RECORD_ATTR in trial.user_attrs:
                closed[trial.user_attrs[cells.CELL_ATTR]] = (
                    closed.get(trial.user_attrs[cells.CELL_ATTR], 0) + 1
                )
        problems += [f"{cell} closed {count} times" for cell, count in closed.items() if count != 1]
        if len(closed) != 15:
            problems.append(f"{len(closed)} of 15 cells closed")
        expected, got = load_results(reference), load_results(killed)
        for a, b in zip(expected.runs, got.runs, strict=True):
            if a.metrics != b.metrics or a.status != b.status:
                problems.append(
                    f"{a.variant}/seed-{a.seed}: {a.status} {a.metrics} uninterrupted, {b.status} {b.metrics} resumed"
                )
        metrics = sorted({key for r in expected.runs for key in r.metrics})
        print(f"compared {len(expected.runs)} cells x {len(metrics)} final metrics ({', '.join(metrics)})")
        print(f"test accuracy table equal: {expected.table('accuracy') == got.table('accuracy')}")
        for problem in problems:
            print("FAIL:", problem)
        print("PASS" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
