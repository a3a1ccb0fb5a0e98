"""Class subsets of a classification dataset: some classes relabelled 0..K-1, and a cap on samples per class."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.errors import ConfigError, DataError, Problem


def select_classes(dataset: TensorDataset, classes: Sequence[int]) -> TensorDataset:
    """The samples of ``classes`` only, with class ``classes[i]`` relabelled ``i`` (order of samples kept)."""
    inputs, labels = dataset.tensors[:2]
    wanted = torch.as_tensor(list(classes), dtype=labels.dtype)
    new_label = torch.full((int(max(labels.max(), wanted.max())) + 1,), -1, dtype=labels.dtype)
    new_label[wanted] = torch.arange(len(wanted), dtype=labels.dtype)
    relabelled = new_label[labels]
    keep = relabelled >= 0
    return TensorDataset(inputs[keep], relabelled[keep], *(t[keep] for t in dataset.tensors[2:]))


def cap_per_class(dataset: TensorDataset, per_class: int, num_classes: int, seed: int = 0) -> TensorDataset:
    """At most ``per_class`` samples of each class, chosen at random (seeded); order of samples kept."""
    labels = dataset.tensors[1]
    generator = torch.Generator().manual_seed(seed)
    kept = []
    for c in range(num_classes):
        members = torch.nonzero(labels == c).flatten()
        kept.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    index = torch.cat(kept).sort().values
    return TensorDataset(*(t[index] for t in dataset.tensors))


def subset_bundle(
    bundle: DataBundle,
    classes: Sequence[int] | None,
    train_per_class: int | None,
    seed: int = 0,
    *,
    key: str = "data.subset",
) -> DataBundle:
    """The bundle with only ``classes`` in every split (relabelled in that order) and at most
    ``train_per_class`` training samples per class; ``info`` records the subset and the new classes.

    Raises:
        ConfigError: not an in-memory classification dataset, or a class it does not have.
    """
    splits = {name: bundle.split(name) for name in ("train", "val", "test")}
    if bundle.task != "classification" or not all(
        d is None or isinstance(d, TensorDataset) for d in splits.values()
    ):
        raise ConfigError(
            [
                Problem(
                    key, f"needs a built-in classification dataset; '{bundle.name}' is not one; remove {key}"
                )
            ]
        )
    assert bundle.num_classes is not None
    wanted = list(range(bundle.num_classes)) if classes is None else list(classes)
    problems = [
        Problem(f"{key}.classes[{i}]", f"{c} is not a class of '{bundle.name}' (0..{bundle.num_classes - 1})")
        for i, c in enumerate(wanted)
        if not 0 <= c < bundle.num_classes
    ]
    if len(set(wanted)) != len(wanted):
        problems.append(Problem(f"{key}.classes", f"{wanted} names a class twice; name each once"))
    if problems:
        raise ConfigError(problems)
    for name, dataset in splits.items():
        if isinstance(dataset, TensorDataset):
            subset = select_classes(dataset, wanted)
            if name == "train" and train_per_class is not None:
                subset = cap_per_class(subset, train_per_class, len(wanted), seed)
            if len(subset) == 0:
                raise DataError(f"{key}: the {name} split has no samples of classes {wanted}")
            setattr(bundle, name, subset)
    source_classes = bundle.info.get("classes")
    if source_classes is not None:
        bundle.info["classes"] = [source_classes[c] for c in wanted]
    if bundle.class_names is not None:
        bundle.class_names = [bundle.class_names[c] for c in wanted]
    bundle.num_classes = len(wanted)
    bundle.info["subset"] = {"classes": wanted, "train_per_class": train_per_class, "seed": seed}
    bundle.info["sizes"] = {name: bundle.size(name) for name in splits}
    return bundle
