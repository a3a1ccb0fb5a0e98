"""Long-lived worker processes that each take many runs, with torch's threads split so that workers × threads ≤ cores.

A fresh ``trainlab fit`` process pays seconds of imports and start-up before its first step; a worker
pays them once and then runs task after task, so a run's fixed cost is what the run itself builds.

How another module (``trainlab tune``, say) hands them work: submit any module-level function with
picklable arguments; each call runs in one worker and gives a :class:`concurrent.futures.Future`::

    from trainlab.experiment.workers import WorkerPool

    with WorkerPool(workers=2) as pool:             # torch threads: cores // 2 in each worker
        futures = [pool.submit(train_one, recipe) for recipe in recipes]
        for future in concurrent.futures.as_completed(futures):
            print(future.result())

The function runs with ``torch.get_num_threads() == pool.threads`` and ``OMP_NUM_THREADS`` set to it,
so a recipe's ``train.threads: auto`` is capped at the worker's share (and takes fewer cores when other
processes keep them busy). Workers die with the process that made the pool, even on SIGKILL, so a
killed runner leaves no orphans training on.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from trainlab.errors import TrainlabError

Result = TypeVar("Result")
log = logging.getLogger("trainlab")
# linux/prctl.h: deliver a signal to this process when its parent dies.
PR_SET_PDEATHSIG = 1


def split_threads(workers: int, cores: int | None = None) -> int:
    """Torch threads per worker: the usable cores shared out evenly, at least 1."""
    if cores is None:
        from trainlab.train.threads import usable_cores

        cores = usable_cores()
    return max(1, cores // workers)


class WorkerPool:
    """A pool of ``workers`` spawned processes that run submitted functions, many per process.

    Args:
        workers: Processes to start (each on first use).
        threads: Torch intra-op threads in each worker; default :func:`split_threads`.
        context: ``spawn`` (default) or ``forkserver``; never ``fork``, which would copy the parent's
            torch thread pools and locks.

    Raises:
        TrainlabError: ``workers`` below 1.
    """

    def __init__(self, workers: int, *, threads: int | None = None, context: str = "spawn"):
        if workers < 1:
            raise TrainlabError(f"--workers {workers}: give 1 or more worker processes")
        if context not in ("spawn", "forkserver"):
            raise TrainlabError(f"worker context '{context}': use spawn or forkserver")
        from trainlab.train.threads import usable_cores

        cores = usable_cores()
        if workers > cores:
            log.warning(
                "%d workers on %d usable cores: each worker gets 1 thread and they share cores",
                workers,
                cores,
            )
        self.workers = workers
        self.threads = threads if threads is not None else split_threads(workers, cores)
        self._context = context
        self._executor = self._new_executor()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(self._context),
            initializer=_start_worker,
            initargs=(self.threads, os.getpid()),
        )

    def restart(self) -> None:
        """Replace broken workers (one was killed, or ran out of memory) with fresh ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._new_executor()

    def submit(
        self, function: Callable[..., Result], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Result]:
        """Run ``function(*args, **kwargs)`` in a worker; ``function`` must be importable by name."""
        return self._executor.submit(function, *args, **kwargs)

    def interrupt(self) -> None:
        """Ask every worker to stop its task now: SIGTERM, on which a training run checkpoints and stops."""
        for process in list(getattr(self._executor, "_processes", {}).values()):
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers: after their current tasks, or (``cancel``) dropping the queued ones."""
        self._executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(cancel=exc_info[0] is not None)


def _start_worker(threads: int, parent_pid: int) -> None:
    """In each worker, before any task: die with the parent, and set the thread counts before torch starts."""
    _die_with_parent(parent_pid)
    # Ctrl-C in the terminal reaches the whole process group; the runner decides what stops, and a
    # task in flight still checkpoints on SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _die_with_parent(parent_pid: int) -> None:
    """Get SIGKILL when the parent dies (Linux); elsewhere a thread watches the parent's pid."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the parent died before the request above took effect
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)
