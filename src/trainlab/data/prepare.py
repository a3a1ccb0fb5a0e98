"""load_data: a registered dataset's raw arrays to a checked, split, scaled DataBundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.data.checks import check_split
from trainlab.data.sources.raw import RawData
from trainlab.data.transforms.scaling import Scaling, fit_scaler
from trainlab.data.transforms.splits import TEST_STREAM, VAL_STREAM, split_indices
from trainlab.errors import ConfigError, Problem
from trainlab.registry import DATASETS


def load_data(
    name: str,
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    scaling: Scaling = "standardize",
    key: str = "data",
    **options: Any,
) -> DataBundle:
    """Build the registered dataset ``name`` and turn it into train/val/test TensorDatasets.

    Every dataset goes through the same steps, so splits and scaling never depend on the loader:

    1. options are checked against the dataset's signature (all problems reported at once);
    2. the raw arrays are checked (finite values, valid labels) before anything else runs;
    3. a dataset without its own test split gets one: ``test_fraction`` of the data;
    4. ``val_fraction`` of the remaining training data becomes the validation split; both
       splits are stratified for classification and fixed by ``split_seed``;
    5. inputs are scaled per position (feature, time step, pixel), standardized by default or
       min-max scaled to [0, 1], with statistics of the training split only, so nothing about val/test leaks into training (Hastie, Tibshirani &
       Friedman, *The Elements of Statistical Learning*, sec. 7.10.2).

    Args:
        name: A registered dataset name; see ``trainlab catalog datasets``.
        val_fraction: Share of the training data held out for validation; 0 gives ``val=None``.
        test_fraction: Share of all data held out for testing when the dataset has no test split;
            ignored when it has one.
        split_seed: Seed of both hold-out splits; the same seed gives the same splits everywhere.
        scaling: ``standardize`` (a :class:`Standardizer`), ``minmax`` (a :class:`MinMaxScaler`) or
            ``none``; fitted on train and applied to every split. The statistics are recorded in
            ``bundle.info["scaler"]`` so evaluation can re-apply them.
        key: The user's key for this section, used to name problems (``data.val_fraction``).
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
) -> DataBundle:
    """Check, split, scale and wrap ``raw``: the steps 2-5 of :func:`load_data`.

    Args:
        raw: The arrays.
        name: Recorded as ``bundle.name`` and named in data errors.
        val: A validation pair to use as given instead of holding one out of training data.
        val_fraction: Share of training data held out for validation when ``val`` is None.
        test_fraction: Share of the data held out for testing when ``raw`` has no test split.
        split_seed: Seed of the hold-out splits.
        scaling: The input scaling fitted on the training split and applied to every split.
        key: The user's key for this section, used to name problems.

    Returns:
        The DataBundle; ``info`` records sizes, how each split was made, and the scaling.
    """
    source = name + (f" ({raw.info['path']})" if "path" in raw.info else "")
    classification = raw.task == "classification"
    given = raw.splits() + ([("val", *val)] if val is not None else [])
    for split, inputs, targets in given:
        check_split(inputs, targets, split=split, task=raw.task, num_classes=raw.num_classes, dataset=source)
    num_classes = raw.num_classes
    if classification and num_classes is None:
        num_classes = 1 + max(int(np.max(targets, initial=0)) for _, _, targets in given)

    # The test split comes off the whole data first, then validation off what remains, so the
    # test set of a dataset never depends on val_fraction.
    x, y, x_test, y_test = raw.x_train, raw.y_train, raw.x_test, raw.y_test
    test_split = "dataset" if raw.has_test else "carved" if test_fraction > 0 else "none"
    if test_split == "carved":
        x, y, x_test, y_test = _hold_out(x, y, test_fraction, split_seed, TEST_STREAM, classification)
    if val is None:
        x, y, x_val, y_val = _hold_out(x, y, val_fraction, split_seed, VAL_STREAM, classification)
    else:
        x_val, y_val = val
    if len(x) == 0:
        problem = Problem(
            f"{key}.val_fraction" if key else "val_fraction",
            f"leaves no training data from {len(raw.x_train)} samples; lower it (or test_fraction)",
        )
        raise ConfigError([problem], source=f"dataset '{name}'")

    target_dtype = np.int64 if classification else np.float32
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
        "scaling": scaling,
        "scaler": scaler.to_info() if scaler else None,
    }
    return DataBundle(
        name=name,
        task=raw.task,
        train=train,
        val=held_out["val"],
        test=held_out["test"],
        input_shape=raw.input_shape,
        num_classes=num_classes,
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


def _tensor(array: np.ndarray, dtype: type) -> torch.Tensor:
    # Always a private copy: cached arrays are shared (and read-only), and tensors must not alias them.
    return torch.from_numpy(np.array(array, dtype=dtype, copy=True))


def _json_ready(options: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Path) else value for name, value in options.items()}
