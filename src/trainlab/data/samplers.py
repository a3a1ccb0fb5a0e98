"""Samplers for imbalanced classes: class-balanced sampling, random over- and under-sampling.

Each sampler draws an epoch's sample indices from the labels and a generator seeded by
``(seed, epoch)``, so a resumed run reproduces every epoch exactly. The batches are then
gathered in one indexing call per epoch, like the plain in-memory iterator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated

import torch
from pydantic import Field
from torch.utils.data import TensorDataset

from trainlab.data.batching import _EpochCursor, epoch_generator
from trainlab.registry import new_registry

SAMPLERS = new_registry("sampler")
IndexDraw = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _class_members(labels: torch.Tensor) -> list[torch.Tensor]:
    return [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]


def class_balanced_indices(labels: torch.Tensor, generator: torch.Generator, epoch_size: int | None = None) -> torch.Tensor:
    """Indices drawn with replacement, each sample with probability proportional to 1 / (its class's count)."""
    counts = torch.bincount(labels)
    weights = 1.0 / counts[labels].double()
    return torch.multinomial(weights, epoch_size or len(labels), replacement=True, generator=generator)


def oversample_indices(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Every sample once, plus random repeats of smaller classes up to the largest class's count, shuffled."""
    members = _class_members(labels)
    target = max(len(m) for m in members)
    parts = []
    for m in members:
        extra = m[torch.randint(len(m), (target - len(m),), generator=generator)]
        parts.extend([m, extra])
    chosen = torch.cat(parts)
    return chosen[torch.randperm(len(chosen), generator=generator)]


def undersample_indices(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random subset of each class of the smallest class's size (fresh each epoch), shuffled."""
    members = _class_members(labels)
    target = min(len(m) for m in members)
    chosen = torch.cat([m[torch.randperm(len(m), generator=generator)[:target]] for m in members])
    return chosen[torch.randperm(len(chosen), generator=generator)]


class ResampledBatchIterator:
    """Resumable batches of a TensorDataset in an order drawn by ``draw(labels, generator)`` each epoch.

    Same interface as :class:`trainlab.data.batching.TensorBatchIterator`: ``len`` is batches per
    epoch, iteration continues from the current position, ``state_dict`` is (epoch, position, seed).
    """

    def __init__(
        self, dataset: TensorDataset, batch_size: int, draw: IndexDraw, *, seed: int = 0,
        device: torch.device | str | None = None,
    ):
        self.tensors = tuple(t.to(device) if device is not None else t for t in dataset.tensors)
        self.labels = dataset.tensors[1].long().cpu()
        self.batch_size = batch_size
        self.draw = draw
        self.epoch_size = len(draw(self.labels, epoch_generator(seed, 0)))
        self._cursor = _EpochCursor(seed)

    def __len__(self) -> int:
        return math.ceil(self.epoch_size / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return self._cursor.run(len(self), self._epoch_batches)

    def _epoch_batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        order = self.draw(self.labels, epoch_generator(self.seed, epoch)).to(self.tensors[0].device)
        gathered = tuple(t[order] for t in self.tensors)
        for index in range(start, len(self)):
            begin = index * self.batch_size
            yield tuple(t[begin : begin + self.batch_size] for t in gathered)

    def to(self, device: torch.device | str) -> ResampledBatchIterator:
        self.tensors = tuple(t.to(device) for t in self.tensors)
        return self

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
        return self._cursor.state_dict()

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        self._cursor.load_state_dict(state, len(self))


_CHAWLA = "Chawla, Bowyer, Hall & Kegelmeyer 2002, SMOTE (random over-sampling baseline); He & Garcia 2009, " \
    "Learning from Imbalanced Data (IEEE TKDE)"


@SAMPLERS.register(
    "class_balanced",
    reference="Kang et al. 2020, Decoupling Representation and Classifier for Long-Tailed Recognition, "
    "arXiv:1910.09217 (class-balanced sampling)",
)
def class_balanced(
    dataset: TensorDataset, batch_size: int, seed: int = 0, device: torch.device | str | None = None,
    epoch_size: Annotated[int, Field(ge=1)] | None = None,
) -> ResampledBatchIterator:
    """Class-balanced sampling: every class equally likely in each draw (with replacement).

    Args:
        dataset: The training split (labels are its second tensor).
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
        epoch_size: Samples per epoch; default the split's size.
    """
    def draw(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return class_balanced_indices(labels, generator, epoch_size)

    return ResampledBatchIterator(dataset, batch_size, draw, seed=seed, device=device)


@SAMPLERS.register("oversample", reference=_CHAWLA)
def oversample(
    dataset: TensorDataset, batch_size: int, seed: int = 0, device: torch.device | str | None = None
) -> ResampledBatchIterator:
    """Random over-sampling: repeat samples of smaller classes until every class matches the largest.

    Args:
        dataset: The training split.
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
    """
    return ResampledBatchIterator(dataset, batch_size, oversample_indices, seed=seed, device=device)


@SAMPLERS.register("undersample", reference=_CHAWLA)
def undersample(
    dataset: TensorDataset, batch_size: int, seed: int = 0, device: torch.device | str | None = None
) -> ResampledBatchIterator:
    """Random under-sampling: each epoch keeps a fresh random subset of every class, the smallest class's size.

    Args:
        dataset: The training split.
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
    """
    return ResampledBatchIterator(dataset, batch_size, undersample_indices, seed=seed, device=device)
