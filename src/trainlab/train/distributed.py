"""Which process this is in a (possibly) distributed run, and the few collectives the trainer needs."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class ProcessContext:
    """Rank facts read from the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK).

    A single-process run is rank 0 of 1. Everything that writes files, prints progress or
    saves weights checks :attr:`is_main` so that only one process does it.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

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
            local_world_size=int(os.environ.get("LOCAL_WORLD_SIZE", 1)),
        )


def init_distributed(process: ProcessContext, device: torch.device) -> torch.device:
    """Join the process group torchrun prepared: nccl for CUDA, gloo for CPU. Returns this rank's device.

    Each process of a CUDA run owns the GPU of its local rank. On CPU the cores are split
    between the local processes (workers × threads ≤ cores; see ``trainlab.train.threads``)
    unless the recipe set train.threads.
    """
    if not process.is_distributed:
        return device
    if device.type == "cuda":
        device = torch.device("cuda", process.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def wrap_data_parallel(model: nn.Module, process: ProcessContext, device: torch.device) -> nn.Module:
    """``DistributedDataParallel`` around ``model`` in a distributed run; the model itself otherwise.

    DDP broadcasts rank 0's parameters at construction and averages gradients during backward,
    overlapping the all-reduce with the rest of the backward pass.
    """
    if not process.is_distributed:
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def mean_across_ranks(value: float, process: ProcessContext) -> float:
    """The mean of a float over all ranks (a logging-time collective; every rank must call it)."""
    if not process.is_distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor)
    return float(tensor.item()) / process.world_size


def any_rank(flag: bool, process: ProcessContext) -> bool:
    """True on every rank if ``flag`` is true on any of them."""
    if not process.is_distributed:
        return flag
    tensor = torch.tensor([int(flag)])
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def gather_objects(value: Any, process: ProcessContext) -> list[Any]:
    """``[value of rank 0, value of rank 1, ...]`` on every rank (e.g. per-rank RNG states)."""
    if not process.is_distributed:
        return [value]
    gathered: list[Any] = [None] * process.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def barrier(process: ProcessContext) -> None:
    if process.is_distributed and dist.is_initialized():
        dist.barrier()


def shutdown(process: ProcessContext) -> None:
    if process.is_distributed and dist.is_initialized():
        with contextlib.suppress(Exception):
            dist.destroy_process_group()
