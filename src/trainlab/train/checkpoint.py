"""Crash-safe checkpoints: atomic files, a sha256 manifest written last, the last K and the best kept.

A checkpoint is a folder ``checkpoints/step-00000100/`` holding ``state.pt`` and ``manifest.json``.
The folder counts as complete only once its manifest exists and the sha256 it records matches
the state file, so a process killed at any instant leaves either a complete checkpoint or one
that resume ignores (and removes). The manifest also records the torch thread count of the
process that wrote it, which a resumed run reuses (see ``trainlab.train.threads``); so does
``started.json``, written when the run starts, for a run killed before its first checkpoint.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import math
import os
import pickle
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from trainlab._io import fsync_directory, remove_temp_files, write_json_atomic, write_with_atomic
from trainlab.errors import TrainlabError

STATE = "state.pt"
MANIFEST = "manifest.json"
STARTED = "started.json"
PREFIX = "step-"

# Globals a checkpoint may reference beyond torch's own weights-only set (tensors, dicts, lists,
# tuples, numbers, strings). trainlab stores only plain containers, so this stays short on purpose.
ALLOWLIST: tuple[Any, ...] = (collections.OrderedDict,)


class CheckpointError(TrainlabError):
    """A checkpoint that is missing, truncated or does not match its manifest."""


class UnsafeCheckpointError(CheckpointError):
    """A file whose pickle would import or call something outside the allowlist."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_state(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Atomically write ``state`` with ``torch.save``; errors propagate (a lost save must be loud)."""
    write_with_atomic(path, lambda tmp: torch.save(state, tmp))


def load_state(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a file written by :func:`save_state` with ``weights_only=True``; never unpickles code.

    Raises:
        UnsafeCheckpointError: the pickle references a global outside the allowlist (it would run
            code); it is refused, with no fallback to full unpickling.
        CheckpointError: the file is missing, truncated or not a torch file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist")
    try:
        with torch.serialization.safe_globals(list(ALLOWLIST)):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch raises UnpicklingError both for forbidden globals and for garbage bytes.
        if "weights_only" in str(exc) or "GLOBAL" in str(exc):
            culprit = re.search(r"GLOBAL (\S+)", str(exc))
            raise UnsafeCheckpointError(
                f"refused to load '{path}': it holds a pickled object outside trainlab's allowlist"
                + (f" (it would call {culprit.group(1)})" if culprit else "")
                + ", which could run code when loaded. trainlab loads with weights_only=True and never "
                "falls back to full unpickling; only load files you wrote with trainlab"
            ) from None
        raise CheckpointError(f"checkpoint '{path}' is corrupt: {exc}") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint '{path}' is corrupt or truncated: {exc}") from None


@dataclass(frozen=True)
class CheckpointInfo:
    """A complete checkpoint on disk, as its manifest describes it."""

    path: Path
    step: int
    metric: float | None
    threads: int | None = None  # torch's intra-op threads in the writing process; None in older manifests

    @property
    def state_path(self) -> Path:
        return self.path / STATE


class CheckpointManager:
    """Writes, lists, prunes and loads the checkpoints of one run directory.

    Args:
        directory: The ``checkpoints/`` folder of a run.
        keep_last: Complete checkpoints kept, newest first; the best one is kept in addition.
        higher_is_better: Direction of the metric passed to :meth:`save`, which picks "best".
    """

    def __init__(self, directory: str | os.PathLike, *, keep_last: int = 2, higher_is_better: bool = False):
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.higher_is_better = higher_is_better

    # --------------------------------------------------------------------------------------------
    def save(self, state: dict[str, Any], step: int, metric: float | None = None) -> CheckpointInfo:
        """Write a checkpoint in the crash-safe order, then prune old ones.

        1. ``state.pt`` through a temporary file in its folder, fsync, ``os.replace``, fsync of
           the folder; 2. ``manifest.json`` with its sha256 and this process's torch thread count,
           the same way, last.
        """
        folder = self.directory / f"{PREFIX}{step:08d}"
        if folder.exists():
            # Saving the same step again (e.g. the last step after a resume): retract the old one first.
            self._remove(folder)
        folder.mkdir(parents=True)
        fsync_directory(self.directory)
        save_state(folder / STATE, state)
        recorded_metric = metric if metric is None or math.isfinite(metric) else None
        threads = torch.get_num_threads()
        manifest = {
            "step": step,
            "metric": recorded_metric,
            "threads": threads,
            "files": {STATE: sha256(folder / STATE)},
        }
        write_json_atomic(folder / MANIFEST, manifest)
        info = CheckpointInfo(folder, step, recorded_metric, threads)
        self.prune()
        return info

    def record_start(self) -> None:
        """Note this process's torch thread count before any checkpoint exists.

        A run killed before its first checkpoint starts again from step 0 when resumed; with this
        record it does so with the thread count the killed process had, and rounds as it did.
        """
        write_json_atomic(self.directory / STARTED, {"threads": torch.get_num_threads()})

    def recorded_threads(self) -> int | None:
        """The torch thread count of the newest complete checkpoint, else of the run's start; None if unknown."""
        newest = self.complete()
        if newest:
            return newest[0].threads
        try:
            return int(json.loads((self.directory / STARTED).read_text())["threads"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def complete(self) -> list[CheckpointInfo]:
        """Checkpoints whose manifest exists, newest first (file hashes are checked on load)."""
        found = []
        for folder in self._folders():
            try:
                manifest = json.loads((folder / MANIFEST).read_text())
                found.append(
                    CheckpointInfo(
                        folder, int(manifest["step"]), manifest.get("metric"), manifest.get("threads")
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda info: info.step, reverse=True)

    def load_latest(self) -> tuple[dict[str, Any], CheckpointInfo] | None:
        """The newest checkpoint that verifies and loads; a corrupt one falls back to the previous.

        Returns None when there is no usable checkpoint. A refused (unsafe) file is never skipped
        silently: it raises, because someone planted it.
        """
        for info in self.complete():
            try:
                self.verify(info)
                return load_state(info.state_path), info
            except UnsafeCheckpointError:
                raise
            except CheckpointError as exc:
                warnings.warn(f"{exc}; falling back to the previous checkpoint", stacklevel=2)
        return None

    def verify(self, info: CheckpointInfo) -> None:
        """Check every file against the sha256 in the manifest."""
        manifest = json.loads((info.path / MANIFEST).read_text())
        for name, expected in manifest["files"].items():
            file = info.path / name
            if not file.is_file():
                raise CheckpointError(f"checkpoint '{info.path}' lacks {name}")
            if sha256(file) != expected:
                raise CheckpointError(
                    f"checkpoint '{file}' does not match the sha256 in its manifest (truncated?)"
                )

    def best(self, complete: list[CheckpointInfo] | None = None) -> CheckpointInfo | None:
        """The complete checkpoint with the best monitored metric (the newest on a tie); None if none is scored."""
        candidates = self.complete() if complete is None else complete
        scored = [(info.metric, info) for info in candidates if info.metric is not None]
        if not scored:
            return None
        pick = max if self.higher_is_better else min
        return pick(scored, key=lambda scored_info: scored_info[0])[1]  # newest first: ties go to it

    def prune(self) -> None:
        """Keep the ``keep_last`` newest complete checkpoints and the best one; remove the rest."""
        complete = self.complete()
        keep = {info.path for info in complete[: self.keep_last]}
        best = self.best(complete)
        if best is not None:
            keep.add(best.path)
        for info in complete:
            if info.path not in keep:
                self._remove(info.path)

    def clean(self) -> None:
        """Remove what a killed writer left: temporary files, and folders without a manifest."""
        if not self.directory.is_dir():
            return
        remove_temp_files(self.directory)
        for folder in self._folders():
            remove_temp_files(folder)
            if not (folder / MANIFEST).exists():
                self._remove(folder)

    # --------------------------------------------------------------------------------------------
    def _folders(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [p for p in self.directory.iterdir() if p.is_dir() and p.name.startswith(PREFIX)]

    @staticmethod
    def _remove(folder: Path) -> None:
        # The manifest goes first: from then on the folder no longer counts as a checkpoint.
        with contextlib.suppress(FileNotFoundError):
            (folder / MANIFEST).unlink()
        fsync_directory(folder)
        shutil.rmtree(folder, ignore_errors=True)
        fsync_directory(folder.parent)
