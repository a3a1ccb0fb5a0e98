"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


def _current_umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


# Read once at import: os.umask is process-wide, so reading it later could race with other threads.
_UMASK = _current_umask()


@contextlib.contextmanager
def _replaced_on_success(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary file name beside ``path``; on success fsync it and rename it over ``path``.

    The temporary file lives in the destination directory so that ``os.replace`` is a rename
    within one file system, which POSIX makes atomic. On any exception the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp_name
        # mkstemp makes the file private (0600), and a library writer may replace it: the finished file
        # gets the permissions the user's umask gives any new file, like every other tool's output.
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        with open(tmp_name, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_directory(path.parent)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds."""
    with _replaced_on_success(path) as tmp_name, open(tmp_name, mode) as handle:
        yield handle


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def write_with_atomic(path: str | os.PathLike, writer: Callable[[str], None]) -> None:
    """Atomically produce ``path`` with a library writer that only takes a file name."""
    with _replaced_on_success(path) as tmp_name:
        writer(tmp_name)


def temp_name_matches(name: str) -> bool:
    """Whether ``name`` is one of the temporary files the writers above create (``.<name>.<random>.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp")


def remove_temp_files(directory: str | os.PathLike) -> list[Path]:
    """Delete the temporary files a killed writer left in ``directory``; returns what was removed."""
    removed = []
    for entry in Path(directory).iterdir():
        if entry.is_file() and temp_name_matches(entry.name):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
            removed.append(entry)
    if removed:
        fsync_directory(directory)
    return removed


def fsync_directory(directory: str | os.PathLike) -> None:
    """Make renames and deletions in ``directory`` durable; not every platform lets a directory be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
