"""What the file datasets share: the path the user named, read safely, and what its first bytes say it is."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from trainlab.data.bundle import Task
from trainlab.errors import DataError

TaskChoice = Literal["auto", "classification", "regression"]
ClassCount = Annotated[int, Field(ge=1)]
FILE_FLAGS = {"task": "any", "input": "any", "source": "file"}

# How much of a file is read to tell what kind of file it is.
HEAD_BYTES = 8192

# First bytes of the binary formats a user is likely to point a data loader at by mistake, with
# what the message calls them. Checked in order; the first match wins.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first, e.g. gunzip FILE)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file (decompress it first, e.g. unxz FILE)"),
    (b"PK\x03\x04", "a zip archive (.npz, .pt and Excel .xlsx files are zip archives)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"PAR1", "a Parquet file"),
    (b"\x7fELF", "a compiled program"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Control characters that never occur in text files (tab, newline, carriage return and form feed do).
NON_TEXT_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x20)) | {0x0B, 0x7F}


def existing_file(path: Path | str, option: str = "path") -> Path:
    """The absolute path of a file the user named, or a DataError naming ``data.<option>`` and the fix."""
    given = Path(path).expanduser()
    resolved = given if given.is_absolute() else Path.cwd() / given
    key = f"data.{option}"
    try:
        mode = resolved.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        if resolved.is_symlink():
            missing = f"{resolved} is a link to {os.readlink(resolved)}, which does not exist"
        else:
            relative = "" if given.is_absolute() else f" (relative to the working directory {Path.cwd()})"
            missing = f"the file {resolved} does not exist{relative}"
        raise DataError(f"{key}: {missing}. Fix the path in {key}, or give an absolute path.") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise DataError(
                f"{key}: the path is too long for the file system ({len(str(resolved))} characters; a "
                f"name may have at most 255 bytes): {str(resolved)[:60]}...; shorten it"
            ) from None
        raise DataError(f"{key}: {resolved} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{key}: {resolved} is a directory; name the data file inside it")
    if not stat.S_ISREG(mode):
        raise DataError(
            f"{key}: {resolved} is not a regular file (a device, pipe or socket); name a data file"
        )
    return resolved


def read_file(resolved: Path, limit: int | None = None, option: str = "path") -> bytes:
    """The file's bytes (the first ``limit`` of them when given), or a DataError saying why not."""
    try:
        with resolved.open("rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except PermissionError as exc:
        raise DataError(
            f"data.{option}: {resolved} cannot be read: permission denied. Check its permissions "
            "(ls -l), or copy it somewhere readable."
        ) from exc
    except OSError as exc:
        raise DataError(f"data.{option}: {resolved} cannot be read: {exc.strerror or exc}") from exc


def binary_kind(head: bytes) -> str | None:
    """What a file's first bytes say it is (``"a PNG image"``), or None when they look like text.

    Files are told apart by their leading signature (magic number); a file with none is binary
    when it holds control characters that text never contains.
    """
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    # safetensors: an 8-byte little-endian header length, then the JSON header itself.
    if len(head) > 10 and head[8:10] == b'{"':
        return "a safetensors weights file"
    if any(byte in NON_TEXT_BYTES for byte in head):
        return "binary data"
    return None


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_SIGNATURES)


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
