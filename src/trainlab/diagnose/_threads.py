"""One intra-op thread for the duration of a block: the checks run tiny batches, where more threads only wait."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch thread, then restore the count (a tiny batch on a busy machine
    runs over ten times faster on one thread than on two that compete for cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
