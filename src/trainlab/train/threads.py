"""How many intra-op threads torch trains with: the recipe's count, or the cores no other process is using.

torch's OpenMP threads meet at the end of every parallel operation, and the ones that arrive first
spin while they wait. When another process holds a core, the thread that shares it runs only part
of the time and every operation waits for it: on a 2-core machine with one core busy elsewhere,
the digits MLP trains at 120 steps/s with 2 threads and at 699 with 1 (issue 17). So the automatic
choice counts the cores that other processes leave free when the run starts.

The other thread pools in a trainlab process (numpy's and scipy's OpenBLAS, scikit-learn's OpenMP)
stay idle while it trains, so they are left alone: only torch's count is set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from trainlab.cores import cpu_affinity, other_runnable_threads, usable_cores
from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.distributed import ProcessContext

AUTO = "auto"
# Other processes' demand below this fraction of a core is noise (a shell, a daemon waking up):
# a core they leave 75 % free still counts as free.
NOISE_CORES = 0.25


@dataclass(frozen=True)
class ThreadChoice:
    """The intra-op thread count a run trains with, and why (summary.json's ``run.threads``)."""

    count: int
    reason: str

    def as_dict(self) -> dict[str, int | str]:
        return {"count": self.count, "reason": self.reason}


def use_threads(
    setting: int | Literal["auto"],
    process: ProcessContext,
    *,
    deterministic: bool = False,
    resumed: Path | None = None,
) -> ThreadChoice:
    """Choose the thread count (see :func:`choose_threads`) and set it in torch.

    Call it before the data and the model are built: their sums are split among the threads too.

    Args:
        setting: ``train.threads``.
        process: This process's place among the local processes.
        deterministic: ``train.deterministic``.
        resumed: The ``checkpoints/`` folder of the run being resumed, if any.
    """
    recorded = recorded_threads(resumed) if resumed is not None else None
    choice = choose_threads(setting, process, deterministic=deterministic, recorded=recorded)
    torch.set_num_threads(choice.count)
    return choice


def choose_threads(
    setting: int | Literal["auto"],
    process: ProcessContext,
    *,
    deterministic: bool = False,
    recorded: int | None = None,
    cores: int | None = None,
    others: Callable[[], float | None] | None = None,
) -> ThreadChoice:
    """The intra-op thread count for this process.

    In order: ``train.threads`` when it is a number; the count a resumed run's checkpoints were
    written with, since the split of a sum among threads changes how it rounds; in a data-parallel
    run, the usable cores split between the local processes (workers × threads ≤ cores); in a
    deterministic run, torch's count as it stands (OMP_NUM_THREADS, else every core), which does
    not depend on the load, so the same seed gives the same floats; otherwise the usable cores that
    other processes leave free at start-up, at least 1.

    Args:
        setting: ``train.threads``: a count, or ``auto``.
        process: This process's place among the local processes.
        deterministic: ``train.deterministic``.
        recorded: The thread count the checkpoints of the run being resumed were written with.
        cores: The usable cores (default: :func:`usable_cores`).
        others: Measures other processes' runnable threads (default: :func:`other_runnable_threads`).
    """
    if setting != AUTO:
        return ThreadChoice(int(setting), "train.threads")
    if recorded is not None:
        return ThreadChoice(recorded, "the count the checkpoints of the resumed run were written with")
    cores = usable_cores() if cores is None else cores
    if process.local_world_size > 1:
        count = split_threads(process, cores)
        return ThreadChoice(count, f"{process.local_world_size} local processes share {_cores(cores)}")
    if deterministic:
        return ThreadChoice(
            torch.get_num_threads(),
            "deterministic: torch's count in this process, not the load, so the same seed gives the same floats",
        )
    limit = _omp_num_threads()
    if limit is not None and limit < cores:
        cores = limit
    if cores == 1:
        return ThreadChoice(1, "1 usable core" if limit is None else "OMP_NUM_THREADS=1")
    busy = (others or other_runnable_threads)()
    if busy is None:
        return ThreadChoice(cores, f"{_cores(cores)}; the load of other processes is not measurable here")
    return ThreadChoice(
        free_cores(cores, busy),
        f"{_cores(cores)}; {busy:.1f} threads of other processes ready to run at start-up"
        + (f" (OMP_NUM_THREADS={limit})" if limit is not None else ""),
    )


def recorded_threads(checkpoints: Path) -> int | None:
    """The torch thread count the newest complete checkpoint in ``checkpoints`` was written with
    (before the first one, the count the run started with)."""
    return CheckpointManager(checkpoints).recorded_threads()


def free_cores(cores: int, busy: float, *, cpus: int | None = None, affinity: int | None = None) -> int:
    """How many of ``cores`` other processes leave free, at least 1.

    Args:
        cores: The cores this process may use.
        busy: Other processes' runnable threads, machine-wide.
        cpus: The machine's CPUs (default: all of them); ``busy`` is spread over these.
        affinity: The CPUs this process may run on (default: its CPU affinity). Only the share of
            ``busy`` that falls on them counts, assuming other threads spread evenly.
    """
    cpus = cpus or os.cpu_count() or 1
    affinity = affinity or cpu_affinity()
    busy_here = busy * min(affinity, cpus) / cpus
    return max(1, min(cores, math.floor(affinity - busy_here + NOISE_CORES)))


def split_threads(process: ProcessContext, cores: int | None = None) -> int:
    """Intra-op threads per process so that the local processes together use every usable core once."""
    cores = usable_cores() if cores is None else cores
    return max(1, cores // process.local_world_size)


def _omp_num_threads() -> int | None:
    """OMP_NUM_THREADS as a positive count (its first level when nested), or None."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _cores(count: int) -> str:
    return f"{count} usable core{'s' if count != 1 else ''}"
