"""Samplers for imbalanced classes: class-balanced sampling, random over- and under-sampling.

Each sampler draws an epoch's sample indices from the labels and a generator seeded by
``(seed, epoch)``, so a resumed run reproduces every epoch exactly and every data-parallel rank
draws the same order (each then takes its slice of every global batch). The batches are then
gathered in one indexing call per epoch, like the plain in-memory iterator.

The registered entries are the sampler classes themselves: their ``__init__`` is the option schema.
The options every sampler shares are declared and documented once, on ``ResampledBatchIterator``.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch.utils.data import TensorDataset

from trainlab.data.loading.batching import TensorBatchIterator, epoch_generator
from trainlab.registry import new_registry

SAMPLERS = new_registry("sampler")


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
    """A :class:`~trainlab.data.loading.batching.TensorBatchIterator` whose epoch order is drawn from the labels.

    Subclasses define :meth:`draw`. Everything else is the plain in-memory iterator's: one gather
    per epoch, resumable from ``state_dict`` (the draw is repeated from ``(seed, epoch)``), and
    sharded across data-parallel ranks, each taking its slice of every global batch of the same
    drawn order.
    """

    def __init__(
        self,
        dataset: TensorDataset,
        batch_size: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        """Batches of ``dataset`` in the order :meth:`draw` gives each epoch.

        Args:
            dataset: The training split (labels are its second tensor).
            batch_size: Samples per batch.
            seed: Seed of the draws.
            device: Where batches are delivered.
            drop_last: Skip the final, smaller batch of an epoch (trainlab sets it in data-parallel runs).
            rank: This process's rank in data-parallel training (set by trainlab).
            world_size: Processes in data-parallel training (set by trainlab).
        """
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
        self.size = len(self.epoch_order(0))  # samples per epoch, as drawn

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The sample indices of one epoch, drawn from ``labels`` with ``generator``."""
        raise NotImplementedError(f"{type(self).__name__} must define draw(labels, generator)")

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
class ClassBalancedSampler(ResampledBatchIterator):
    """Class-balanced sampling: every class equally likely in each draw (with replacement).

    It adds ``epoch_size`` to the options of :class:`ResampledBatchIterator` (documented there),
    so its signature restates theirs.

    Args:
        epoch_size: Samples per epoch; default the split's size.
    """

    def __init__(
        self,
        dataset: TensorDataset,
        batch_size: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        epoch_size: Annotated[int, Field(ge=1)] | None = None,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        # Set before the base class draws epoch 0 to learn the epoch's size.
        self.epoch_size = epoch_size
        super().__init__(
            dataset,
            batch_size,
            seed=seed,
            device=device,
            drop_last=drop_last,
            rank=rank,
            world_size=world_size,
        )

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return class_balanced_indices(labels, generator, self.epoch_size)


@SAMPLERS.register("oversample", reference=_CHAWLA)
class RandomOversampler(ResampledBatchIterator):
    """Random over-sampling: repeat samples of smaller classes until every class matches the largest."""

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return oversample_indices(labels, generator)


@SAMPLERS.register("undersample", reference=_CHAWLA)
class RandomUndersampler(ResampledBatchIterator):
    """Random under-sampling: each epoch keeps a fresh random subset of every class, the smallest class's size."""

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return undersample_indices(labels, generator)
