"""WorkerPool: threads split per worker, workers started and warmed up before the first task, quick ends."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from trainlab.errors import TrainlabError
from trainlab.experiment.workers import WorkerPool, split_threads

WARM_DIR_VARIABLE = "TRAINLAB_TEST_WARM_DIR"


def mark_warm() -> None:
    """The warm-up under test: each worker leaves a file named by its pid."""
    (Path(os.environ[WARM_DIR_VARIABLE]) / str(os.getpid())).write_text("warm")


def worker_state() -> tuple[int, bool, int]:
    """A task: this worker's pid, whether its warm-up ran before the task, and torch's thread count."""
    import torch

    return (
        os.getpid(),
        (Path(os.environ[WARM_DIR_VARIABLE]) / str(os.getpid())).is_file(),
        torch.get_num_threads(),
    )


def test_threads_are_the_cores_shared_out_evenly():
    assert split_threads(2, cores=2) == 1
    assert split_threads(1, cores=2) == 2
    assert split_threads(3, cores=8) == 2
    assert split_threads(4, cores=2) == 1  # more workers than cores: they share, 1 thread each
    with pytest.raises(TrainlabError, match="--workers 0"):
        WorkerPool(0)


def test_start_spawns_every_worker_and_warms_it_up_before_any_task(tmp_path, monkeypatch):
    monkeypatch.setenv(WARM_DIR_VARIABLE, str(tmp_path))  # spawned workers inherit the environment
    with WorkerPool(2, threads=1, warm_up=mark_warm).start() as pool:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # Both warmed up although no task was submitted yet.
        assert len(list(tmp_path.iterdir())) == 2
        states = [pool.submit(worker_state).result(timeout=120) for _ in range(4)]
    assert {pid for pid, _, _ in states} <= {int(path.name) for path in tmp_path.iterdir()}
    assert all(warm and threads == 1 for _, warm, threads in states)


def test_closing_a_pool_that_never_got_a_task_does_not_wait_for_its_start_up(tmp_path, monkeypatch):
    monkeypatch.setenv(WARM_DIR_VARIABLE, str(tmp_path))
    pool = WorkerPool(2, threads=1, warm_up=mark_warm).start()
    processes = list(pool._executor._processes.values())  # noqa: SLF001 - the test checks they end
    pool.close(cancel=True)  # what a bad spec does: the workers are killed, not waited for
    assert processes and not any(process.is_alive() for process in processes)
    # Killed while still importing torch: none of them reached its warm-up.
    assert list(tmp_path.iterdir()) == []


def test_workers_that_did_work_exit_cleanly_when_the_pool_closes(tmp_path, monkeypatch):
    monkeypatch.setenv(WARM_DIR_VARIABLE, str(tmp_path))
    pool = WorkerPool(1, threads=1, warm_up=mark_warm).start()
    pid, warm, _ = pool.submit(worker_state).result(timeout=120)
    process = pool._executor._processes[pid]  # noqa: SLF001
    pool.close()
    assert warm and process.exitcode == 0  # the fast exit after the last task still reports success
