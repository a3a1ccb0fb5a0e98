"""The user's own arrays from files: npz (numpy.savez) and pt (a torch.save'd dict of tensors), loaded safely."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainlab.data.classes import index_text_labels
from trainlab.data.sources._files import (
    FILE_FLAGS,
    HEAD_BYTES,
    ClassCount,
    TaskChoice,
    binary_kind,
    existing_file,
    infer_task,
    is_zip,
    read_file,
)
from trainlab.data.sources.raw import RawData
from trainlab.errors import DataError, did_you_mean
from trainlab.registry import DATASETS

# Array dtypes a model takes as inputs: booleans, integers and floats.
NUMERIC_KINDS = "biuf"
# Text arrays (str or bytes) can only be class labels.
TEXT_KINDS = "US"
# How torch names the class of a pickled object that weights_only=True refused.
REFUSED_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")
SAVE_NPZ = "numpy.savez(path, x=x, y=y)"
SAVE_PT = "torch.save({'x': x, 'y': y}, path)"


@DATASETS.register(
    "npz", reference="https://numpy.org/doc/stable/reference/generated/numpy.savez.html", flags=FILE_FLAGS
)
def npz_file(
    path: Path,
    x_key: str = "x",
    y_key: str = "y",
    x_test_key: str = "x_test",
    y_test_key: str = "y_test",
    task: TaskChoice = "auto",
    num_classes: ClassCount | None = None,
) -> RawData:
    """Arrays saved with ``numpy.savez``: inputs and targets, and optionally a test pair.

    Loaded with ``allow_pickle=False``, so a file can only hold plain arrays, never code.

    Args:
        path: The .npz file.
        x_key: Name of the training inputs, one sample per row.
        y_key: Name of the training targets.
        x_test_key: Name of the test inputs; the test split is carved from training data when absent.
        y_test_key: Name of the test targets.
        task: ``"auto"`` treats integer-valued or text 1-D targets as classification.
        num_classes: Number of classes, when some classes may be absent.

    Returns:
        RawData with the file's arrays. Text labels become class indices in sorted order, and the
        names are kept as ``class_names``.

    Raises:
        DataError: the file is missing, not an npz, lacks a named array, or its arrays do not fit together.
    """
    resolved = existing_file(path)
    head = read_file(resolved, HEAD_BYTES)
    if not is_zip(head):
        if head.startswith(b"\x93NUMPY"):
            what = "it holds a single array saved with numpy.save"
        else:
            what = f"it looks like {binary_kind(head) or 'text (for a CSV file use data.name: csv)'}"
        raise DataError(f"data.path: {resolved} is not a .npz file: {what}. Save the arrays with {SAVE_NPZ}.")
    try:
        with np.load(resolved, allow_pickle=False) as stored:
            if not any(member.endswith(".npy") for member in stored.zip.namelist()):
                raise DataError(
                    f"data.path: {resolved} is a zip archive without NumPy arrays (a file written by "
                    f"torch.save is one; for it use data.name: pt). Save the arrays with {SAVE_NPZ}."
                )
            arrays = {name: stored[name] for name in stored.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(
            f"data.path: {resolved} is not a readable .npz file ({exc}); it may be truncated. "
            f"Save it again with {SAVE_NPZ}."
        ) from exc
    except ValueError as exc:
        raise DataError(
            f"data.path: {resolved} holds Python objects, which trainlab does not unpickle; "
            f"save plain numeric arrays with {SAVE_NPZ}"
        ) from exc
    return _raw_from_mapping(arrays, resolved, x_key, y_key, x_test_key, y_test_key, task, num_classes)


@DATASETS.register(
    "pt", reference="https://pytorch.org/docs/stable/generated/torch.load.html", flags=FILE_FLAGS
)
def pt_file(
    path: Path,
    x_key: str = "x",
    y_key: str = "y",
    x_test_key: str = "x_test",
    y_test_key: str = "y_test",
    task: TaskChoice = "auto",
    num_classes: ClassCount | None = None,
) -> RawData:
    """A dict of tensors saved with ``torch.save``, with the same keys as ``npz``.

    Loaded with ``torch.load(..., weights_only=True)``: only tensors and plain containers are
    accepted, so opening a file cannot run code.

    Args:
        path: The file written by ``torch.save({"x": ..., "y": ...}, path)``.
        x_key: Name of the training inputs, one sample per row.
        y_key: Name of the training targets.
        x_test_key: Name of the test inputs; the test split is carved from training data when absent.
        y_test_key: Name of the test targets.
        task: ``"auto"`` treats integer-valued 1-D targets as classification.
        num_classes: Number of classes, when some classes may be absent.

    Returns:
        RawData with the file's tensors as arrays.

    Raises:
        DataError: the file is missing, cannot be loaded safely, is not a dict of tensors, or its
            tensors do not fit together.
    """
    resolved = existing_file(path)
    head = read_file(resolved, HEAD_BYTES)
    try:
        stored = torch.load(resolved, map_location="cpu", weights_only=True)
    except Exception as exc:  # any way an untrusted file fails to parse is the file's problem, not a bug
        raise DataError(f"data.path: {resolved} {_load_failure(resolved, head, exc)}") from exc
    if not isinstance(stored, Mapping):
        raise DataError(
            f"data.path: {resolved} holds a {type(stored).__name__}; save a dict of tensors, e.g. {SAVE_PT}"
        )
    arrays = {}
    for name, value in stored.items():
        if not isinstance(value, torch.Tensor):
            raise DataError(
                f"data.path: entry '{name}' of {resolved} is a {type(value).__name__}, not a tensor"
            )
        value = value.detach().cpu()
        # NumPy has no bfloat16; widening keeps every value as it is.
        arrays[str(name)] = (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return _raw_from_mapping(arrays, resolved, x_key, y_key, x_test_key, y_test_key, task, num_classes)


def _load_failure(resolved: Path, head: bytes, exc: Exception) -> str:
    """Why torch.load failed and the fix, in the user's terms: not a torch file, a refused object, or damage."""
    save = f"save a dict of tensors, e.g. {SAVE_PT}"
    kind = binary_kind(head)
    # torch.save writes a zip archive (a pickle before torch 1.6); torch.load also reads safetensors.
    torch_like = is_zip(head) or head.startswith(b"\x80") or kind == "a safetensors weights file"
    if not torch_like:
        return f"is not a file written by torch.save: it looks like {kind or 'text'}; {save}"
    if is_zip(head) and _holds_npy(resolved):
        return "is a .npz archive of NumPy arrays, not a file written by torch.save; use data.name: npz"
    refused = REFUSED_GLOBAL.search(str(exc))
    if refused:
        return (
            f"holds a Python object of class {refused.group(1)}, which loading with weights_only=True "
            f"refuses because unpickling it could run code; {save}"
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"could not be loaded with weights_only=True ({first_line}); it may be truncated or damaged; {save}"
    )


