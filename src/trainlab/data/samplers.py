"""Samplers for imbalanced classes: class-balanced sampling, random over- and under-sampling.

Each sampler draws an epoch's sample indices from the labels and a generator seeded by
``(seed, epoch)``, so a resumed run reproduces every epoch exactly and every data-parallel rank
draws the same order (each then takes its slice of every global batch). The batches are then
gathered in one indexing call per epoch, like the plain in-memory iterator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import torch
from pydantic import Field
from torch.utils.data import TensorDataset

from trainlab.data.batching import TensorBatchIterator, epoch_generator
from trainlab.registry import new_registry

SAMPLERS = new_registry("sampler")
IndexDraw = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _class_members(labels: torch.Tensor) -> list[torch.Tensor]:
    return [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]


def class_balanced_indices(
    labels: torch.Tensor, generator: torch.Generator, epoch_size: int | None = None
) -> torch.Tensor:
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


class ResampledBatchIterator(TensorBatchIterator):
    """A :class:`~trainlab.data.batching.TensorBatchIterator` whose epoch order is ``draw(labels, generator)``.

    Everything else is the plain in-memory iterator's: one gather per epoch, resumable from
    ``state_dict`` (the draw is repeated from ``(seed, epoch)``), and sharded across data-parallel
    ranks, each taking its slice of every global batch of the same drawn order.
    """

    def __init__(
        self,
        dataset: TensorDataset,
        batch_size: int,
        draw: IndexDraw,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        super().__init__(
            dataset,
            batch_size,
            shuffle=True,
            seed=seed,
            drop_last=drop_last,
            device=device,
            rank=rank,
            world_size=world_size,
        )
        self.labels = dataset.tensors[1].long().cpu()
        self.draw = draw
        self.size = len(draw(self.labels, epoch_generator(seed, 0)))  # samples per epoch, as drawn

    def epoch_order(self, epoch: int) -> torch.Tensor:
        return self.draw(self.labels, epoch_generator(self.seed, epoch))


_CHAWLA = (
    "Chawla, Bowyer, Hall & Kegelmeyer 2002, SMOTE (random over-sampling baseline); He & Garcia 2009, "
    "Learning from Imbalanced Data (IEEE TKDE)"
)


@SAMPLERS.register(
    "class_balanced",
    reference="Kang et al. 2020, Decoupling Representation and Classifier for Long-Tailed Recognition, "
    "arXiv:1910.09217 (class-balanced sampling)",
)
def class_balanced(
    dataset: TensorDataset,
    batch_size: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    epoch_size: Annotated[int, Field(ge=1)] | None = None,
    drop_last: bool = False,
    rank: int = 0,
    world_size: int = 1,
) -> ResampledBatchIterator:
    """Class-balanced sampling: every class equally likely in each draw (with replacement).

    Args:
        dataset: The training split (labels are its second tensor).
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
        epoch_size: Samples per epoch; default the split's size.
        drop_last: Skip the final, smaller batch of an epoch (trainlab sets it in data-parallel runs).
        rank: This process's rank in data-parallel training (set by trainlab).
        world_size: Processes in data-parallel training (set by trainlab).
    """

    def draw(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return class_balanced_indices(labels, generator, epoch_size)

    return ResampledBatchIterator(
        dataset,
        batch_size,
        draw,
        seed=seed,
        device=device,
        drop_last=drop_last,
        rank=rank,
        world_size=world_size,
    )


@SAMPLERS.register("oversample", reference=_CHAWLA)
def oversample(
    dataset: TensorDataset,
    batch_size: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    drop_last: bool = False,
    rank: int = 0,
    world_size: int = 1,
) -> ResampledBatchIterator:
    """Random over-sampling: repeat samples of smaller classes until every class matches the largest.

    Args:
        dataset: The training split.
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
        drop_last: Skip the final, smaller batch of an epoch (trainlab sets it in data-parallel runs).
        rank: This process's rank in data-parallel training (set by trainlab).
        world_size: Processes in data-parallel training (set by trainlab).
    """
    return ResampledBatchIterator(
        dataset,
        batch_size,
        oversample_indices,
        seed=seed,
        device=device,
        drop_last=drop_last,
        rank=rank,
        world_size=world_size,
    )


@SAMPLERS.register("undersample", reference=_CHAWLA)
def undersample(
    dataset: TensorDataset,
    batch_size: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    drop_last: bool = False,
    rank: int = 0,
    world_size: int = 1,
) -> ResampledBatchIterator:
    """Random under-sampling: each epoch keeps a fresh random subset of every class, the smallest class's size.

    Args:
        dataset: The training split.
        batch_size: Samples per batch.
        seed: Seed of the draws.
        device: Where batches are delivered.
        drop_last: Skip the final, smaller batch of an epoch (trainlab sets it in data-parallel runs).
        rank: This process's rank in data-parallel training (set by trainlab).
        world_size: Processes in data-parallel training (set by trainlab).
    """
    return ResampledBatchIterator(
        dataset,
        batch_size,
        undersample_indices,
        seed=seed,
        device=device,
        drop_last=drop_last,
        rank=rank,
        world_size=world_size,
    )
