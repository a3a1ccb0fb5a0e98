"""Files of new inputs for ``trainlab predict``: CSV (streamed in chunks), .npy, .npz and .pt, in a run's layout.

Every reader yields ``(first_row, array)`` chunks of at most ``chunk_rows`` samples, so a CSV
larger than memory is never held whole, and a .npy file is memory-mapped. A CSV whose header
names the run's feature columns is read by name: its columns may come in any order, and the
target column the run was trained on is dropped if present.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from trainlab.data.sources.csv_table import SNIFFED_LINES, _detect_delimiter, _number
from trainlab.errors import DataError
from trainlab.inference.preprocessing import Preprocessing

DEFAULT_CHUNK_ROWS = 65536
SUFFIXES = (".csv", ".npy", ".npz", ".pt")
NPZ_KEY = "x"

Chunk = tuple[int, np.ndarray]


@dataclass
class InputFile:
    """An input file opened for reading: how many samples it holds (None while unknown) and its chunks."""

    path: Path
    rows: int | None
    chunks: Iterator[Chunk]


def open_inputs(
    path: str | os.PathLike[str], preprocessing: Preprocessing, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> InputFile:
    """Open ``path`` for reading in chunks of ``chunk_rows`` samples in the run's layout.

    Raises:
        DataError: the file is missing, of an unknown kind, unreadable, or not in the run's layout.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"--input: {file} is not a file; give the path of a {', '.join(SUFFIXES)} file")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return InputFile(file, None, _csv_chunks(file, preprocessing, chunk_rows))
    if suffix == ".npy":
        try:
            array = np.load(file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"--input: {file} is not a readable .npy array of numbers ({exc})") from None
    elif suffix == ".npz":
        array = _npz_array(file)
    elif suffix == ".pt":
        array = _pt_array(file)
    else:
        raise DataError(f"--input: {file} has suffix {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
    array = _samples(array, preprocessing, file)
    chunks = (
        (start, np.asarray(array[start : start + chunk_rows])) for start in range(0, len(array), chunk_rows)
    )
    return InputFile(file, len(array), chunks)


def _samples(array: np.ndarray, preprocessing: Preprocessing, file: Path) -> np.ndarray:
    """``array`` checked against the run's sample shape (rows of its values count as samples too)."""
    if array.dtype.kind not in "biuf":
        raise DataError(f"--input: {file} holds {array.dtype} values; the model takes numbers")
    shape = tuple(array.shape[1:])
    flat_rows = len(shape) == 1 and shape[0] == preprocessing.num_features
    if array.ndim == 0 or (shape != preprocessing.input_shape and not flat_rows):
        raise DataError(
            f"--input: {file} holds samples of shape {shape} ({math.prod(shape)} values each); the run was "
            f"trained on samples of shape {preprocessing.input_shape} ({preprocessing.num_features} values), "
            "one sample per row"
        )
    return array


def _npz_array(file: Path) -> np.ndarray:
    try:
        with np.load(file, allow_pickle=False) as arrays:
            names = list(arrays.keys())
            if NPZ_KEY in names:
                return arrays[NPZ_KEY]
            if len(names) == 1:
                return arrays[names[0]]
    except (OSError, ValueError) as exc:
        raise DataError(f"--input: {file} is not a readable .npz file of arrays ({exc})") from None
    raise DataError(
        f"--input: {file} holds the arrays {', '.join(names) or '(none)'}; name the inputs '{NPZ_KEY}' "
        f"(numpy.savez(path, {NPZ_KEY}=inputs)) or save only them"
    )


def _pt_array(file: Path) -> np.ndarray:
    try:
        loaded = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses anything but tensors and plain containers
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"--input: {file} cannot be loaded as tensors with weights_only=True ({first}); save a tensor "
            f"or {{'{NPZ_KEY}': tensor}} with torch.save"
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get(NPZ_KEY), torch.Tensor):
        loaded = loaded[NPZ_KEY]
    if not isinstance(loaded, torch.Tensor):
        raise DataError(
            f"--input: {file} holds a {type(loaded).__name__}; save a tensor or {{'{NPZ_KEY}': tensor}} with torch.save"
        )
    tensor = loaded.detach()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _csv_chunks(file: Path, preprocessing: Preprocessing, chunk_rows: int) -> Iterator[Chunk]:
    """The file's rows as float32 chunks of one sample per row, read a chunk at a time."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        delimiter = _detect_delimiter("".join(itertools.islice(handle, SNIFFED_LINES)))
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=delimiter == " ")
        rows = (
            (reader.line_num, cells) for cells in _read(reader, file) if any(cell.strip() for cell in cells)
        )
        first = next(rows, None)
        if first is None:
            raise DataError(f"--input: {file} has no rows; it needs one sample per row")
        columns, header = _columns(first[1], preprocessing, file)
        body = rows if header else itertools.chain([first], rows)
        start = 0
        for block in iter(lambda: list(itertools.islice(body, chunk_rows)), []):
            yield start, _parse(block, columns, file, header)
            start += len(block)


def _read(reader: Iterator[list[str]], file: Path) -> Iterator[list[str]]:
    try:
        yield from reader
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DataError(f"--input: {file} cannot be read as UTF-8 CSV ({exc})") from None


def _columns(
    first_row: list[str], preprocessing: Preprocessing, file: Path
) -> tuple[list[int], list[str] | None]:
    """Which cells of a row are the model's features, in order, and the header's names (None without one)."""
    cells = [cell.strip() for cell in first_row]
    width = preprocessing.num_features
    header = any(_number(cell) is None for cell in cells)
    known = preprocessing.feature_columns
    if header and known is not None:
        missing = [name for name in known if name not in cells]
        extra = [name for name in cells if name not in known and name != preprocessing.target_column]
        if missing or extra:
            problems = ([f"lacks the run's feature columns {missing}"] if missing else []) + (
                [f"has columns the run was not trained on {extra}"] if extra else []
            )
            raise DataError(
                f"--input: the header of {file} {' and '.join(problems)}; give the {width} columns "
                f"{known} (the target column {preprocessing.target_column!r} may stay)"
            )
        return [cells.index(name) for name in known], cells
    if len(cells) != width:
        target = (
            f" (without the target column {preprocessing.target_column!r})"
            if preprocessing.target_column
            else ""
        )
        raise DataError(
            f"--input: {file} has {len(cells)} columns but the run takes {width} values per sample{target}, "
            f"in shape {preprocessing.input_shape}; give one sample per row"
            + (
                "; a header row naming the columns lets the target column stay"
                if known and not header
                else ""
            )
        )
    return list(range(width)), cells if header else None


def _parse(
    block: list[tuple[int, list[str]]], columns: list[int], file: Path, header: list[str] | None
) -> np.ndarray:
    width = len(header) if header is not None else len(columns)
    if all(len(cells) == width for _, cells in block):
        # The fast path: numpy parses the whole block; any cell it cannot read, or a NaN or an
        # infinity, sends the block through the loop below, which names the line and column.
        try:
            values = np.array([[cells[column] for column in columns] for _, cells in block], dtype=np.float32)
        except ValueError:
            pass
        else:
            if bool(np.isfinite(values).all()):
                return values
    values = np.empty((len(block), len(columns)), dtype=np.float32)
    for index, (line, cells) in enumerate(block):
        if len(cells) != width:
            raise DataError(
                f"--input: line {line} of {file} has {len(cells)} cells but the file's rows have {width}; "
                "every row needs the same columns"
            )
        for position, column in enumerate(columns):
            value = _number(cells[column].strip())
            name = header[column] if header is not None else str(column)
            if value is None:
                raise DataError(
                    f"--input: line {line} of {file}, column {name!r} holds {cells[column]!r}, not a number"
                )
            if not math.isfinite(value):
                raise DataError(
                    f"--input: line {line} of {file}, column {name!r} is {cells[column].strip() or 'empty'!r} "
                    "(NaN or infinite); a model cannot predict from it: fill or drop that row"
                )
            values[index, position] = value
    return values
