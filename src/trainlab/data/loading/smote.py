"""SMOTE and borderline-SMOTE: synthetic minority samples on segments between same-class neighbours.

Random over-sampling repeats the same minority points, and a network memorizes them. SMOTE (Chawla
et al. 2002) instead adds new points along the segments between a minority sample and one of its
k nearest neighbours of the same class; borderline-SMOTE (Han, Wang & Mao 2005) does so only from
the minority samples near the class border ("in danger": at least half, but not all, of their m
nearest neighbours belong to other classes), where the classifier needs them.

The synthetic samples are drawn once, when the sampler is built, from a generator seeded by the
run's seed, so a resumed run sees the same ones; each epoch then shuffles the real and synthetic
samples together. Neighbours are found in the scaled input space (``data.scaling``), flattened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field
from torch.utils.data import TensorDataset

from trainlab.data.loading.samplers import SAMPLERS, ResampledBatchIterator
from trainlab.errors import ConfigError, Problem

Kind = Literal["regular", "borderline-1", "borderline-2"]


@dataclass
class SyntheticSamples:
    """New samples and where each came from: ``inputs = x[sources] + gaps * (x[partners] - x[sources])``.

    Attributes:
        inputs: ``(M, *sample_shape)`` synthetic inputs, in the dtype of the real ones.
        labels: ``(M,)`` their classes (the class of their source sample).
        sources: ``(M,)`` indices of the minority samples they start from.
        partners: ``(M,)`` indices of the neighbours they move towards.
        gaps: ``(M,)`` how far along the segment, in [0, 1] (in [0, 0.5] towards another class's sample).
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    sources: torch.Tensor
    partners: torch.Tensor
    gaps: torch.Tensor


def _samples(count: int) -> str:
    return f"{count} training sample{'' if count == 1 else 's'}"


def _neighbours(points: np.ndarray, queries: np.ndarray, k: int, *, skip_self: bool) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    found = NearestNeighbors(n_neighbors=k + int(skip_self)).fit(points)
    indices = found.kneighbors(queries, return_distance=False)
    return indices[:, 1:] if skip_self else indices


def synthesize(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    *,
    kind: Kind = "regular",
    k_neighbors: int = 5,
    m_neighbors: int = 10,
    ratio: float = 1.0,
    key: str = "sampler",
) -> SyntheticSamples:
    """Synthetic samples bringing every class up to ``ratio`` times the largest class's count.

    Raises:
        ConfigError: a class to over-sample has too few samples for ``k_neighbors`` neighbours.
    """
    flat = inputs.reshape(len(inputs), -1).double().cpu().numpy()
    y = labels.long().cpu().numpy()
    classes, counts = np.unique(y, return_counts=True)
    target = int(ratio * counts.max())
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    for cls, count in zip(classes, counts, strict=True):
        needed = target - int(count)
        if needed <= 0:
            continue
        if count < k_neighbors + 1:
            raise ConfigError(
                [
                    Problem(
                        f"{key}.k_neighbors",
                        f"class {int(cls)} has {_samples(int(count))}; SMOTE moves from "
                        f"a sample towards one of its {k_neighbors} nearest neighbours of the same class, so "
                        f"every over-sampled class needs at least k_neighbors + 1 = {k_neighbors + 1} samples; "
                        "lower k_neighbors, or use the 'oversample' sampler",
                    )
                ]
            )
        members = np.flatnonzero(y == cls)
        same_class = members[_neighbours(flat[members], flat[members], k_neighbors, skip_self=True)]
        candidates = np.arange(len(members))
        if kind != "regular":
            around = _neighbours(flat, flat[members], m_neighbors, skip_self=True)
            others = (y[around] != cls).sum(axis=1)
            candidates = np.flatnonzero((others >= m_neighbors / 2) & (others < m_neighbors))
            if len(candidates) == 0:
                continue  # no minority sample near the border: nothing borderline to add
        pick = candidates[torch.randint(len(candidates), (needed,), generator=generator).numpy()]
        choice = torch.randint(k_neighbors, (needed,), generator=generator).numpy()
        partners = same_class[pick, choice]
        gaps = torch.rand(needed, generator=generator, dtype=torch.float64).numpy()
        if kind == "borderline-2":
            # Han et al.'s second variant also steps towards other classes' nearest samples, but at most
            # halfway, so the new point stays on its own class's side.
            other_members = np.flatnonzero(y != cls)
            other_class = other_members[
                _neighbours(
                    flat[other_members], flat[members], min(k_neighbors, len(other_members)), skip_self=False
                )
            ]
            towards_other = torch.rand(needed, generator=generator).numpy() < 0.5
            other_choice = torch.randint(other_class.shape[1], (needed,), generator=generator).numpy()
            partners = np.where(towards_other, other_class[pick, other_choice], partners)
            gaps = np.where(towards_other, gaps / 2, gaps)
        parts.append((members[pick], partners, gaps, int(cls)))
    return _assemble(inputs, parts)


def _assemble(
    inputs: torch.Tensor, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]
) -> SyntheticSamples:
    if not parts:
        empty = torch.zeros(0, dtype=torch.long)
        return SyntheticSamples(inputs[:0].clone(), empty, empty, empty, torch.zeros(0, dtype=torch.float64))
    sources = torch.from_numpy(np.concatenate([p[0] for p in parts]))
    partners = torch.from_numpy(np.concatenate([p[1] for p in parts]))
    gaps = torch.from_numpy(np.concatenate([p[2] for p in parts]))
    labels = torch.cat([torch.full((len(p[0]),), p[3], dtype=torch.long) for p in parts])
    start, end = inputs[sources].double(), inputs[partners].double()
    step = gaps.view(-1, *([1] * (inputs.dim() - 1)))
    return SyntheticSamples((start + step * (end - start)).to(inputs.dtype), labels, sources, partners, gaps)


