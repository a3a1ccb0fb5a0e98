"""bundle_from_python: a DataBundle from torch Datasets or (x, y) pairs already in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from trainlab.data.bundle import DataBundle, Task
from trainlab.data.checks import check_split
from trainlab.data.classes import index_text_labels, is_text
from trainlab.data.prepare import bundle_from_raw, split_problems
from trainlab.data.sources.raw import TASKS, RawData
from trainlab.data.transforms.scaling import Scaling
from trainlab.data.transforms.splits import TEST_STREAM, VAL_STREAM, split_indices
from trainlab.errors import ConfigError, DataError, Problem

Split = Dataset | tuple[Any, Any]


def bundle_from_python(
    train: Split,
    val: Split | None = None,
    test: Split | None = None,
    *,
    task: Task | None = None,
    num_classes: int | None = None,
    name: str = "custom",
    val_fraction: float = 0.0,
    test_fraction: float = 0.0,
    split_seed: int = 0,
    scaling: Scaling = "none",
    preprocess: Sequence[Any] = (),
) -> DataBundle:
    """A DataBundle from data already in Python: torch Datasets or ``(x, y)`` pairs of tensors or arrays.

    Pairs become TensorDatasets (float32 inputs; int64 labels or float32 targets) and are checked
    like registered data. By default the data is used exactly as given; the split and scaling
    options opt in to what :func:`trainlab.data.load_data` does for registered datasets.

    Args:
        train: The training split.
        val: The validation split, or None.
        test: The test split, or None.
        task: ``"classification"`` or ``"regression"``; None infers it from the training targets'
            dtype (integer or bool means classification; for a generic Dataset, its first sample).
        num_classes: Number of classes; None uses the largest label + 1 of the pairs, or
            ``len(dataset.classes)`` of a generic Dataset.
        name: Recorded as ``bundle.name``.
        val_fraction: When ``val`` is None, hold out this share of ``train`` for validation.
        test_fraction: When ``test`` is None, hold out this share of ``train`` for testing.
        split_seed: Seed of the hold-out splits. Splits of pairs are stratified by class; splits
            of a generic Dataset are not, since its labels are only known by loading every sample.
        scaling: ``standardize`` or ``minmax`` with statistics of the training pair (as
            ``load_data`` does), or ``none``. A generic training Dataset produces samples on
            demand and is never rescaled; ``info["scaler"]`` is then None and ``info["scaling"]``
            says why.
        preprocess: ``data.preprocess`` steps fitted on the training pair (see ``load_data``); not for a
            generic Dataset, whose samples are produced on demand.

    Returns:
        The DataBundle.

    Raises:
        ConfigError: an argument is not usable, e.g. a generic Dataset without ``num_classes``.
        DataError: non-finite values, invalid labels, or splits whose samples differ in shape.
    """
    problems = split_problems(val_fraction, test_fraction, split_seed, key="")
    if task is not None and task not in TASKS:
        problems.append(Problem("task", f"must be 'classification' or 'regression' (got {task!r})"))
    if preprocess and isinstance(train, Dataset):
        problems.append(
            Problem("data.preprocess", "needs the training data as an (x, y) pair, not a Dataset")
        )
    if problems:
        raise ConfigError(problems, source="bundle_from_python")
    if not isinstance(train, Dataset):
        return _from_pairs(
            train,
            val=val,
            test=test,
            task=task,
            num_classes=num_classes,
            name=name,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            split_seed=split_seed,
            scaling=scaling,
            preprocess=preprocess,
        )
    return _from_dataset(
        train,
        val=val,
        test=test,
        task=task,
        num_classes=num_classes,
        name=name,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        split_seed=split_seed,
        scaling=scaling,
    )


def _from_pairs(
    train: tuple[Any, Any],
    *,
    val: Split | None,
    test: Split | None,
    task: Task | None,
    num_classes: int | None,
    name: str,
    val_fraction: float,
    test_fraction: float,
    split_seed: int,
    scaling: Scaling,
    preprocess: Sequence[Any],
) -> DataBundle:
    train, val, test, class_names = _text_labels_as_indices(train, val, test)
    x, y = _pair(train, "train")
    task = task or ("classification" if class_names is not None or _is_integer(y) else "regression")
    if class_names is not None and task != "classification":
        raise DataError("task: is 'regression' but the targets are text; text targets are class labels")
    generic = {split: value for split, value in (("val", val), ("test", test)) if isinstance(value, Dataset)}
    if scaling != "none" and generic:
        split = next(iter(generic))
        message = (
            "is a Dataset, which cannot be rescaled with the training statistics; "
            "pass it as an (x, y) pair, or use scaling='none'"
        )
        raise ConfigError([Problem(split, message)])
    test_pair = _pair(test, "test") if test is not None and "test" not in generic else None
    val_pair = _pair(val, "val") if val is not None and "val" not in generic else None
    raw = RawData(
        x_train=_numpy(x),
        y_train=_numpy(y),
        x_test=None if test_pair is None else _numpy(test_pair[0]),
        y_test=None if test_pair is None else _numpy(test_pair[1]),
        task=task,
        num_classes=num_classes,
        class_names=class_names,
        info={"source": "python"},
    )
    if val_pair is not None:
        _check_sample_shape(val_pair[0], raw.input_shape, "val", name)
    bundle = bundle_from_raw(
        raw,
        name=name,
        val=None if val_pair is None else (_numpy(val_pair[0]), _numpy(val_pair[1])),
        val_fraction=val_fraction if val is None else 0.0,
        test_fraction=test_fraction if test is None else 0.0,
        split_seed=split_seed,
        scaling=scaling,
        key="",
        preprocess=preprocess,
    )
    if test is not None:
        bundle.info["test_split"] = "given"
    for split, dataset in generic.items():
        setattr(bundle, split, dataset)
        bundle.info["sizes"][split] = _length(dataset)
        bundle.info[f"{split}_split"] = "given"
    return bundle


def _from_dataset(
    train: Dataset,
    *,
    val: Split | None,
    test: Split | None,
    task: Task | None,
    num_classes: int | None,
    name: str,
    val_fraction: float,
    test_fraction: float,
    split_seed: int,
    scaling: Scaling,
) -> DataBundle:
    first_input, first_target = _first_sample(train)
    task = task or ("classification" if _is_integer(first_target) else "regression")
    classification = task == "classification"
    declared = getattr(train, "classes", None)
    if classification and num_classes is None:
        # torchvision-style datasets declare their classes; for any other Dataset, finding the
        # largest label would take a full pass over the data (and its transforms).
        if not isinstance(declared, (list, tuple)):
            raise ConfigError(
                [
                    Problem(
                        "num_classes", "is needed for a Dataset without a `classes` list; pass num_classes=K"
                    )
                ]
            )
        num_classes = len(declared)
    input_shape = tuple(np.shape(first_input))

    remaining: Dataset = train
    held_out: dict[str, Dataset | None] = {"val": None, "test": None}
    made = {"val": "none", "test": "none"}
    # Test first, then validation from what remains: the same order as load_data.
    holdouts = (("test", test, test_fraction, TEST_STREAM), ("val", val, val_fraction, VAL_STREAM))
    for split, given, fraction, stream in holdouts:
        if given is None and fraction > 0:
            kept, held = split_indices(_length(remaining), fraction, seed=split_seed, stream=stream)
            held_out[split] = Subset(remaining, held.tolist())
            remaining = Subset(remaining, kept.tolist())
            made[split] = "carved"
        elif isinstance(given, Dataset):
            held_out[split], made[split] = given, "given"
        elif given is not None:
            inputs, targets = _pair(given, split)
            _check_sample_shape(inputs, input_shape, split, name)
            check_split(inputs, targets, split=split, task=task, num_classes=num_classes, dataset=name)
            held_out[split] = TensorDataset(
                inputs.float(), targets.long() if classification else targets.float()
            )
            made[split] = "given"
    datasets = {"train": remaining, **held_out}
    info: dict[str, Any] = {
        "source": "python",
        "dataset": name,
        "sizes": {split: None if d is None else _length(d) for split, d in datasets.items()},
        "split_seed": split_seed,
        "val_split": made["val"],
        "test_split": made["test"],
        "stratified": False,
        "classes": _class_list(declared, num_classes) if classification else None,
        "scaling": "none",
        "scaler": None,
    }
    if scaling != "none":
        info["scaling"] = (
            f"{scaling} not applied: a generic Dataset produces its samples on demand; scale them in the Dataset"
        )
    return DataBundle(
        name=name,
        task=task,
        train=remaining,
        val=held_out["val"],
        test=held_out["test"],
        input_shape=input_shape,
        num_classes=num_classes if classification else None,
        target_shape=() if classification else tuple(np.shape(first_target)),
        info=info,
    )


def _text_labels_as_indices(
    train: tuple[Any, Any], val: Split | None, test: Split | None
) -> tuple[tuple[Any, Any], Split | None, Split | None, list[str] | None]:
    """Text labels (``"cat"``, ``"dog"``) become class indices shared by every (inputs, targets) split."""
    splits: dict[str, Any] = {"train": train, "val": val, "test": test}
    pairs = {
        name: value
        for name, value in splits.items()
        if isinstance(value, (tuple, list)) and len(value) == 2 and not isinstance(value[1], torch.Tensor)
    }
    targets = {name: np.asarray(value[1]) for name, value in pairs.items()}
    if "train" not in targets or not is_text(targets["train"]):
        return train, val, test, None
    names, indexed = index_text_labels(list(targets.values()))
    for (name, value), indices in zip(pairs.items(), indexed, strict=True):
        splits[name] = (value[0], indices)
    return splits["train"], splits["val"], splits["test"], names


def _pair(value: Any, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        kind = type(value).__name__
        raise ConfigError(
            [Problem(split, f"must be a torch Dataset or an (inputs, targets) pair, got {kind}")]
        )
    inputs, targets = (v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v)) for v in value)
    if inputs.ndim == 1:
        inputs = inputs.reshape(-1, 1)  # a single feature given flat is one column, not one sample
    if targets.ndim == 2 and targets.shape[1] == 1 and not torch.is_floating_point(targets):
        targets = targets.reshape(-1)  # (N, 1) integer labels are what a one-column slice gives
    if len(inputs) == 0:
        raise DataError(
            f"{split.capitalize()} split: the (inputs, targets) pair has no samples; pass None instead."
        )
    if len(inputs) != len(targets):
        raise DataError(
            f"{split.capitalize()} split: {len(inputs)} inputs but {len(targets)} targets; "
            "every sample needs one target."
        )
    return inputs, targets


def _check_sample_shape(inputs: torch.Tensor, expected: tuple[int, ...], split: str, name: str) -> None:
    if tuple(inputs.shape[1:]) != tuple(expected):
        raise DataError(
            f"Data '{name}', {split} split: samples have shape {tuple(inputs.shape[1:])} but the train "
            f"samples have {tuple(expected)}; every split needs samples of one shape."
        )


def _class_list(declared: Any, num_classes: int | None) -> list[Any]:
    """What each class index of a generic Dataset stands for: its declared class, or the index itself."""
    if isinstance(declared, (list, tuple)) and len(declared) == num_classes:
        return [str(name) for name in declared]
    return list(range(num_classes or 0))


def _first_sample(dataset: Dataset) -> tuple[Any, Any]:
    try:
        sample = dataset[0]
    except (IndexError, KeyError) as exc:
        raise DataError(
            "Train split: the dataset is empty (dataset[0] failed); it needs at least one sample."
        ) from exc
    if not isinstance(sample, (tuple, list)) or len(sample) < 2:
        raise DataError(
            f"Train split: dataset[0] is a {type(sample).__name__}; each sample must be an (input, target) pair."
        )
    return sample[0], sample[1]


def _is_integer(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return not (torch.is_floating_point(value) or torch.is_complex(value))
    return np.asarray(value).dtype.kind in "iub"


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    tensor = tensor.detach().cpu()
    # NumPy has no bfloat16; widening keeps every value as it is.
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _length(dataset: Any) -> int:
    try:
        return len(dataset)
    except TypeError as exc:
        raise DataError(f"{type(dataset).__name__} has no len(); trainlab needs map-style Datasets") from exc
