"""Resumable batch iterators: a fast in-memory one for TensorDatasets, a seeded DataLoader for the rest."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

# Random streams drawn from one (seed, epoch): the sample order, and the DataLoader's worker seeds.
ORDER_STREAM = 0
WORKER_STREAM = 1


def epoch_generator(seed: int, epoch: int, stream: int = ORDER_STREAM) -> torch.Generator:
    """A CPU generator for one epoch, seeded from ``(seed, epoch, stream)`` through NumPy's SeedSequence.

    SeedSequence hashes the tuple, so nearby pairs such as ``(0, 1)`` and ``(1, 0)`` give
    unrelated streams, which ``seed + epoch`` would not. Seeding from the epoch alone (rather than
    carrying a generator's state across epochs) is what lets a resumed run reproduce any epoch
    from ``(seed, epoch)`` without replaying the ones before it.
    """
    state = np.random.SeedSequence([seed, epoch, stream]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def epoch_order(size: int, seed: int, epoch: int, shuffle: bool) -> torch.Tensor | None:
    """The sample order of ``epoch``: a seeded permutation, or None for the dataset's own order."""
    return torch.randperm(size, generator=epoch_generator(seed, epoch)) if shuffle else None


class _EpochCursor:
    """Where an iterator stands: ``epoch`` and ``position`` (batches already yielded this epoch).

    Shared by both iterators by composition. ``position`` advances *before* a batch is handed
    out, so a checkpoint taken while the caller trains on batch ``k`` records it as consumed and
    the resumed run continues with batch ``k + 1``.
    """

    def __init__(self, seed: int):
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.seed, self.epoch, self.position = seed, 0, 0

    def run(
        self, batches_per_epoch: int, epoch_batches: Callable[[int, int], Iterator[Any]]
    ) -> Iterator[Any]:
        # A cursor left at the end of an epoch (the caller stopped after its last batch) belongs
        # to the next epoch; without this, the next pass would yield an empty epoch.
        if batches_per_epoch and self.position >= batches_per_epoch:
            self.epoch, self.position = self.epoch + 1, 0
        for batch in epoch_batches(self.epoch, self.position):
            self.position += 1
            yield batch
        self.epoch, self.position = self.epoch + 1, 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: Mapping[str, int], batches_per_epoch: int) -> None:
        epoch, position, seed = int(state["epoch"]), int(state["position"]), int(state["seed"])
        if epoch < 0 or not 0 <= position <= batches_per_epoch:
            raise ValueError(
                f"iterator state (epoch {epoch}, position {position}) does not fit {batches_per_epoch} "
                "batches per epoch; was it saved with another batch size or dataset?"
            )
        self.seed, self.epoch, self.position = seed, epoch, position


def _batches_per_epoch(size: int, batch_size: int, drop_last: bool) -> int:
    return size // batch_size if drop_last else math.ceil(size / batch_size)


class _ResumableIterator:
    """What every batch iterator shares: iteration from its cursor, and saving and restoring it.

    Subclasses set ``self._cursor`` and implement ``__len__`` (batches per epoch) and
    ``_epoch_batches(epoch, start)``.
    """

    _cursor: _EpochCursor

    def __len__(self) -> int:
        raise NotImplementedError

    def _epoch_batches(self, epoch: int, start: int) -> Iterator[Any]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return self._cursor.run(len(self), self._epoch_batches)

    @property
    def epoch(self) -> int:
        return self._cursor.epoch

    @property
    def position(self) -> int:
        return self._cursor.position

    @property
    def seed(self) -> int:
        return self._cursor.seed

    def state_dict(self) -> dict[str, int]:
        """``(epoch, position, seed)``: enough to resume with exactly the remaining batches."""
        return self._cursor.state_dict()

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        self._cursor.load_state_dict(state, len(self))


