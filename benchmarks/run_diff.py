"""Where a resumed run differs from an uninterrupted one: weights, metrics lines and checkpoint entries.

Used by ``kill_soak.py`` for every run that does not end identical; also a tool of its own:

    python benchmarks/run_diff.py RUN_DIR REFERENCE_RUN_DIR [--resumed-from STEP]

prints which tensors of ``model.safetensors`` differ (how many elements, by how much), the first
differing line of ``metrics.jsonl``, and, entry by entry, how the checkpoints of the step the run
resumed from and of the last step differ from the reference's, with the thread counts that wrote them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from trainlab.train.checkpoint import CheckpointError, CheckpointInfo, CheckpointManager, load_state

COMPARED_FILES = ("model.safetensors", "metrics.jsonl")


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


def resume_point(run: Path) -> CheckpointInfo | None:
    """The checkpoint ``--resume`` will load: the newest complete one that matches its manifest."""
    manager = CheckpointManager(run / "checkpoints")
    for info in manager.complete():
        try:
            manager.verify(info)
            return info
        except CheckpointError:
            continue
    return None


def flat_items(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted.path, leaf)`` for every leaf of nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flat_items(item, f"{prefix}{key}.")
    elif isinstance(value, (list, tuple)) and not all(isinstance(item, (int, float)) for item in value):
        for index, item in enumerate(value):
            yield from flat_items(item, f"{prefix}{index}.")
    else:
        yield prefix.rstrip("."), value


def describe_difference(name: str, ours: Any, theirs: Any) -> str | None:
    """None if equal (tensors bit for bit), else a line saying how ``name`` differs."""
    if isinstance(ours, torch.Tensor) and isinstance(theirs, torch.Tensor):
        if ours.shape == theirs.shape and ours.dtype == theirs.dtype and torch.equal(ours, theirs):
            return None
        if ours.shape != theirs.shape or not ours.is_floating_point():
            return f"{name}: {tuple(ours.shape)} {ours.dtype} vs {tuple(theirs.shape)} {theirs.dtype}"
        gap = (ours.double() - theirs.double()).abs()
        return (
            f"{name}: {int((gap > 0).sum())}/{gap.numel()} elements differ, max |diff| {gap.max().item():.3g}"
        )
    return None if ours == theirs else f"{name}: {ours!r:.60} vs {theirs!r:.60}"


def differing_entries(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    ours_flat, theirs_flat = dict(flat_items(ours)), dict(flat_items(theirs))
    lines = [f"{name}: only in one of them" for name in sorted(ours_flat.keys() ^ theirs_flat.keys())]
    for name in ours_flat.keys() & theirs_flat.keys():
        line = describe_difference(name, ours_flat[name], theirs_flat[name])
        if line:
            lines.append(line)
    # Tensors and counters first: the history's losses follow from them.
    return sorted(lines, key=lambda line: (line.startswith("history."), line))


def checkpoint_state(run: Path, step: int) -> dict[str, Any] | None:
    path = run / "checkpoints" / f"step-{step:08d}" / "state.pt"
    return load_state(path) if path.exists() else None


def first_differing_line(ours: Path, theirs: Path) -> str | None:
    mine = ours.read_text().splitlines() if ours.exists() else []
    reference = theirs.read_text().splitlines()
    for number, (line, expected) in enumerate(zip(mine, reference, strict=False), start=1):
        if line != expected:
            return f"line {number}: {line[:150]}\n         expected: {expected[:150]}"
    if len(mine) != len(reference):
        return f"{len(mine)} lines, the reference has {len(reference)}"
    return None


def threads_of(run: Path, step: int) -> int | None:
    """The torch thread count that wrote the checkpoint of ``step`` (from its manifest)."""
    found = [info for info in CheckpointManager(run / "checkpoints").complete() if info.step == step]
    return found[0].threads if found else None


def checkpoint_differences(state_path: Path, reference: Path, step: int) -> list[str] | None:
    """How a checkpoint differs from the reference's of the same step; None if the reference has none."""
    theirs = checkpoint_state(reference, step)
    return None if theirs is None else differing_entries(load_state(state_path), theirs)


def diagnose(
    run: Path, reference: Path, steps: int, resumed_from: CheckpointInfo | None, at_resume: list[str] | None
) -> list[str]:
    """What differs from the reference, and whether it already differed where the run resumed.

    Args:
        run: The resumed run.
        reference: The uninterrupted run, which kept every checkpoint.
        steps: The last step.
        resumed_from: The checkpoint the run resumed from, if any.
        at_resume: How that checkpoint differed from the reference's, taken before the resume
            (which may prune it); None when unknown.
    """
    lines = [f"run directory kept: {run}"]
    if resumed_from is None:
        lines.append("resumed from no checkpoint: started again from step 0")
    else:
        lines.append(
            f"resumed from checkpoint step {resumed_from.step}, written with {resumed_from.threads} threads "
            f"(the reference's: {threads_of(reference, resumed_from.step)}); it differed from the "
            f"reference's in {'?' if at_resume is None else len(at_resume)} entries"
        )
        lines += [f"  {line}" for line in (at_resume or [])[:20]]
    if (run / "model.safetensors").exists():
        ours, theirs = load_file(run / "model.safetensors"), load_file(reference / "model.safetensors")
        weights = differing_entries(dict(ours), dict(theirs))
        lines.append("model.safetensors tensors that differ: " + ("none" if not weights else ""))
        lines += [f"  {line}" for line in weights]
    else:
        lines.append("model.safetensors is missing")
    lines.append(f"metrics.jsonl: {first_differing_line(run / 'metrics.jsonl', reference / 'metrics.jsonl')}")
    last = run / "checkpoints" / f"step-{steps:08d}" / "state.pt"
    entries = checkpoint_differences(last, reference, steps) if last.exists() else None
    if entries is None:
        lines.append(f"checkpoint of step {steps}: not in both runs")
    else:
        lines.append(
            f"checkpoint of step {steps} (written with {threads_of(run, steps)} threads) vs the reference's: "
            f"{len(entries)} entries differ"
        )
        lines += [f"  {line}" for line in entries[:20]]
    return lines


def same_as_reference(run: Path, reference: Path, steps: int) -> bool:
    if not all((run / name).exists() for name in COMPARED_FILES):
        return False
    if any((run / name).read_bytes() != (reference / name).read_bytes() for name in COMPARED_FILES):
        return False
    ours, theirs = checkpoint_state(run, steps), checkpoint_state(reference, steps)
    return ours is not None and theirs is not None and not differing_entries(ours, theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("reference", type=Path)
    parser.add_argument("--resumed-from", type=int, default=None, help="also compare this step's checkpoints")
    args = parser.parse_args()
    last = CheckpointManager(args.reference / "checkpoints").complete()
    steps = last[0].step if last else 0
    resumed_from, at_resume = None, None
    if args.resumed_from is not None:
        found = [info for info in CheckpointManager(args.run / "checkpoints").complete()]
        matching = [info for info in found if info.step == args.resumed_from]
        if not matching:
            parser.error(f"{args.run} no longer holds a checkpoint of step {args.resumed_from}")
        resumed_from = matching[0]
        at_resume = checkpoint_differences(resumed_from.state_path, args.reference, resumed_from.step)
    print("\n".join(diagnose(args.run, args.reference, steps, resumed_from, at_resume)))
    return 0 if same_as_reference(args.run, args.reference, steps) else 1


if __name__ == "__main__":
    sys.exit(main())
