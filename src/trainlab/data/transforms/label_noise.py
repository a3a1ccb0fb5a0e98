"""Injected label noise: a share of the training labels flipped, symmetrically or class to class.

Real datasets carry wrong labels, and the canon's robustness questions (does a method survive 20%
noise? can the wrong labels be found?) need a known ground truth. Only the training split is
corrupted: validation and test keep their true labels, so the scores still measure the truth.
The flipped samples are recorded (``bundle.info["label_noise"]["flipped"]``, training-split
indices), which is what a detector of mislabelled samples is scored against.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.errors import ConfigError, Problem


def inject_label_noise(
    labels: torch.Tensor,
    num_classes: int,
    rate: float,
    generator: torch.Generator,
    *,
    kind: str = "symmetric",
    mapping: Mapping[int, int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy labels and the indices that were flipped.

    Exactly ``round(rate * N)`` samples are chosen at random (so the noise rate is what was asked,
    not a binomial draw around it); among the classes a mapping does not move, fewer flip.

    Args:
        labels: ``(N,)`` class indices.
        num_classes: Number of classes.
        rate: Share of the samples to flip, in [0, 1).
        generator: Source of the random choices.
        kind: ``symmetric``: a flipped label becomes one of the *other* classes, uniformly
            (Angluin & Laird 1988's uniform noise). ``asymmetric``: class c becomes ``mapping[c]``, by
            default c + 1 modulo the number of classes (the "pair flip" of Han et al. 2018), the way
            annotators confuse similar classes.
        mapping: For ``asymmetric``: each class's wrong label; classes not in it keep theirs.

    Returns:
        ``(noisy_labels, flipped)``: the new labels, and the sorted indices whose label changed.
    """
    count = round(rate * len(labels))
    chosen = torch.randperm(len(labels), generator=generator)[:count]
    noisy = labels.clone()
    if kind == "symmetric":
        # An offset in 1..K-1 added modulo K is a uniform choice among the K - 1 other classes.
        offsets = torch.randint(1, num_classes, (count,), generator=generator)
        noisy[chosen] = (labels[chosen] + offsets.to(labels.dtype)) % num_classes
    else:
        pairs = mapping if mapping is not None else {c: (c + 1) % num_classes for c in range(num_classes)}
        table = torch.arange(num_classes, dtype=labels.dtype)
        for source, target in pairs.items():
            table[source] = target
        noisy[chosen] = table[labels[chosen]]
    flipped = torch.nonzero(noisy != labels).flatten()
    return noisy, flipped


def noisy_bundle(
    bundle: DataBundle,
    rate: float,
    kind: str,
    mapping: Mapping[int, int] | None,
    seed: int,
    *,
    key: str = "data.label_noise",
) -> DataBundle:
    """The bundle with noisy training labels; ``info["label_noise"]`` records the rate and the flipped indices.

    Raises:
        ConfigError: not an in-memory classification dataset, or a mapping naming a class it lacks.
    """
    if bundle.task != "classification" or not isinstance(bundle.train, TensorDataset):
        raise ConfigError(
            [Problem(key, f"needs an in-memory classification dataset; '{bundle.name}' is not; remove {key}")]
        )
    num_classes = bundle.num_outputs
    unknown = sorted({c for pair in (mapping or {}).items() for c in pair if not 0 <= c < num_classes})
    if unknown:
        raise ConfigError(
            [
                Problem(
                    f"{key}.mapping",
                    f"classes {unknown} are not among the {num_classes} classes 0..{num_classes - 1}",
                )
            ]
        )
    if kind == "asymmetric" and mapping is not None and all(s == t for s, t in mapping.items()):
        raise ConfigError([Problem(f"{key}.mapping", "maps every class to itself, so no label would change")])
    inputs, labels, *rest = bundle.train.tensors
    generator = torch.Generator().manual_seed(seed)
    noisy, flipped = inject_label_noise(labels, num_classes, rate, generator, kind=kind, mapping=mapping)
    bundle.train = TensorDataset(inputs, noisy, *rest)
    bundle.info["label_noise"] = {
        "rate": rate,
        "kind": kind,
        "flipped_share": len(flipped) / max(len(labels), 1),
        "flipped": flipped.tolist(),
    }
    return bundle
