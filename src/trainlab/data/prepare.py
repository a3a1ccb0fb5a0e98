"""load_data: a registered dataset's raw arrays to a checked, split, scaled DataBundle."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.data.checks import check_split
from trainlab.data.classes import check_classes, index_classes, index_known_classes
from trainlab.data.sources.raw import RawData
from trainlab.data.transforms.preprocessors import build_preprocessors, describe, fit_preprocessors
from trainlab.data.transforms.scaling import Scaling, fit_scaler
from trainlab.data.transforms.splits import TEST_STREAM, VAL_STREAM, split_indices
from trainlab.errors import ConfigError, DataError, Problem
from trainlab.registry import DATASETS


def load_data(
    name: str,
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    scaling: Scaling = "standardize",
    key: str = "data",
    classes: Sequence[Any] | None = None,
    preprocess: Sequence[Any] = (),
    **options: Any,
) -> DataBundle:
    """Build the registered dataset ``name`` and turn it into train/val/test TensorDatasets.

    Every dataset goes through the same steps, so splits and scaling never depend on the loader:

    1. options are checked against the dataset's signature (all problems reported at once);
    2. the raw arrays are checked (finite values, valid labels) before anything else runs;
    3. a dataset without its own test split gets one: ``test_fraction`` of the data;
    4. ``val_fraction`` of the remaining training data becomes the validation split; both
       splits are stratified for classification and fixed by ``split_seed``;
    5. inputs are scaled per position (feature, time step, pixel), standardized by default,
       min-max scaled to [0, 1], max-abs scaled to [-1, 1] or robustly (median and interquartile
       range), with statistics of the training split only, so nothing about val/test leaks into training (Hastie, Tibshirani &
       Friedman, *The Elements of Statistical Learning*, sec. 7.10.2).

    Args:
        name: A registered dataset name; see ``trainlab catalog datasets``.
        val_fraction: Share of the training data held out for validation; 0 gives ``val=None``.
        test_fraction: Share of all data held out for testing when the dataset has no test split;
            ignored when it has one.
        split_seed: Seed of both hold-out splits; the same seed gives the same splits everywhere.
        scaling: ``standardize`` (a :class:`Standardizer`), ``minmax`` (a :class:`MinMaxScaler`),
            ``maxabs`` (a :class:`MaxAbsScaler`), ``robust`` (a :class:`RobustScaler`) or ``none``; fitted on train and applied to every split. The statistics are recorded in
            ``bundle.info["scaler"]`` so evaluation can re-apply them.
        key: The user's key for this section, used to name problems (``data.val_fraction``).
        classes: For new data to evaluate a trained model on: the classes it was trained on, in
            index order (its run's ``data.classes``). Labels are indexed against them rather than
            among themselves, so a file with fewer classes keeps each label on its model output.
        preprocess: Preprocessing steps (``trainlab catalog preprocessors``: names or ``{name: ..., **options}``)
            fitted on the training split and applied to every split before the scaling; an ``impute`` first
            lets the inputs hold missing values (NaN).
        **options: The dataset's own options, e.g. ``shuffle_seq=True`` or ``path="train.csv"``.

    Returns:
        A DataBundle of TensorDatasets with float32 inputs and int64 labels (classification) or
        float32 targets (regression).

    Raises:
        UnknownNameError: ``name`` is not registered (with the closest names).
        ConfigError: bad options or fractions, every one named by its key.
        DataError: missing files, non-finite values, invalid labels.
    """
    entry = DATASETS.get(name, key=f"{key}.name")
    converted, problems = entry.check_kwargs(options, key=key)
    problems += split_problems(val_fraction, test_fraction, split_seed, key)
    if problems:
        raise ConfigError(problems, source=f"dataset '{entry.name}'")
    raw = entry.factory(**converted)
    if not isinstance(raw, RawData):
        raise TypeError(
            f"dataset '{entry.name}' returned {type(raw).__name__}; dataset factories return RawData"
        )
    bundle = bundle_from_raw(
        raw,
        name=entry.name,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        split_seed=split_seed,
        scaling=scaling,
        key=key,
        classes=classes,
        preprocess=preprocess,
    )
    bundle.info |= {"reference": entry.reference, "options": _json_ready(converted)}
    return bundle


def bundle_from_raw(
    raw: RawData,
    *,
    name: str,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    val_fraction: float,
    test_fraction: float,
    split_seed: int,
    scaling: Scaling,
    key: str = "data",
    classes: Sequence[Any] | None = None,
    preprocess: Sequence[Any] = (),
) -> DataBundle:
    """Check, split, scale and wrap ``raw``: the steps 2-5 of :func:`load_data`.

    Classification labels become class indices ``0..K-1`` (see :func:`index_classes`) unless
    ``raw`` declares its classes (``num_classes`` or ``class_names``); ``info["classes"]`` records
    what each index stands for: its class name, or its label in the source.

    Args:
        raw: The arrays.
        name: Recorded as ``bundle.name`` and named in data errors.
        val: A validation pair to use as given instead of holding one out of training data.
        val_fraction: Share of training data held out for validation when ``val`` is None.
        test_fraction: Share of the data held out for testing when ``raw`` has no test split.
        split_seed: Seed of the hold-out splits.
        scaling: The input scaling fitted on the training split and applied to every split.
        key: The user's key for this section, used to name problems.
        classes: The classes of a trained model to index the labels against (see :func:`load_data`).
        preprocess: Preprocessing steps fitted on the training split (see :func:`load_data`).

    Returns:
        The DataBundle; ``info`` records sizes, how each split was made, the classes and the scaling.

    Raises:
        ConfigError: a split fraction that leaves a split empty, named by its key.
        DataError: non-finite values, invalid labels, or labels of a single class.
    """
    source = name + (f" ({raw.info['path']})" if "path" in raw.info else "")
    classification = raw.task == "classification"
    inputs = {split: x for split, x, _ in raw.splits()} | ({"val": val[0]} if val is not None else {})
    targets = {split: y for split, _, y in raw.splits()} | ({"val": val[1]} if val is not None else {})
    for split, split_inputs in inputs.items():
        if len(split_inputs) == 0:
            raise DataError(
                f"Data '{source}': the {split} split has no samples; give it samples, or leave it out"
            )
    declared = (
        raw.num_classes if raw.num_classes is not None or raw.class_names is None else len(raw.class_names)
    )
    steps = build_preprocessors(preprocess, key=f"{key}.preprocess")
    for split in inputs:
        check_split(
            inputs[split],
            targets[split],
            split=split,
            task=raw.task,
            num_classes=declared,
            dataset=source,
            missing_inputs=bool(steps) and steps[0].allows_missing,
        )
    origin = raw.info.get("labels_from", f"Data '{source}', labels")
    known = None
    if classification and classes is not None:
        # Data to evaluate on: one class, or a few, is fine; labels the model lacks are not.
        known = list(classes)
        targets = index_known_classes(targets, known, names=raw.class_names, origin=origin)
    elif classification:
        found, targets = index_classes(targets, declared)
        known = found if raw.class_names is None else list(raw.class_names)
        check_classes(
            targets["train"],
            known,
            origin=origin,
            inferred=bool(raw.info.get("task_inferred")) and declared is None,
        )

    # The test split comes off the whole data first, then validation off what remains, so the
    # test set of a dataset never depends on val_fraction.
    x, y, x_test, y_test = inputs["train"], targets["train"], inputs.get("test"), targets.get("test")
    test_split = "dataset" if raw.has_test else "carved" if test_fraction > 0 else "none"
    if test_split == "carved":
        x, y, x_test, y_test = _hold_out(x, y, test_fraction, split_seed, TEST_STREAM, classification)
    if val is None:
        x, y, x_val, y_val = _hold_out(x, y, val_fraction, split_seed, VAL_STREAM, classification)
    else:
        x_val, y_val = inputs["val"], targets["val"]
    empty = _emptied_split(len(x), x_test if test_split == "carved" else None, x_val if val is None else None)
    if empty is not None:
        raise ConfigError(
            [_empty_split_problem(empty, key, len(raw.x_train), len(x))], source=f"dataset '{source}'"
        )

    target_dtype = np.int64 if classification else np.float32
    input_shape = tuple(raw.input_shape)
    if steps:
        x, x_val, x_test, input_shape = fit_preprocessors(steps, x, x_val, x_test, input_shape, source)
    train_inputs = _tensor(x, np.float32)
    scaler = fit_scaler(scaling, train_inputs)

    def scaled(inputs: torch.Tensor, targets: np.ndarray) -> TensorDataset:
        return TensorDataset(scaler(inputs) if scaler else inputs, _tensor(targets, target_dtype))

    train = scaled(train_inputs, y)
    held_out = {
        "val": None if x_val is None or y_val is None else scaled(_tensor(x_val, np.float32), y_val),
        "test": None if x_test is None or y_test is None else scaled(_tensor(x_test, np.float32), y_test),
    }
    info = {
        **raw.info,
        "dataset": name,
        "sizes": {"train": len(train)} | {split: 0 if d is None else len(d) for split, d in held_out.items()},
        "split_seed": split_seed,
        "val_split": "given" if val is not None else "carved" if x_val is not None else "none",
        "val_fraction": val_fraction if val is None else None,
        "test_split": test_split,
        "test_fraction": test_fraction if test_split == "carved" else None,
        "stratified": classification,
        "classes": known,
        "scaling": scaling,
        "scaler": scaler.to_info() if scaler else None,
        **(
            {
                "preprocess": describe(steps),
                "preprocessors": steps,
                "input_shape_before_preprocess": list(raw.input_shape),
            }
            if steps
            else {}
        ),
    }
    return DataBundle(
        name=name,
        task=raw.task,
        train=train,
        val=held_out["val"],
        test=held_out["test"],
        input_shape=input_shape,
        num_classes=len(known) if known is not None else None,
        target_shape=() if classification else tuple(y.shape[1:]),
        class_names=raw.class_names,
        info=info,
    )


def split_problems(val_fraction: Any, test_fraction: Any, split_seed: Any, key: str) -> list[Problem]:
    """Problems with the split options, each named ``<key>.<option>`` (just ``<option>`` without a key)."""
    prefix = f"{key}." if key else ""
    problems = []
    for option, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            problems.append(Problem(prefix + option, f"must be a number in [0, 1) (got {value!r})"))
    if isinstance(split_seed, bool) or not isinstance(split_seed, int) or split_seed < 0:
        problems.append(
            Problem(prefix + "split_seed", f"must be a non-negative integer (got {split_seed!r})")
        )
    return problems


def _hold_out(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int, stream: int, stratify: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(x_kept, y_kept, x_held, y_held)``; the held pair is None when ``fraction`` is 0."""
    if fraction <= 0:
        return x, y, None, None
    kept, held = split_indices(len(x), fraction, seed=seed, stream=stream, labels=y if stratify else None)
    return x[kept], y[kept], x[held], y[held]


def _emptied_split(train: int, test: np.ndarray | None, val: np.ndarray | None) -> str | None:
    """The first split a hold-out left without samples: ``"train"``, ``"test"`` or ``"val"``."""
    if train == 0:
        return "train"
    for split, held in (("test", test), ("val", val)):
        if held is not None and len(held) == 0:
            return split
    return None


def _empty_split_problem(split: str, key: str, total: int, kept: int) -> Problem:
    """The problem with the fraction that emptied ``split``, and what to change."""
    prefix = f"{key}." if key else ""
    if split == "train":
        return Problem(
            prefix + "val_fraction",
            f"leaves no training data from {total} samples; lower it (or {prefix}test_fraction)",
        )
    option = prefix + ("val_fraction" if split == "val" else "test_fraction")
    pool = f"the {kept} training samples" if split == "val" else f"the {total} samples"
    return Problem(
        option,
        f"holds out no sample of {pool}: the split is stratified by class, and a class keeps its last "
        f"sample for training, so with one sample in every class there is nothing to hold out. An empty "
        f"{split} split would be reported as scores of 0. Add samples, or set {option}: 0 to train "
        f"without a {split} split.",
    )


def _tensor(array: np.ndarray, dtype: type) -> torch.Tensor:
    # Always a private copy: cached arrays are shared (and read-only), and tensors must not alias them.
    return torch.from_numpy(np.array(array, dtype=dtype, copy=True))


def _json_ready(options: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Path) else value for name, value in options.items()}
