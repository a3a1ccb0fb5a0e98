"""The user's own table in a CSV file: numeric feature columns and one target column."""

from __future__ import annotations

import csv
import io
import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from trainlab.data.sources._files import (
    FILE_FLAGS,
    HEAD_BYTES,
    ClassCount,
    TaskChoice,
    binary_kind,
    existing_file,
    infer_task,
    read_file,
)
from trainlab.data.sources.raw import RawData
from trainlab.errors import ConfigError, DataError, Problem, did_you_mean
from trainlab.registry import DATASETS

if TYPE_CHECKING:
    from _csv import Reader

# Cells read as missing values; they become NaN, which the data checks then report by row and column.
MISSING_CELLS = frozenset({"", "na", "n/a", "nan", "null", "none"})
# The separators looked for when ``delimiter`` is not given, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|", " ")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes", " ": "spaces"}
# Lines read to find the delimiter: the header and a stretch of data rows.
SNIFFED_LINES = 50

Row = tuple[int, list[str]]  # (line number in the file, cells)


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
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None,
) -> RawData:
    """A table in a CSV file: numeric feature columns and one target column.

    Args:
        path: The CSV file, UTF-8 text (a byte-order mark is allowed).
        target: The target column, by header name or by index (negative counts from the end);
            defaults to the last column.
        task: ``"auto"`` treats an integer-valued or text target as classification and anything
            else as regression.
        num_classes: Number of classes, when some classes may be absent from the file.
        header: Whether the first row names the columns. ``None`` detects it: the first row is a
            header when it has text where the rows below have numbers.
        delimiter: The character between cells. ``None`` detects it from the first lines: the one of
            comma, semicolon, tab, pipe and space that splits every line into the same number of
            cells, with the most numeric cells.

    Returns:
        RawData with ``(N, F)`` float32 features and no test split. Text labels become class
        indices in sorted order, and the names are kept as ``class_names``.

    Raises:
        DataError: the file is missing, not UTF-8 text, ragged, or has text in a feature column.
        ConfigError: ``target`` names no column.
    """
    resolved = existing_file(path)
    text = _read_text(resolved)
    separator = _detect_delimiter(text) if delimiter is None else delimiter
    numbered = _read_rows(text, separator, resolved)
    if not numbered:
        raise DataError(f"data.path: {resolved} has no rows; it needs one row per sample")
    width = len(numbered[0][1])
    if width < 2:
        raise DataError(f"data.path: {resolved} has a single column{_delimiter_hint(text, separator)}")
    for line, row in numbered:
        if len(row) != width:
            raise DataError(
                f"data.path: line {line} of {resolved} has {len(row)} cells but line {numbered[0][0]} has "
                f"{width}; every row needs the same columns (check for stray delimiters or quotes"
                f"{', or set data.delimiter' if delimiter is None else ''})"
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
                    f"which is not a number.{_decimal_comma_hint(row[index])} Feature columns must be "
                    "numeric; only the target column may hold text labels (set data.target if the target "
                    "is not the last column)."
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
            "delimiter": separator,
            "feature_columns": [names[index] for index in feature_indices],
            "target_column": names[target_index],
            "labels_from": f"data.target (column {names[target_index]!r} of {resolved})",
            "task_inferred": task == "auto",
        },
    )


def _read_text(resolved: Path) -> str:
    """The file as text, or a DataError naming what it is instead (an image, a zip, Latin-1 text)."""
    content = read_file(resolved)
    kind = binary_kind(content[:HEAD_BYTES])
    if kind is not None:
        raise DataError(
            f"data.path: {resolved} is not a text CSV file: it looks like {kind}. Give the path of a "
            "CSV file (numbers separated by commas, one sample per line), or use data.name: npz or pt "
            "for saved arrays."
        )
    try:
        return content.decode("utf-8-sig")  # spreadsheet programs often start UTF-8 with a byte-order mark
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"data.path: {resolved} is not UTF-8 text (byte 0x{content[exc.start]:02x} on line {line}). "
            "Save it as UTF-8 (a spreadsheet's 'CSV UTF-8' export, or iconv -f latin1 -t utf-8 FILE)."
        ) from exc


def _read_rows(text: str, separator: str, resolved: Path) -> list[Row]:
    """The non-empty rows with their file line numbers, so that errors point at a line the user can open."""
    reader = _reader(text, separator)
    rows = []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise DataError(
            f"data.path: line {reader.line_num} of {resolved} cannot be read as CSV: {exc}"
        ) from exc
    return rows


def _reader(text: str, separator: str) -> Reader:
    # newline="" hands line endings to the csv module, which keeps newlines inside quoted cells.
    return csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=separator == " ")


def _detect_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into a constant number (at least 2) of cells.

    When several do, the one giving the most numeric cells wins: in ``1,5;2,0`` (decimal commas)
    semicolons split the line into numbers and commas do not. Comma when none fits, so that the
    usual errors (ragged rows, a single column) describe the file.
    """
    best, best_numeric = ",", -1
    for candidate in DELIMITERS:
        try:
            rows = [row for row in itertools.islice(_reader(text, candidate), SNIFFED_LINES) if any(row)]
        except csv.Error:
            continue
        widths = {len(row) for row in rows}
        if len(widths) != 1 or widths.pop() < 2:
            continue
        numeric = sum(_number(cell.strip()) is not None for row in rows for cell in row)
        if numeric > best_numeric:
            best, best_numeric = candidate, numeric
    return best


def _delimiter_hint(text: str, separator: str) -> str:
    """Why a file reads as one column, and the fix: another delimiter, or a target column to add."""
    detected = _detect_delimiter(text)
    if detected != separator:
        return (
            f" when split at {DELIMITER_NAMES.get(separator, repr(separator))}, but its lines split evenly "
            f"at {DELIMITER_NAMES[detected]}: set data.delimiter: {detected!r}"
        )
    return (
        "; it needs feature columns and a target column. If its cells are separated by another "
        "character, set data.delimiter to it"
    )


def _decimal_comma_hint(cell: str) -> str:
    # "0,5" is a number written with a decimal comma, as spreadsheets in many locales export it.
    if "," in cell and _number(cell.replace(",", ".")) is not None:
        return " It looks like a decimal comma: export the file with decimal points."
    return ""


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
