"""What the machine offers this process: its usable cores (affinity capped by a container's CPU quota) and
how many threads of other processes are ready to run.

Free of torch, so that the experiment runner can split the cores among its workers and start them
before it imports torch itself (the workers then import it at the same time).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path

# 20 samples of the run queue, 1 ms apart: enough to average out a blip, short beside start-up.
LOAD_WINDOW_S = 0.02
LOAD_SAMPLES = 20

LOADAVG = Path("/proc/loadavg")
CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUPS = Path("/proc/self/cgroup")


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by its container's CPU quota."""
    quota = cpu_quota()
    cores = cpu_affinity()
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


def cpu_affinity() -> int:
    """The CPUs this process may run on (all of the machine's where affinity is not supported)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
