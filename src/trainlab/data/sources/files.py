"""The user's own data from files: csv, npz and pt (a torch.save'd dict of tensors), loaded safely."""

from __future__ import annotations

import csv
import math
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import Field

from trainlab.data.bundle import Task
from trainlab.data.sources.raw import RawData
from trainlab.errors import ConfigError, DataError, Problem, did_you_mean
from trainlab.registry import DATASETS

TaskChoice = Literal["auto", "classification", "regression"]
ClassCount = Annotated[int, Field(ge=1)]
FILE_FLAGS = {"task": "any", "input": "any", "source": "file"}

# Cells read as missing values; they become NaN, which the data checks then report by row and column.
MISSING_CELLS = frozenset({"", "na", "n/a", "nan", "null", "none"})


def existing_file(path: Path | str, option: str = "path") -> Path:
    """The absolute path of a file the user named, or a DataError naming ``data.<option>`` and the fix."""
    given = Path(path).expanduser()
    resolved = given if given.is_absolute() else Path.cwd() / given
    key = f"data.{option}"
    if resolved.is_dir():
        raise DataError(f"{key}: {resolved} is a directory; name the data file inside it")
    if not resolved.is_file():
        relative = "" if given.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        raise DataError(
            f"{key}: the file {resolved} does not exist{relative}. "
            f"Fix the path in {key}, or give an absolute path."
        )
    return resolved


def infer_task(targets: np.ndarray, task: TaskChoice) -> Task:
    """``task`` itself unless it is ``"auto"``; then integer-valued 1-D targets mean classification."""
    if task != "auto":
        return task
    if targets.ndim != 1:
        return "regression"
    if targets.dtype.kind in "iub":
        return "classification"
    if targets.dtype.kind == "f" and np.all(np.isfinite(targets)) and np.all(targets == np.round(targets)):
        return "classification"
    return "regression"


def _raw_from_arrays(
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    task: TaskChoice,
    num_classes: int | None,
    info: dict[str, Any],
) -> RawData:
    """RawData from arrays a user saved, inferring the task from the training targets."""
    x, y = _as_rows(x), _as_targets(y)
    if x_test is not None:
        x_test = _as_rows(x_test)
    if y_test is not None:
        y_test = _as_targets(y_test)
    resolved_task = infer_task(y, task)
    return RawData(
        x_train=x,
        y_train=y,
        x_test=x_test,
        y_test=y_test,
        task=resolved_task,
        num_classes=num_classes if resolved_task == "classification" else None,
        info={**info, "task_inferred": task == "auto"},
    )


def _as_rows(x: np.ndarray) -> np.ndarray:
    # A single feature saved as a flat (N,) array is one column, not N features of one sample.
    x = np.asarray(x)
    return x.reshape(-1, 1) if x.ndim == 1 else x


def _as_targets(y: np.ndarray) -> np.ndarray:
    # (N, 1) targets are what a one-column slice gives; treat them as the (N,) they mean.
    y = np.asarray(y)
    return y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y


# ---------------------------------------------------------------------------------------------
# csv