class TensorBatchIterator(_ResumableIterator):
    """Batches of an in-memory TensorDataset without per-sample Python.

    Once per epoch it draws a permutation, gathers every tensor with it in one indexing call,
    and then yields contiguous slices of the gathered tensors (views, no copies). Iterating gives
    the batches of the current epoch from the current position; ``state_dict`` holds just
    ``(epoch, position, seed)``, enough to resume with exactly the remaining batches.

    Args:
        dataset: The TensorDataset to batch.
        batch_size: Samples per batch.
        shuffle: Draw a new order each epoch from ``(seed, epoch)``; False keeps the dataset's order.
        seed: Seed of the orders.
        drop_last: Skip the final, smaller batch of an epoch.
        device: Move the tensors there once, up front, so batches need no host-to-device copy.
        rank: This process's rank in data-parallel training.
        world_size: Processes in data-parallel training; see :func:`make_batch_iterator`.
    """

    def __init__(
        self,
        dataset: TensorDataset,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        device: torch.device | str | None = None,
        rank: int = 0,
        world_size: int = 1,
    ):
        _check_batch_size(batch_size)
        _check_shard(rank, world_size, drop_last)
        self.tensors = tuple(t.to(device) if device is not None else t for t in dataset.tensors)
        self.size = len(self.tensors[0]) if self.tensors else 0
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.rank, self.world_size = rank, world_size
        self._cursor = _EpochCursor(seed)

    def __len__(self) -> int:
        return _batches_per_epoch(self.size, self.batch_size * self.world_size, self.drop_last)

    def epoch_order(self, epoch: int) -> torch.Tensor | None:
        """The sample indices of ``epoch`` in order: a seeded permutation, or None for the dataset's order."""
        return epoch_order(self.size, self.seed, epoch, self.shuffle)

    def _epoch_batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        order = self.epoch_order(epoch)
        if order is None:
            gathered = self.tensors
        else:
            order = order.to(self.tensors[0].device)
            gathered = tuple(t[order] for t in self.tensors)
        for index in range(start, len(self)):
            begin = (index * self.world_size + self.rank) * self.batch_size
            yield tuple(t[begin : begin + self.batch_size] for t in gathered)

    def to(self, device: torch.device | str) -> TensorBatchIterator:
        """Move the tensors to ``device`` once; returns self."""
        self.tensors = tuple(t.to(device) for t in self.tensors)
        return self


