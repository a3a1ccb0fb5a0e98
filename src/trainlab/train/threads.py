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
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.distributed import ProcessContext

AUTO = "auto"
# 20 samples of the run queue, 1 ms apart: enough to average out a blip, short beside start-up.
LOAD_WINDOW_S = 0.02
LOAD_SAMPLES = 20
# Other processes' demand below this fraction of a core is noise (a shell, a daemon waking up):
# a core they leave 75 % free still counts as free.
NOISE_CORES = 0.25

LOADAVG = Path("/proc/loadavg")
CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUPS = Path("/proc/self/cgroup")


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
    affinity = affinity or _affinity()
    busy_here = busy * min(affinity, cpus) / cpus
    return max(1, min(cores, math.floor(affinity - busy_here + NOISE_CORES)))


def split_threads(process: ProcessContext, cores: int | None = None) -> int:
    """Intra-op threads per process so that the local processes together use every usable core once."""
    cores = usable_cores() if cores is None else cores
    return max(1, cores // process.local_world_size)


# ------------------------------------------------------------------------------------------------
# What the machine offers


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by its container's CPU quota."""
    quota = cpu_quota()
    cores = _affinity()
    return cores if quota is None else max(1, min(cores, math.ceil(quota)))


def other_runnable_threads(window_s: float = LOAD_WINDOW_S, loadavg: Path = LOADAVG) -> float | None:
    """Other threads ready to run, machine-wide, averaged over ``window_s`` seconds; None without /proc.

    The kernel's count of runnable threads (the 4th field of /proc/loadavg) is taken at once, not
    averaged over a minute like the load average, so a process that started a moment ago counts.
    A thread that waits for a core counts as much as one that runs, so an overloaded machine reads
    as more busy cores than it has.
    """
    samples = []
    deadline = time.perf_counter() + window_s
    try:
        while True:
            samples.append(int(loadavg.read_text().split()[3].split("/")[0]))
            if time.perf_counter() >= deadline:
                break
            time.sleep(window_s / LOAD_SAMPLES)
    except (OSError, IndexError, ValueError):
        return None
    # The thread reading /proc/loadavg is running, so every sample counts it once.
    return max(0.0, statistics.fmean(samples) - 1)


def cpu_quota(root: Path = CGROUP_ROOT, own_cgroups: Path = OWN_CGROUPS) -> float | None:
    """The CPU quota of this process's cgroup and its ancestors, in cores; None when there is none.

    A container started with ``--cpus 2`` sees every core of its host but gets 2 cores' worth of
    time: threads beyond that wait for the next period. cgroup v2 keeps the quota in ``cpu.max``
    ("200000 100000"), v1 in ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us``.
    """
    try:
        lines = own_cgroups.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if controllers == "":
            quotas += [_v2_quota(folder) for folder in _folders_up(root, path)]
        elif "cpu" in controllers.split(","):
            quotas += [_v1_quota(folder) for folder in _folders_up(root / controllers, path)]
    found = [quota for quota in quotas if quota is not None]
    return min(found) if found else None


def _folders_up(mount: Path, path: str) -> list[Path]:
    """The cgroup's folder under ``mount`` and each parent up to the mount itself."""
    folder = mount / path.strip("/")
    return [folder, *(parent for parent in folder.parents if parent.is_relative_to(mount))]


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


def _affinity() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _omp_num_threads() -> int | None:
    """OMP_NUM_THREADS as a positive count (its first level when nested), or None."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _cores(count: int) -> str:
    return f"{count} usable core{'s' if count != 1 else ''}"
