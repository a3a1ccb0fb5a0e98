"""Continuing a run: find its directory, pick the newest checkpoint that loads, restore the trainer."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from trainlab.errors import TrainlabError
from trainlab.train.checkpoint import CheckpointInfo, CheckpointManager
from trainlab.train.distributed import ProcessContext, barrier

log = logging.getLogger("trainlab")


def resume_directory(resume: str | os.PathLike | None, out: str | None, mode: str) -> Path | None:
    """The run directory to continue, or None for a fresh run.

    Args:
        resume: ``--resume RUN_DIR``: it must exist.
        out: The recipe's ``out``.
        mode: ``train.resume``; with ``auto`` an existing ``out`` run directory is continued.
    """
    if resume is not None:
        path = Path(resume)
        if not path.is_dir():
            raise TrainlabError(f"--resume: run directory '{path}' does not exist")
        return path
    if mode == "auto" and out is not None and (Path(out) / "recipe.yaml").is_file():
        return Path(out)
    return None


def restore_latest(
    trainer: Any, checkpoints: CheckpointManager, process: ProcessContext
) -> CheckpointInfo | None:
    """Load the newest complete checkpoint into ``trainer``; every rank calls this.

    Rank 0 first removes what a killed writer left (temporary files, folders without a
    manifest); then every rank reads the same checkpoint, falling back to the previous one when
    the newest does not match its manifest. Returns None when there is nothing to resume from,
    in which case the run starts again from step 0 in the same directory.

    Raises:
        TrainlabError: a finished run (summary.json) without checkpoints, which would be retrained from scratch.
    """
    if process.is_main:
        checkpoints.clean()
    barrier(process)
    loaded = checkpoints.load_latest()
    if loaded is None:
        if _finished(checkpoints.directory.parent / "summary.json"):
            raise TrainlabError(
                f"--resume: '{checkpoints.directory.parent}' is a finished run without checkpoints; "
                "nothing to continue (set train.checkpoint_every to make runs resumable)"
            )
        if process.is_main:
            log.warning("no complete checkpoint in %s; starting from step 0", checkpoints.directory)
        return None
    state, info = loaded
    # Unless train.threads says otherwise, trainlab.train.threads has already set the recorded count.
    if info.threads not in (None, torch.get_num_threads()) and process.is_main:
        log.warning(
            "%s was written with %d torch threads and this run uses %d, so it will not end bit-identical "
            "to an uninterrupted run (train.threads: auto reuses the recorded count)",
            info.path,
            info.threads,
            torch.get_num_threads(),
        )
    trainer.load_state_dict(state)
    return info


def _finished(summary: Path) -> bool:
    """Whether summary.json says the run finished (a failed or interrupted run's summary says so too)."""
    return summary.exists() and json.loads(summary.read_text()).get("status", "finished") == "finished"
