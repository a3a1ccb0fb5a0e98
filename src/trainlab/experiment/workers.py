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

Workers are spawned (a fresh interpreter each) or, with ``context="forkserver"`` and ``preload``, forked
from a server process that imported ``preload`` once: N workers then pay torch's imports once instead
of N times over (on 2 cores, 2 spawned workers and the runner importing side by side took 9 s to be
ready; forked from the server, 7 s), and share those pages of memory.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from trainlab.errors import TrainlabError

Result = TypeVar("Result")
log = logging.getLogger("trainlab")
# linux/prctl.h: deliver a signal to this process when its parent dies.
PR_SET_PDEATHSIG = 1


def split_threads(workers: int, cores: int | None = None) -> int:
    """Torch threads per worker: the usable cores shared out evenly, at least 1."""
    if cores is None:
        from trainlab.cores import usable_cores

        cores = usable_cores()
    return max(1, cores // workers)


class WorkerPool:
    """A pool of ``workers`` spawned processes that run submitted functions, many per process.

    Args:
        workers: Processes to start (each on first use).
        threads: Torch intra-op threads in each worker; default :func:`split_threads`.
        context: ``spawn`` (default) or ``forkserver``; never ``fork``, which would copy the parent's
            torch thread pools and locks. A forkserver worker gets the caller's environment as it was
            when the pool was made (a spawned one inherits it as it starts).
        warm_up: A module-level function each worker calls once after it starts, before any task: the
            imports every task needs, paid while the caller is still preparing the work (with
            :meth:`start`) rather than inside the first task.
        preload: Modules the fork server imports once, before it forks any worker (``forkserver``
            only). The server is shared by the whole process: a server already running keeps what it
            preloaded, and ``warm_up`` then imports the rest in each worker.

    Raises:
        TrainlabError: ``workers`` below 1, or a context this platform lacks.
    """

    def __init__(
        self,
        workers: int,
        *,
        threads: int | None = None,
        context: str = "spawn",
        warm_up: Callable[[], None] | None = None,
        preload: Sequence[str] = (),
    ):
        if workers < 1:
            raise TrainlabError(f"--workers {workers}: give 1 or more worker processes")
        if context not in ("spawn", "forkserver"):
            raise TrainlabError(f"worker context '{context}': use spawn or forkserver")
        if context not in multiprocessing.get_all_start_methods():
            raise TrainlabError(f"worker context '{context}' is not available on {sys.platform}: use spawn")
        if preload and context != "forkserver":
            raise TrainlabError("preload needs context='forkserver' (spawned workers import for themselves)")
        from trainlab.cores import usable_cores

        cores = usable_cores()
        if workers > cores:
            log.warning(
                "%d workers on %d usable cores: each worker gets 1 thread and they share cores",
                workers,
                cores,
            )
        self.workers = workers
        self.threads = threads if threads is not None else split_threads(workers, cores)
        self._context = multiprocessing.get_context(context)
        if preload:
            assert isinstance(self._context, multiprocessing.context.ForkServerContext)
            self._context.set_forkserver_preload(list(preload))
        self._warm_up = warm_up
        # Forked workers start from the server's environment, which is the caller's at the server's start.
        self._environment = dict(os.environ) if context == "forkserver" else None
        self._tasks_submitted = False
        self._executor = self._new_executor()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self.threads, os.getpid(), self._warm_up, self._environment),
        )

    @property
    def context(self) -> str:
        """How the workers start: ``spawn`` or ``forkserver``."""
        return self._context.get_start_method()

    def start(self) -> WorkerPool:
        """Start the workers' imports now rather than on first use, so that they run on the other cores
        while the caller reads its spec and opens its storage.

        Spawned workers start at once and each runs ``warm_up``. A fork server starts and imports
        ``preload``; the workers fork from it, already warm, as the first tasks come (forking them here
        would block the caller until the server has imported everything).
        """
        if self.context == "forkserver":
            from multiprocessing import forkserver

            forkserver.ensure_running()
            return self
        for _ in range(self.workers):
            # Each submit spawns a process while none is idle (spawn pools grow on demand).
            self._executor.submit(_started)
        return self

    def restart(self) -> None:
        """Replace broken workers (one was killed, or ran out of memory) with fresh ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._new_executor()

    def submit(
        self, function: Callable[..., Result], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Result]:
        """Run ``function(*args, **kwargs)`` in a worker; ``function`` must be importable by name."""
        self._tasks_submitted = True
        return self._executor.submit(function, *args, **kwargs)

    def interrupt(self) -> None:
        """Ask every worker to stop its task now: SIGTERM, on which a training run checkpoints and stops."""
        for process in list(getattr(self._executor, "_processes", {}).values()):
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers: after their current tasks, or (``cancel``) dropping the queued ones.

        Workers that were never given a task (the caller failed first, on a bad spec say) are only
        starting up, with nothing to finish or save: they are killed rather than waited for, so that
        the caller's error is not held up by their imports.
        """
        if not self._tasks_submitted:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.kill()
        self._executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(cancel=exc_info[0] is not None)


def _started() -> None:
    """The task :meth:`WorkerPool.start` submits: nothing, once the worker has started."""


def _start_worker(
    threads: int,
    parent_pid: int,
    warm_up: Callable[[], None] | None = None,
    environment: dict[str, str] | None = None,
) -> None:
    """In each worker, before any task: die with the pool's process, take its environment (a forked
    worker), set the thread counts (before torch starts, when it has not yet), and warm up."""
    _die_with_runner(parent_pid)
    if environment is not None:
        for name in set(os.environ) - set(environment):
            del os.environ[name]
        os.environ.update(environment)
    # Ctrl-C in the terminal reaches the whole process group; the runner decides what stops, and a
    # task in flight still checkpoints on SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(threads)
    import torch

    torch.set_num_threads(threads)
    atexit.register(_exit_at_once)
    if warm_up is not None:
        warm_up()


def _exit_at_once() -> None:
    """End the worker without tearing down its interpreter module by module.

    A worker exits when the pool closes, after its last task returned its result. Python's teardown
    of torch, its compiler stack and torchmetrics then takes about a second (2-core VM), and the pool's
    ``close`` waits for it. Registered last, this runs before the other exit handlers, so the ones that
    matter run here first: the standard streams and logging are flushed. Tasks write their files
    themselves (atomically) before they return, so nothing is lost.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone: nothing left to flush
            pass
    os._exit(0)


def kill_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when the thread that started it ends; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0


def _die_with_runner(runner_pid: int) -> None:
    """End this worker the moment the process that made the pool dies, however it died.

    A worker the runner spawned asks Linux for SIGKILL when its parent dies. A worker forked by the fork
    server has the server for its parent, and the server outlives the runner while any worker holds
    its pipe: a thread watches the runner itself (a pidfd, or its pid once a second elsewhere).
    """
    if os.getppid() == runner_pid and kill_with_parent():
        if os.getppid() != runner_pid:  # the runner died before the request above took effect
            os._exit(1)
        return
    threading.Thread(target=_watch_runner, args=(runner_pid,), daemon=True, name="watch-runner").start()


def _watch_runner(runner_pid: int) -> None:
    """Block until the runner has exited, then end the worker at once (as SIGKILL would)."""
    try:
        descriptor = os.pidfd_open(runner_pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3+: look once a second
        while process_alive(runner_pid):
            time.sleep(1.0)
        os._exit(1)
    select.select([descriptor], [], [])  # readable once the runner has exited
    os._exit(1)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (a zombie counts until it is reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else (a reused pid)
        return True
    return True
