"""WorkerPool on a fork server: workers fork with the preloaded modules, take the caller's environment,
and die with their runner (the server too), however it dies.

Each case runs in a fresh interpreter: the fork server is one per process, and the test session's own
may already be running with other modules preloaded.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trainlab.errors import TrainlabError
from trainlab.experiment.workers import WorkerPool

pytestmark = pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server on this platform"
)


def script(directory: Path, body: str) -> list[str]:
    """The command line that runs ``body`` as a script file (workers import its functions by name)."""
    path = directory / "runner.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def test_workers_fork_with_the_preloaded_modules_and_the_callers_environment(tmp_path):
    command = script(
        tmp_path,
        """
        import os, sys
        from trainlab.experiment.workers import WorkerPool

        def state():
            import torch
            return (
                "xml.dom.minidom" in sys.modules,  # only the server imported it
                os.environ.get("SET_AFTER_SERVER_START"),
                os.environ.get("REMOVED_AFTER_SERVER_START"),
                torch.get_num_threads(),
                os.environ["OMP_NUM_THREADS"],
            )

        if __name__ == "__main__":
            os.environ["REMOVED_AFTER_SERVER_START"] = "still here"
            warm = WorkerPool(1, threads=1, context="forkserver", preload=["xml.dom.minidom"]).start()
            warm.submit(state).result(timeout=120)  # the server is up, with the caller's environment then
            warm.close()
            os.environ["SET_AFTER_SERVER_START"] = "seen"
            del os.environ["REMOVED_AFTER_SERVER_START"]
            with WorkerPool(2, threads=1, context="forkserver") as pool:
                assert pool.context == "forkserver"
                print(pool.submit(state).result(timeout=120))
        """,
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "(True, 'seen', None, 1, '1')"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited; only its parent has not reaped it
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_runner_takes_its_forked_workers_and_the_server_with_it(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    runner = subprocess.Popen(
        script(
            tmp_path,
            f"""
                import os, pathlib, time
                from trainlab.experiment.workers import WorkerPool

                def report_and_sleep():
                    # This worker and its parent (the fork server), then "training" until killed.
                    (pathlib.Path({str(pids)!r}) / str(os.getpid())).write_text(str(os.getppid()))
                    time.sleep(600)

                if __name__ == "__main__":
                    pool = WorkerPool(
                        2, threads=1, context="forkserver", preload=["trainlab.experiment.fork_server"]
                    ).start()
                    for _ in range(2):
                        pool.submit(report_and_sleep)
                    time.sleep(600)
                """,
        )
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(path.name) for path in pids.iterdir()]
        servers = {int(path.read_text()) for path in pids.iterdir()}
        assert len(workers) == 2, "the runner never started its workers"
        assert len(servers) == 1 and runner.pid not in servers  # forked by the server, not the runner
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in [*workers, *servers]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in [*workers, *servers] if _running(pid)]
    finally:
        runner.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the server's kill on exit is Linux's")
def test_a_runner_that_quits_during_the_preload_does_not_wait_for_the_server(tmp_path):
    # A preload that would take 10 minutes: the server holds the runner's stdout and stderr meanwhile,
    # so the pipe closes only when the server ends. It ends with the runner (`trainlab experiment run
    # BAD.yaml | tee log` returns with the error, not seconds later).
    importing = tmp_path / "importing"
    (tmp_path / "slow_to_import.py").write_text(
        f"import pathlib, time\npathlib.Path({str(importing)!r}).touch()\ntime.sleep(600)\n"
    )
    command = script(
        tmp_path,
        f"""
            import pathlib, time
            from trainlab.experiment.workers import WorkerPool

            if __name__ == "__main__":
                preload = ["trainlab.experiment.fork_server", "slow_to_import"]
                pool = WorkerPool(1, context="forkserver", preload=preload).start()
                while not pathlib.Path({str(importing)!r}).exists():  # the server is in its preload
                    time.sleep(0.05)
                pool.close(cancel=True)  # as on a bad spec: no task was ever submitted
                print("runner done")
            """,
    )
    # The server finds the module in its working directory (Python 3.11's ignores the runner's sys.path).
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "runner done", result.stderr


def test_a_context_that_cannot_preload_is_refused():
    with pytest.raises(TrainlabError, match="preload needs context='forkserver'"):
        WorkerPool(1, preload=["json"])
    with pytest.raises(TrainlabError, match="use spawn or forkserver"):
        WorkerPool(1, context="fork")