class _EpochBatchSampler(Sampler[list[int]]):
    """Index batches of one epoch from a start position: skipped batches are never loaded."""

    def __init__(
        self,
        order: torch.Tensor | None,
        size: int,
        batch_size: int,
        drop_last: bool,
        start: int,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.indices = order.tolist() if order is not None else list(range(size))
        self.batch_size, self.start, self.rank, self.world_size = batch_size, start, rank, world_size
        self.count = _batches_per_epoch(size, batch_size * world_size, drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        for index in range(self.start, self.count):
            begin = (index * self.world_size + self.rank) * self.batch_size
            yield self.indices[begin : begin + self.batch_size]

    def __len__(self) -> int:
        return self.count - self.start


class LoaderBatchIterator(_ResumableIterator):
    """Batches of any map-style Dataset through ``torch.utils.data.DataLoader``, seeded per epoch.

    The order of each epoch is the same permutation as :class:`TensorBatchIterator` draws for
    ``(seed, epoch)``, and worker seeds come from ``(seed, epoch)`` too, so random augmentation in
    workers repeats on resume. A resumed iterator starts its DataLoader at the saved position.

    Args:
        dataset: A map-style Dataset (``__getitem__`` and ``__len__``).
        batch_size: Samples per batch.
        shuffle: Draw a new order each epoch from ``(seed, epoch)``.
        seed: Seed of the orders and of the worker processes.
        drop_last: Skip the final, smaller batch of an epoch.
        num_workers: Worker processes loading samples (0 loads in the calling process).
        device: Move every batch there as it is yielded.
        collate_fn: Passed to the DataLoader; its default stacks samples into tensors.
        rank: This process's rank in data-parallel training.
        world_size: Processes in data-parallel training; see :func:`make_batch_iterator`.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        num_workers: int = 0,
        device: torch.device | str | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        rank: int = 0,
        world_size: int = 1,
    ):
        _check_batch_size(batch_size)
        _check_shard(rank, world_size, drop_last)
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers}")
        # torch types Dataset without __len__; a map-style Dataset (the kind this iterator takes) has one.
        self.dataset, self.size = dataset, len(dataset)  # type: ignore[arg-type]
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.num_workers, self.device, self.collate_fn = num_workers, device, collate_fn
        self.rank, self.world_size = rank, world_size
        self._cursor = _EpochCursor(seed)

    def __len__(self) -> int:
        return _batches_per_epoch(self.size, self.batch_size * self.world_size, self.drop_last)

    def _epoch_batches(self, epoch: int, start: int) -> Iterator[Any]:
        # A fresh DataLoader per epoch: its workers then take their seeds from this epoch's generator.
        sampler = _EpochBatchSampler(
            epoch_order(self.size, self.seed, epoch, self.shuffle),
            self.size,
            self.batch_size,
            self.drop_last,
            start,
            self.rank,
            self.world_size,
        )
        loader = DataLoader(
            self.dataset,
            batch_sampler=sampler,
            num_workers=self.num_workers,
            collate_fn=self.collate_fn,
            generator=epoch_generator(self.seed, epoch, WORKER_STREAM),
            pin_memory=self.device is not None and torch.device(self.device).type == "cuda",
        )
        for batch in loader:
            yield _move(batch, self.device) if self.device is not None else batch

    def to(self, device: torch.device | str) -> LoaderBatchIterator:
        """Move every later batch to ``device``; returns self."""
        self.device = device
        return self


BatchIterator = TensorBatchIterator | LoaderBatchIterator


def make_batch_iterator(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
    num_workers: int = 0,
    device: torch.device | str | None = None,
    rank: int = 0,
    world_size: int = 1,
) -> BatchIterator:
    """The right batch iterator for ``dataset``: in-memory for a TensorDataset, a DataLoader otherwise.

    Both kinds iterate over the current epoch from the current position, have ``len`` = batches
    per epoch, expose ``epoch`` and ``position``, and resume exactly from ``state_dict()``.
    A TensorDataset already lives in memory, so it never needs worker processes and
    ``num_workers`` applies to the DataLoader path only.

    Args:
        dataset: The split to iterate.
        batch_size: Samples per batch.
        shuffle: Draw a new order each epoch from ``(seed, epoch)``.
        seed: Seed of the orders.
        drop_last: Skip the final, smaller batch of an epoch.
        num_workers: DataLoader worker processes (generic datasets only).
        device: Where batches are delivered.
        rank: This process's rank in data-parallel training.
        world_size: Processes in data-parallel training. Every rank draws the same order from
            ``(seed, epoch)`` (a distributed sampler with per-epoch seeding); global batch ``i``
            is ``batch_size * world_size`` consecutive samples of it, and rank ``r`` takes the
            ``r``-th ``batch_size`` of them. So N ranks with batch B see exactly the samples one
            process with batch N·B sees. Needs ``drop_last`` so that every rank gets equal batches.

    Returns:
        A :class:`TensorBatchIterator` or :class:`LoaderBatchIterator`.
    """
    if isinstance(dataset, TensorDataset):
        return TensorBatchIterator(
            dataset,
            batch_size,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
            device=device,
            rank=rank,
            world_size=world_size,
        )
    return LoaderBatchIterator(
        dataset,
        batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_last=drop_last,
        num_workers=num_workers,
        device=device,
        rank=rank,
        world_size=world_size,
    )


def _check_shard(rank: int, world_size: int, drop_last: bool) -> None:
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    if world_size > 1 and not drop_last:
        # A short last batch would give ranks unequal (or no) samples, and DDP's equal-weight
        # gradient average would then no longer be the mean over the global batch.
        raise ValueError("sharding across processes needs drop_last=True")


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")


def _move(batch: Any, device: torch.device | str) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {key: _move(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple):
        return tuple(_move(value, device) for value in batch)
    if isinstance(batch, list):
        return [_move(value, device) for value in batch]
    return batch
