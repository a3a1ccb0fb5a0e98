"""Which process this is in a (possibly) distributed run; writers ask before writing."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessContext:
    """Rank facts read from the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK).

    A single-process run is rank 0 of 1. Everything that writes files, prints progress or
    saves weights checks :attr:`is_main` so that only one process does it.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls) -> ProcessContext:
        return cls(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )
