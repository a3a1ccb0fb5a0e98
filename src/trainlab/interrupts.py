"""Ctrl-C for the ``trainlab`` command: at any moment, start-up included, it exits 130 without a traceback.

This module imports only the standard library, so that the console script installs its handler
before typer, torch and the rest load. Outside the training loop a Ctrl-C exits at once: every
file trainlab writes is written atomically, so there is nothing to clean up, while an exception
raised in the middle of an import (torch and numpy take seconds to import) can leave modules
half-initialised and surface as an unrelated ImportError. Around the training loop
(:func:`interrupts_raise`) the handler raises instead, so that the run directory records that the
run was interrupted; with checkpoints, the loop's own handler takes over and turns Ctrl-C into
checkpoint-and-stop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

EXIT_CODE = 128 + signal.SIGINT
_raise_on_interrupt = False


class CommandInterrupted(BaseException):
    """Ctrl-C (SIGINT) during the training loop, raised so the run can say it was interrupted.

    Not a KeyboardInterrupt, so that no library turns it into something else (click would print
    "Aborted!" and exit 1).
    """


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if _raise_on_interrupt:
        raise CommandInterrupted
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    os._exit(EXIT_CODE)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block a Ctrl-C raises :class:`CommandInterrupted` (only under the console script)."""
    global _raise_on_interrupt
    previous, _raise_on_interrupt = _raise_on_interrupt, True
    try:
        yield
    finally:
        _raise_on_interrupt = previous


def install() -> None:
    """Make Ctrl-C exit at once, or raise within :func:`interrupts_raise` (the console script calls this)."""
    signal.signal(signal.SIGINT, _interrupt)
