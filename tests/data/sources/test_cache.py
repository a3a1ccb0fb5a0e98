"""The generated-data cache: hashed names, atomic writes, memo, recovery from bad files."""

from __future__ import annotations

import numpy as np
import pytest

from trainlab.data.sources import _cache


def build_counter():
    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "y": np.array([0, 1])}

    return build, calls


def test_builds_once_then_serves_memo_and_disk(trainlab_cache):
    build, calls = build_counter()
    first = _cache.cached_arrays("toy", {"n": 1}, build)
    again = _cache.cached_arrays("toy", {"n": 1}, build)
    assert again is first and len(calls) == 1
    _cache.clear_memo()
    from_disk = _cache.cached_arrays("toy", {"n": 1}, build)
    assert len(calls) == 1
    np.testing.assert_array_equal(from_disk["x"], first["x"])
    assert _cache.cache_path("toy", {"n": 1}).parent == trainlab_cache


def test_other_arguments_are_another_file():
    assert _cache.cache_path("toy", {"n": 1}) != _cache.cache_path("toy", {"n": 2})
    assert _cache.cache_path("toy", {"a": 1, "b": 2}) == _cache.cache_path("toy", {"b": 2, "a": 1})


def test_arrays_are_read_only():
    build, _ = build_counter()
    arrays = _cache.cached_arrays("toy", {"n": 3}, build)
    with pytest.raises(ValueError):
        arrays["x"][0, 0] = 5


def test_a_corrupt_file_is_regenerated():
    build, calls = build_counter()
    path = _cache.cache_path("toy", {"n": 4})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a zip file")
    arrays = _cache.cached_arrays("toy", {"n": 4}, build)
    assert len(calls) == 1 and arrays["x"].shape == (2, 3)
    _cache.clear_memo()
    _cache.cached_arrays("toy", {"n": 4}, build)
    assert len(calls) == 1, "the regenerated file replaced the corrupt one"


def test_an_unwritable_cache_warns_and_still_returns_data(tmp_path, monkeypatch):
    # A cache "directory" below a regular file cannot be created, even by root.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("TRAINLAB_CACHE", str(blocker / "cache"))
    build, calls = build_counter()
    with pytest.warns(UserWarning, match="TRAINLAB_CACHE"):
        arrays = _cache.cached_arrays("toy", {"n": 5}, build)
    assert arrays["y"].tolist() == [0, 1] and len(calls) == 1
