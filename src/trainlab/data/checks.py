"""Data checks run before any training: non-finite values, and labels that are not valid class indices."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.errors import DataError

# How many offending label values a message lists before summarising the rest.
SHOWN_VALUES = 5


def check_finite(
    values: torch.Tensor | np.ndarray, *, split: str, what: str = "inputs", dataset: str = ""
) -> None:
    """Raise DataError if ``values`` (samples along the first axis) hold NaN or infinity.

    One NaN in the inputs makes the loss NaN at the first batch that contains it, and from there
    every weight; the check finds it before any compute is spent.

    Args:
        values: Inputs or targets of one split.
        split: ``"train"``, ``"val"`` or ``"test"``, named in the message.
        what: ``"inputs"`` or ``"targets"``.
        dataset: The dataset's name (and file), named in the message.

    Raises:
        DataError: naming the split, how many values, the first row and column, and the fix.
    """
    array = _numpy(values)
    if array.dtype.kind not in "fc" or array.size == 0:  # integers and booleans cannot hold NaN or infinity
        return
    bad = ~np.isfinite(array.reshape(len(array), -1)) if array.ndim else ~np.isfinite(array)
    count = int(bad.sum())
    if count == 0:
        return
    row, flat_column = np.unravel_index(int(np.argmax(bad)), bad.shape)
    sample_shape = array.shape[1:]
    if len(sample_shape) <= 1:
        where = f"row {row}" + (f", column {flat_column}" if sample_shape else "")
    else:
        where = (
            f"row {row}, position {tuple(int(i) for i in np.unravel_index(int(flat_column), sample_shape))}"
        )
    first_value = array.reshape(len(array), -1)[row, flat_column] if sample_shape else array[row]
    raise DataError(
        f"{_source(dataset, split)} {count} non-finite value{'s' if count != 1 else ''} (NaN or infinity) in "
        f"the {what}; the first is {first_value} at {where} (rows and columns count from 0). Training on it "
        f"would turn the loss into NaN. Fix the data before loading: fill or drop missing values (empty "
        f"cells in a CSV become NaN) and replace infinities."
    )


def check_labels(
    labels: torch.Tensor | np.ndarray, num_classes: int | None, *, split: str, dataset: str = ""
) -> None:
    """Raise DataError unless ``labels`` are whole numbers in ``[0, num_classes)``, one per sample.

    Cross-entropy indexes the logits with the label, so a label of -1 or ``num_classes`` either
    crashes deep inside the loss or, on some devices, silently reads the wrong memory.

    Args:
        labels: Class labels of one split, shape ``(N,)``; float labels are accepted if whole.
        num_classes: The number of classes, or None for labels that are still to be indexed as
            classes (:func:`trainlab.data.classes.index_classes`): then any whole numbers pass.
        split: ``"train"``, ``"val"`` or ``"test"``, named in the message.
        dataset: The dataset's name (and file), named in the message.

    Raises:
        DataError: naming the offending values, how many rows hold them, and the fix.
    """
    array = _numpy(labels)
    where = _source(dataset, split)
    if array.ndim != 1:
        hint = " They look one-hot: pass labels.argmax(1) instead." if array.ndim == 2 else ""
        raise DataError(
            f"{where} classification labels have shape {array.shape}, but need one class index per sample, "
            f"shape (N,).{hint} If the targets are continuous, the task is regression."
        )
    if array.dtype.kind == "b" or array.size == 0:
        return
    if array.dtype.kind not in "iuf":
        raise DataError(
            f"{where} classification labels have dtype {array.dtype}; they must be integer class indices."
        )
    if array.dtype.kind == "f":
        check_finite(array, split=split, what="labels", dataset=dataset)
        fractional = array != np.round(array)
        if fractional.any():
            _raise_bad_labels(
                where,
                array,
                fractional,
                "fractional",
                "Class labels must be integers 0..K-1; if the target is a continuous quantity, set the task to regression.",
            )
    if num_classes is not None and (array < 0).any():
        _raise_bad_labels(
            where,
            array,
            array < 0,
            "negative",
            "Class labels must be 0..K-1; shift them (e.g. map -1/1 labels to 0/1), or leave num_classes "
            "unset so that the labels found become the classes.",
        )
    if num_classes is not None and (array >= num_classes).any():
        _raise_bad_labels(
            where,
            array,
            array >= num_classes,
            f"not below num_classes={num_classes}",
            f"Class labels must be 0..{num_classes - 1}; raise num_classes to cover every class, "
            "or leave num_classes unset so that the labels found become the classes.",
        )


def check_split(
    inputs: Any,
    targets: Any,
    *,
    split: str,
    task: str,
    num_classes: int | None,
    dataset: str = "",
    missing_inputs: bool = False,
) -> None:
    """All checks for one split: finite inputs, and valid labels or finite regression targets.

    ``missing_inputs``: NaN inputs are allowed (an imputer fills them); infinities are still refused.
    """
    if missing_inputs:  # NaN become 0 for the check; infinities stay infinite and are reported
        inputs = np.nan_to_num(np.asarray(inputs, dtype=np.float64), nan=0.0, posinf=np.inf, neginf=-np.inf)
    check_finite(inputs, split=split, what="inputs", dataset=dataset)
    if task == "classification":
        check_labels(targets, num_classes, split=split, dataset=dataset)
    else:
        check_finite(targets, split=split, what="targets", dataset=dataset)


def check_bundle(bundle: DataBundle) -> None:
    """Run :func:`check_split` on every TensorDataset split of ``bundle``.

    Other Dataset types produce samples on demand (often with augmentation), so checking them
    would mean a full pass over the data; they are left to the trainer's non-finite-loss policy.

    Raises:
        DataError: the first problem found, naming the split.
    """
    for split in ("train", "val", "test"):
        dataset = bundle.split(split)
        if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
            inputs, targets = dataset.tensors[0], dataset.tensors[1]
            check_split(
                inputs,
                targets,
                split=split,
                task=bundle.task,
                num_classes=bundle.num_classes,
                dataset=bundle.name,
            )


def _raise_bad_labels(where: str, labels: np.ndarray, bad: np.ndarray, problem: str, fix: str) -> None:
    offending = np.unique(labels[bad])
    shown = ", ".join(_label_text(value) for value in offending[:SHOWN_VALUES])
    more = f" and {len(offending) - SHOWN_VALUES} more" if len(offending) > SHOWN_VALUES else ""
    rows = int(bad.sum())
    first_row = int(np.argmax(bad))
    counted = f"{rows} classification label{'s are' if rows != 1 else ' is'}"
    raise DataError(
        f"{where} {counted} {problem} (value{'s' if len(offending) != 1 else ''} {shown}{more}; "
        f"the first at row {first_row}). {fix}"
    )


def _label_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _source(dataset: str, split: str) -> str:
    return f"Data '{dataset}', {split} split:" if dataset else f"{split.capitalize()} split:"


def _numpy(values: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        # NumPy has no bfloat16; widening keeps every value (and every NaN) as it is.
        return (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    return np.asarray(values)
