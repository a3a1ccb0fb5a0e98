"""mnist1d: the arrays of the paper's generator, cached on disk, no download."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from trainlab.data import load_data
from trainlab.data.sources import _cache
from trainlab.data.sources import mnist1d as mnist1d_module
from trainlab.registry import DATASETS


def test_arrays_equal_a_fresh_make_dataset(mnist1d_reference):
    raw = DATASETS.get("mnist1d").factory()
    reference = mnist1d_reference
    for ours, theirs in ((raw.x_train, reference["x"]), (raw.x_test, reference["x_test"])):
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, theirs.astype(np.float32).reshape(-1, 1, 40))
    np.testing.assert_array_equal(raw.y_train, reference["y"])
    np.testing.assert_array_equal(raw.y_test, reference["y_test"])
    assert raw.x_train.shape == (4000, 1, 40) and raw.x_test.shape == (1000, 1, 40)
    assert raw.input_shape == (1, 40) and raw.num_classes == 10 and raw.task == "classification"
    assert "url" not in raw.info["generator_args"]


def test_shuffled_variant_permutes_the_time_steps(mnist1d_reference):
    shuffled = DATASETS.get("mnist1d_shuffled").factory()
    plain_x = mnist1d_reference["x"].astype(np.float32)
    # Same samples and labels, same values per signal, but in another order along time.
    np.testing.assert_array_equal(shuffled.y_train, mnist1d_reference["y"])
    assert not np.array_equal(shuffled.x_train[:, 0], plain_x)
    np.testing.assert_array_equal(np.sort(shuffled.x_train[:, 0], axis=1), np.sort(plain_x, axis=1))
    assert shuffled.info["generator_args"]["shuffle_seq"] is True


def test_shuffle_seq_option_is_the_shuffled_entry():
    by_option = load_data("mnist1d", shuffle_seq=True)
    by_entry = load_data("mnist1d_shuffled")
    for a, b in zip(by_option.train.tensors, by_entry.train.tensors, strict=True):
        assert torch.equal(a, b)


def test_second_load_reads_the_disk_cache(monkeypatch, trainlab_cache):
    first = mnist1d_module.mnist1d()
    path = _cache.cache_path("mnist1d", mnist1d_module.cache_key(False))
    assert path.parent == trainlab_cache and path.is_file()
    assert not list(trainlab_cache.glob(".*.tmp")), "atomic writes leave no temporary files"

    _cache.clear_memo()

    def fail(*args, **kwargs):
        raise AssertionError("generated again although the cache holds the arrays")

    monkeypatch.setattr(mnist1d_module, "generate", fail)
    # A cached load does not import the mnist1d package (matplotlib, scipy: over a second of start-up).
    monkeypatch.setattr(mnist1d_module, "generator_args", fail)
    second = mnist1d_module.mnist1d()
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)
    assert second.info["generator_args"] == first.info["generator_args"]
    assert second.info["generator_args"]["seed"] == 42 and "url" not in second.info["generator_args"]
    # The in-process memo serves the same (read-only) arrays without touching the disk again.
    assert mnist1d_module.mnist1d().x_train is second.x_train
    assert not second.x_train.flags.writeable


def test_generation_leaves_the_global_random_state_alone(monkeypatch):
    import mnist1d.data

    def fake_make_dataset(args):
        np.random.seed(args.seed)  # what the real generator does through set_seed
        random.seed(args.seed)
        x = np.random.normal(size=(10, 40))
        return {"x": x[:8], "y": np.arange(8) % 10, "x_test": x[8:], "y_test": np.arange(2)}

    monkeypatch.setattr(mnist1d.data, "make_dataset", fake_make_dataset)
    np.random.seed(123)
    random.seed(123)
    expected_numpy, expected_python = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    arrays = mnist1d_module.generate()
    assert np.random.random() == expected_numpy and random.random() == expected_python
    assert arrays["x"].shape == (8, 1, 40) and arrays["y"].dtype == np.int64
    assert json.loads(arrays["generator_args"].item())["shuffle_seq"] is False


def test_load_data_keeps_the_published_test_split():
    bundle = load_data("mnist1d", val_fraction=0.1)
    assert bundle.info["test_split"] == "dataset"
    assert bundle.info["sizes"] == {"train": 3600, "val": 400, "test": 1000}
    assert bundle.input_shape == (1, 40) and bundle.class_names == [str(d) for d in range(10)]


@pytest.mark.parametrize("shuffle_seq", [False, True])
def test_cache_file_name_depends_on_the_arguments(shuffle_seq):
    plain = _cache.cache_path("mnist1d", mnist1d_module.cache_key(False))
    other = _cache.cache_path("mnist1d", mnist1d_module.cache_key(shuffle_seq))
    assert (plain == other) is (not shuffle_seq)