def _holds_npy(resolved: Path) -> bool:
    try:
        with zipfile.ZipFile(resolved) as archive:
            return any(member.endswith(".npy") for member in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _raw_from_mapping(
    arrays: Mapping[str, np.ndarray],
    resolved: Path,
    x_key: str,
    y_key: str,
    x_test_key: str,
    y_test_key: str,
    task: TaskChoice,
    num_classes: int | None,
) -> RawData:
    """RawData from the named arrays of a file, each problem reported with the array's name."""
    available = sorted(arrays)
    for option, name in (("x_key", x_key), ("y_key", y_key)):
        if name not in arrays:
            raise DataError(
                f"data.{option}: {resolved} has no array '{name}'{did_you_mean(name, available)}; "
                f"it holds {', '.join(repr(a) for a in available) or 'nothing'}. Set data.{option} to the right name."
            )
    has_x_test, has_y_test = x_test_key in arrays, y_test_key in arrays
    if has_x_test != has_y_test:
        present, absent = (x_test_key, y_test_key) if has_x_test else (y_test_key, x_test_key)
        raise DataError(
            f"data.path: {resolved} has '{present}' but no '{absent}'; save both test arrays or neither"
        )
    pairs = [(x_key, y_key)] + ([(x_test_key, y_test_key)] if has_x_test else [])
    checked = _checked_pairs(arrays, pairs, resolved)
    x, y = checked[0]
    x_test, y_test = checked[1] if has_x_test else (None, None)
    if task == "auto" and _looks_one_hot(y):
        raise DataError(
            f"data.y_key: '{y_key}' of {resolved} looks one-hot (one 1 per row); save class indices "
            "instead (y.argmax(1)), or set data.task: regression if the targets are quantities"
        )
    class_names = None
    if y.dtype.kind in TEXT_KINDS:
        if task == "regression":
            raise DataError(
                f"data.task: is 'regression' but '{y_key}' of {resolved} holds text; text targets are class labels"
            )
        class_names, indexed = index_text_labels([y] + ([y_test] if y_test is not None else []))
        y, y_test = indexed[0], (indexed[1] if y_test is not None else None)
    resolved_task = "classification" if class_names is not None else infer_task(y, task)
    return RawData(
        x_train=x,
        y_train=y,
        x_test=x_test,
        y_test=y_test,
        task=resolved_task,
        num_classes=num_classes if resolved_task == "classification" else None,
        class_names=class_names,
        info={
            "path": str(resolved),
            "keys": available,
            "labels_from": f"data.y_key (array '{y_key}' of {resolved})",
            "task_inferred": task == "auto",
        },
    )


def _checked_pairs(
    arrays: Mapping[str, np.ndarray], pairs: list[tuple[str, str]], resolved: Path
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(inputs, targets)`` per pair of names: one row per sample, numeric inputs, equal lengths."""
    where = f"data.path: in {resolved},"
    checked = []
    for x_name, y_name in pairs:
        x, y = _as_rows(arrays[x_name]), _as_targets(arrays[y_name])
        if x.ndim == 0 or x.dtype.kind not in NUMERIC_KINDS:
            raise DataError(
                f"{where} '{x_name}' is {_describe(x)}; inputs must be an array of numbers, one sample per row"
            )
        if y.ndim == 0 or (y.dtype.kind not in NUMERIC_KINDS + TEXT_KINDS):
            raise DataError(
                f"{where} '{y_name}' is {_describe(y)}; targets must be an array of numbers (or of text "
                "labels) with one entry per sample"
            )
        if len(x) == 0:
            raise DataError(f"{where} '{x_name}' has no rows; save at least one sample per row")
        if len(x) != len(y):
            raise DataError(
                f"{where} '{x_name}' has {len(x)} rows but '{y_name}' has {len(y)}; every sample needs "
                f"exactly one target, so save arrays of the same length"
            )
        checked.append((x, y))
    if len(checked) == 2 and checked[0][0].shape[1:] != checked[1][0].shape[1:]:
        (x_name, _), (x_test_name, _) = pairs
        raise DataError(
            f"{where} the samples of '{x_test_name}' have shape {checked[1][0].shape[1:]} but those of "
            f"'{x_name}' have {checked[0][0].shape[1:]}; train and test samples need the same shape"
        )
    return checked


def _looks_one_hot(y: np.ndarray) -> bool:
    if y.ndim != 2 or y.shape[1] < 2 or y.dtype.kind not in NUMERIC_KINDS:
        return False
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))


def _describe(array: np.ndarray) -> str:
    return f"a single value of dtype {array.dtype}" if array.ndim == 0 else f"an array of dtype {array.dtype}"


def _as_rows(x: Any) -> np.ndarray:
    # A single feature saved as a flat (N,) array is one column, not N features of one sample.
    x = np.asarray(x)
    return x.reshape(-1, 1) if x.ndim == 1 else x


def _as_targets(y: Any) -> np.ndarray:
    # (N, 1) targets are what a one-column slice gives; treat them as the (N,) they mean.
    y = np.asarray(y)
    return y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
