"""A bounded CPU hog for the benchmarks that measure trainlab on a busy machine.

Each hog is a separate process spinning on one core. It stops by itself after ``seconds``, or as soon
as the process that started it is gone, so a benchmark that is killed never leaves a core busy.
"""

from __future__ import annotations

import subprocess
import sys
import time

SPIN = """
import os, sys, time
parent, end = os.getppid(), time.monotonic() + float(sys.argv[1])
while time.monotonic() < end and os.getppid() == parent:
    pass
"""


def start_hogs(processes: int, seconds: float) -> list[subprocess.Popen]:
    """``processes`` busy loops; returns once they are past the interpreter's start-up, spinning."""
    hogs = [subprocess.Popen([sys.executable, "-c", SPIN, str(seconds)]) for _ in range(processes)]
    if hogs:
        time.sleep(0.3)
    return hogs


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for process in hogs:
        process.kill()
        process.wait()