@DATASETS.register(
    "csv",
    reference="RFC 4180, Common Format for Comma-Separated Values; https://www.rfc-editor.org/rfc/rfc4180",
    flags=FILE_FLAGS,
)
def csv_file(
    path: Path,
    target: str | int = -1,
    task: TaskChoice = "auto",
    num_classes: ClassCount | None = None,
    header: bool | None = None,
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ",",
) -> RawData:
    """A table in a CSV file: numeric feature columns and one target column.

    Args:
        path: The CSV file.
        target: The target column, by header name or by index (negative counts from the end);
            defaults to the last column.
        task: ``"auto"`` treats an integer-valued or text target as classification and anything
            else as regression.
        num_classes: Number of classes, when some classes may be absent from the file.
        header: Whether the first row names the columns. ``None`` detects it: the first row is a
            header when it has text where the rows below have numbers.
        delimiter: The character between cells.

    Returns:
        RawData with ``(N, F)`` float32 features and no test split. Text labels become class
        indices in sorted order, and the names are kept as ``class_names``.

    Raises:
        DataError: the file is missing, ragged, or has text in a feature column.
        ConfigError: ``target`` names no column.
    """
    resolved = existing_file(path)
    with resolved.open(newline="") as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle, delimiter=delimiter)]
    # Keep file line numbers with the rows so that errors point at the line the user can open.
    numbered = [(line, row) for line, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise DataError(f"data.path: {resolved} has no rows; it needs one row per sample")
    width = len(numbered[0][1])
    for line, row in numbered:
        if len(row) != width:
            raise DataError(
                f"data.path: line {line} of {resolved} has {len(row)} cells but line {numbered[0][0]} has "
                f"{width}; every row needs the same columns (check for stray delimiters or quotes)"
            )
    if width < 2:
        raise DataError(
            f"data.path: {resolved} has a single column; it needs feature columns and a target column"
        )
    has_header = _detect_header([row for _, row in numbered]) if header is None else header
    names = numbered[0][1] if has_header else [str(index) for index in range(width)]
    body = numbered[1:] if has_header else numbered
    if not body:
        raise DataError(f"data.path: {resolved} has a header but no data rows")
    target_index = _target_column(target, names, has_header)
    feature_indices = [index for index in range(width) if index != target_index]

    features = np.empty((len(body), len(feature_indices)), dtype=np.float64)
    for row_index, (line, row) in enumerate(body):
        for column, index in enumerate(feature_indices):
            value = _number(row[index])
            if value is None:
                raise DataError(
                    f"data.path: line {line} of {resolved}, column '{names[index]}' holds {row[index]!r}, "
                    "which is not a number. Feature columns must be numeric; only the target column may "
                    "hold text labels (set data.target if the target is not the last column)."
                )
            features[row_index, column] = value

    cells = [row[target_index] for _, row in body]
    numbers = [_number(cell) for cell in cells]
    class_names = None
    if all(number is not None for number in numbers):
        targets = np.asarray(numbers, dtype=np.float64)
        resolved_task = infer_task(targets, task)
    else:
        if task == "regression":
            first = next(i for i, n in enumerate(numbers) if n is None)
            raise DataError(
                f"data.task: is 'regression' but line {body[first][0]} of {resolved} has the target "
                f"{cells[first]!r}, which is not a number; use task 'classification' for text labels"
            )
        empty = [line for (line, _), cell in zip(body, cells, strict=True) if cell.lower() in MISSING_CELLS]
        if empty:
            raise DataError(
                f"data.path: line {empty[0]} of {resolved} has no target ({len(empty)} rows lack one); "
                "every row needs a label in column " + repr(names[target_index])
            )
        class_names = sorted(set(cells))
        index_of = {name: index for index, name in enumerate(class_names)}
        targets = np.asarray([index_of[cell] for cell in cells], dtype=np.int64)
        resolved_task = "classification"

    return RawData(
        x_train=features.astype(np.float32),
        y_train=targets if resolved_task == "classification" else targets.astype(np.float32),
        task=resolved_task,
        num_classes=num_classes if resolved_task == "classification" else None,
        class_names=class_names,
        info={
            "path": str(resolved),
            "header": has_header,
            "feature_columns": [names[index] for index in feature_indices],
            "target_column": names[target_index],
            "task_inferred": task == "auto",
        },
    )


def _number(cell: str) -> float | None:
    if cell.lower() in MISSING_CELLS:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        return None


def _detect_header(rows: list[list[str]]) -> bool:
    # Feature columns must be numeric, so a first row with text above a numeric column is a header.
    # A text-only column (string labels) says nothing either way and is ignored.
    if len(rows) < 2:
        return any(_number(cell) is None for cell in rows[0])
    first, rest = rows[0], rows[1:]
    for index, cell in enumerate(first):
        column_is_numeric = all(_number(row[index]) is not None for row in rest)
        if column_is_numeric and _number(cell) is None:
            return True
    return False


def _target_column(target: str | int, names: list[str], has_header: bool) -> int:
    width = len(names)
    if isinstance(target, int):
        if not -width <= target < width:
            raise ConfigError(
                [
                    Problem(
                        "data.target",
                        f"column {target} does not exist; the file has {width} columns (0..{width - 1}, or -1 for the last)",
                    )
                ]
            )
        return target % width
    if target in names and has_header:
        return names.index(target)
    if not has_header:
        hint = "the file has no header row, so give the column's index (e.g. -1 for the last)"
    else:
        hint = "columns: " + ", ".join(repr(name) for name in names)
    raise ConfigError(
        [
            Problem(
                "data.target",
                f"'{target}' is not a column{did_you_mean(target, names) if has_header else ''}; {hint}",
            )
        ]
    )


# ---------------------------------------------------------------------------------------------
# npz and pt


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
        task: ``"auto"`` treats integer-valued 1-D targets as classification.
        num_classes: Number of classes, when some classes may be absent.

    Returns:
        RawData with the file's arrays.

    Raises:
        DataError: the file is missing, not an npz, or lacks a named array.
    """
    resolved = existing_file(path)
    try:
        with np.load(resolved, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(
            f"data.path: {resolved} is not a readable .npz file ({exc}); save it with numpy.savez"
        ) from exc
    except ValueError as exc:
        raise DataError(
            f"data.path: {resolved} holds Python objects, which trainlab does not unpickle; "
            "save plain numeric arrays with numpy.savez"
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
        DataError: the file is missing, cannot be loaded safely, or is not a dict of tensors.
    """
    resolved = existing_file(path)
    try:
        stored = torch.load(resolved, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise DataError(
            f"data.path: {resolved} could not be loaded with weights_only=True ({str(exc).splitlines()[0]}); "
            "save a plain dict of tensors, e.g. torch.save({'x': x, 'y': y}, path)"
        ) from exc
    if not isinstance(stored, Mapping):
        raise DataError(
            f"data.path: {resolved} holds a {type(stored).__name__}; save a dict of tensors, e.g. torch.save({{'x': x, 'y': y}}, path)"
        )
    arrays = {}
    for name, value in stored.items():
        if not isinstance(value, torch.Tensor):
            raise DataError(
                f"data.path: entry '{name}' of {resolved} is a {type(value).__name__}, not a tensor"
            )
        arrays[str(name)] = value.detach().cpu().numpy()
    return _raw_from_mapping(arrays, resolved, x_key, y_key, x_test_key, y_test_key, task, num_classes)


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
    return _raw_from_arrays(
        arrays[x_key],
        arrays[y_key],
        arrays[x_test_key] if has_x_test else None,
        arrays[y_test_key] if has_y_test else None,
        task=task,
        num_classes=num_classes,
        info={"path": str(resolved), "keys": available},
    )
