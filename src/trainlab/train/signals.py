"""SIGTERM and SIGINT become a request to checkpoint and stop at the next step boundary."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from trainlab.errors import TrainlabError

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class TrainingInterrupted(TrainlabError):
    """Raised after the checkpoint that a SIGTERM or SIGINT asked for has been written.

    ``exit_code`` is what a shell reports for that signal (128 + its number), so schedulers that
    requeue preempted jobs see an interrupted run, not a finished one.
    """

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class StopRequests:
    """Context manager catching SIGTERM and SIGINT while the loop runs.

    The handler only records the signal: stopping in the middle of an optimizer step (or of a
    checkpoint write) is what would corrupt state, so the loop checks :attr:`signum` at step
    boundaries. A second SIGINT while a request is pending restores the default behaviour and
    raises KeyboardInterrupt at once, for a user who really means it.

    Handlers can only be installed from the main thread; elsewhere, and when not ``enabled``
    (nothing to checkpoint to), this is a no-op and the signals keep their usual effect.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequests:
        if self.enabled and threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            self.__exit__()
            raise KeyboardInterrupt
        self.signum = signum
