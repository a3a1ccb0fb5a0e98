"""Launch a data-parallel run on this machine: N processes under torch's elastic agent, one message on failure.

The processes are ``python -m trainlab <the same arguments>``, started and watched by the agent
that ``torchrun`` uses (through its Python API, so that a failed process does not end in the
agent's own forty-line traceback). A process that stops on a user's mistake writes its message
to a shared folder instead of printing it; the launcher prints the first one, once.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from trainlab.errors import TrainlabError

# Where each process writes the message of the mistake it stopped on (set for the processes only).
ERRORS_DIR_ENV = "TRAINLAB_ERRORS_DIR"


class ProcessesFailed(TrainlabError):
    """The first mistake a process of a data-parallel run stopped on, with that process's exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def launch(nproc: int, args: Sequence[str]) -> int:
    """Run ``trainlab <args>`` in ``nproc`` local processes (gloo on CPU, nccl with a GPU each); 0 on success.

    Raises:
        ProcessesFailed: a process stopped; carries its message and exit code.
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # The agent logs each process it stops and fails; the processes' own messages say what matters.
    # Its loggers set their own levels, so each is quietened by name.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("torch.distributed.elastic"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    # Set explicitly so the agent does not print its banner about it (trainlab sets threads itself).
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=str(uuid.uuid4()),
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",  # a free port: several runs can share the machine
        max_restarts=0,
    )
    with tempfile.TemporaryDirectory(prefix="trainlab-launch-") as errors_dir:
        os.environ[ERRORS_DIR_ENV] = errors_dir
        try:
            elastic_launch(config, sys.executable)("-m", "trainlab", *args)
        except ChildFailedError as exc:
            rank, failure = exc.get_first_failure()
            reported = _first_report(Path(errors_dir))
            if reported is not None:
                raise ProcessesFailed(*reported) from None
            code = failure.exitcode if failure.exitcode > 0 else 128 - failure.exitcode
            raise ProcessesFailed(
                f"training process {rank} of {nproc} failed with exit code {failure.exitcode}; its output is above",
                code,
            ) from None
        finally:
            del os.environ[ERRORS_DIR_ENV]
    return 0


def report_from_process(message: str, exit_code: int) -> bool:
    """In a launched process, hand the message to the launcher instead of printing it; whether it did."""
    errors_dir = os.environ.get(ERRORS_DIR_ENV)
    if errors_dir is None or "RANK" not in os.environ:
        return False
    path = Path(errors_dir) / f"rank-{os.environ['RANK']}.txt"
    path.write_text(f"{exit_code}\n{message}")
    return True


def _first_report(errors_dir: Path) -> tuple[str, int] | None:
    """The message and exit code of the first process that reported one (rank 0's on a tie)."""
    reports = sorted(errors_dir.glob("rank-*.txt"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    if not reports:
        return None
    code, _, message = reports[0].read_text().partition("\n")
    return message, int(code)