@SAMPLERS.register(
    "smote",
    reference="Chawla, Bowyer, Hall & Kegelmeyer 2002, SMOTE: Synthetic Minority Over-sampling Technique (JAIR 16); "
    "Han, Wang & Mao 2005, Borderline-SMOTE (ICIC); checked against imbalanced-learn",
)
class SmoteSampler(ResampledBatchIterator):
    """SMOTE: train on the real samples plus synthetic minority samples between same-class neighbours.

    Every class is brought up to ``ratio`` times the largest class's count (``borderline-*`` add samples
    only where a class has samples near its border, so a class may stay below). It adds these options
    to those of :class:`ResampledBatchIterator`, so its signature restates theirs.

    Args:
        kind: ``regular`` (Chawla et al.), ``borderline-1`` or ``borderline-2`` (Han et al.).
        k_neighbors: Same-class neighbours a synthetic sample may move towards.
        m_neighbors: Neighbours (of any class) that decide whether a sample is near the border (borderline only).
        ratio: Each class's target count as a share of the largest class's.
    """

    def __init__(
        self,
        dataset: TensorDataset,
        batch_size: int,
        *,
        seed: int = 0,
        device: torch.device | str | None = None,
        kind: Kind = "regular",
        k_neighbors: Annotated[int, Field(ge=1)] = 5,
        m_neighbors: Annotated[int, Field(ge=2)] = 10,
        ratio: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0,
        drop_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        inputs, labels = dataset.tensors[0], dataset.tensors[1]
        generator = torch.Generator().manual_seed(seed)
        self.synthetic = synthesize(
            inputs,
            labels,
            generator,
            kind=kind,
            k_neighbors=k_neighbors,
            m_neighbors=m_neighbors,
            ratio=ratio,
        )
        augmented = TensorDataset(
            torch.cat([inputs, self.synthetic.inputs.to(inputs.device)]),
            torch.cat([labels, self.synthetic.labels.to(labels.device, labels.dtype)]),
        )
        super().__init__(
            augmented,
            batch_size,
            seed=seed,
            device=device,
            drop_last=drop_last,
            rank=rank,
            world_size=world_size,
        )

    def draw(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return torch.randperm(len(labels), generator=generator)
