"""Preloaded first by the fork server that training workers fork from: the server dies with the runner.

multiprocessing's fork server notices that its runner has gone only once it has imported everything it
preloads (about 6.5 s of torch, torchmetrics and the trainer on a 2-core VM), and then tears its
interpreter down module by module (1.5 s more). All that time it holds the runner's stdout and
stderr, so ``trainlab experiment run BAD.yaml | tee log`` would wait seconds after the error for the
pipe to close. Imported in the server, this module has Linux SIGKILL it the moment its runner exits.
Imported anywhere else, it does nothing.
"""

from __future__ import annotations

import os
import sys
from multiprocessing import forkserver
from types import FrameType

from trainlab.experiment.workers import kill_with_parent


def _in_fork_server() -> bool:
    """Whether this import runs inside multiprocessing's fork server, preloading."""
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


if _in_fork_server():
    runner = os.getppid()
    if kill_with_parent() and os.getppid() != runner:  # the runner exited before the request took effect
        os._exit(1)
