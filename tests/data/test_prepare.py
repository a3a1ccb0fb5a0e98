"""load_data: every registered dataset, splits, train-only scaling, and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from trainlab.data import DataBundle, RawData, Standardizer, load_data
from trainlab.data.prepare import bundle_from_raw
from trainlab.errors import ConfigError, DataError, UnknownNameError
from trainlab.registry import DATASETS


def needs_user_input(name: str) -> bool:
    # File loaders have a required option (path); they are exercised in test_files.py.
    return any(p.default is p.empty for p in DATASETS.get(name).parameters().values())


BUILT_IN = [name for name in DATASETS.names() if not needs_user_input(name)]


def test_file_loaders_are_the_only_ones_skipped():
    assert sorted(set(DATASETS.names()) - set(BUILT_IN)) == ["csv", "npz", "pt"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_registered_dataset_loads_consistently(name):
    entry = DATASETS.get(name)
    bundle = load_data(name)
    assert isinstance(bundle, DataBundle) and bundle.name == name
    assert bundle.task == entry.flags["task"]
    raw = entry.factory()
    total = len(raw.x_train) + (len(raw.x_test) if raw.x_test is not None else 0)
    assert sum(bundle.info["sizes"].values()) == total
    for split in ("train", "val", "test"):
        dataset = bundle.split(split)
        assert isinstance(dataset, TensorDataset) and len(dataset) == bundle.info["sizes"][split] > 0
        inputs, targets = dataset.tensors
        assert inputs.dtype == torch.float32 and tuple(inputs.shape[1:]) == bundle.input_shape
        assert torch.isfinite(inputs).all()
        if bundle.task == "classification":
            assert targets.dtype == torch.int64 and targets.ndim == 1
            assert 0 <= int(targets.min()) and int(targets.max()) < bundle.num_classes
        else:
            assert targets.dtype == torch.float32 and tuple(targets.shape[1:]) == bundle.target_shape
    if bundle.class_names is not None:
        assert len(bundle.class_names) == bundle.num_classes
    assert bundle.info["scaler"] is not None


def test_standardization_is_fitted_on_train_only(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(3.0, 2.0, size=(200, 4)), np.arange(200) % 2
    x[:, 3] = 5.0  # constant feature: must map to 0, not NaN
    np.savez(tmp_path / "a.npz", x=x, y=y, x_test=rng.normal(size=(50, 4)), y_test=np.arange(50) % 2)
    np.savez(
        tmp_path / "b.npz", x=x, y=y, x_test=rng.normal(1000.0, 50.0, size=(50, 4)), y_test=np.arange(50) % 2
    )
    a, b = load_data("npz", path=tmp_path / "a.npz"), load_data("npz", path=tmp_path / "b.npz")
    assert a.info["scaler"] == b.info["scaler"], "test data must not move the statistics"
    train = a.train.tensors[0]
    assert torch.allclose(train.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(train.std(0, unbiased=False)[:3], torch.ones(3), atol=1e-5)
    assert torch.equal(train[:, 3], torch.zeros(len(train)))
    assert torch.isfinite(b.test.tensors[0]).all() and b.test.tensors[0].mean() > 100


def test_recorded_statistics_reproduce_the_scaling(tmp_path):
    scaled = load_data("digits")
    unscaled = load_data("digits", scaling="none")
    scaler = Standardizer.from_state_dict(scaled.info["scaler"])
    assert torch.allclose(scaler(unscaled.test.tensors[0]), scaled.test.tensors[0], atol=1e-6)
    assert torch.allclose(scaler.inverse(scaled.val.tensors[0]), unscaled.val.tensors[0], atol=1e-4)
    assert unscaled.info["scaler"] is None


def test_splits_partition_the_data_without_overlap():
    bundle = load_data("iris", scaling="none")
    rows = torch.cat([bundle.split(s).tensors[0] for s in ("train", "val", "test")])
    raw = DATASETS.get("iris").factory()
    assert torch.equal(rows.unique(dim=0), torch.from_numpy(raw.x_train).unique(dim=0))
    assert bundle.info["sizes"] == {"train": 108, "val": 12, "test": 30}


def test_validation_split_is_fixed_by_split_seed_and_stratified():
    first, again = load_data("wine", split_seed=4), load_data("wine", split_seed=4)
    other = load_data("wine", split_seed=5)
    assert torch.equal(first.val.tensors[0], again.val.tensors[0])
    assert not torch.equal(first.val.tensors[0], other.val.tensors[0])
    train_counts = torch.bincount(first.train.tensors[1], minlength=3).float()
    val_counts = torch.bincount(first.val.tensors[1], minlength=3).float()
    expected = (train_counts + val_counts) * 0.1
    assert torch.all((val_counts - expected).abs() <= 1)


def test_zero_fractions_give_no_split():
    bundle = load_data("moons", val_fraction=0.0, test_fraction=0.0)
    assert bundle.val is None and bundle.test is None and len(bundle.train) == 1000
    assert bundle.info["test_split"] == "none"


def test_dataset_options_pass_through():
    small = load_data("spirals", n_samples=100, noise=0.0, seed=3)
    assert sum(small.info["sizes"].values()) == 100
    assert small.info["options"] == {"n_samples": 100, "noise": 0.0, "seed": 3}


# ---------------------------------------------------------------------------------------------
# errors


def test_unknown_dataset_suggests_the_closest_name():
    with pytest.raises(
        UnknownNameError, match=r"data\.name: 'mnist1' is not a registered dataset; did you mean 'mnist1d'"
    ):
        load_data("mnist1")


def test_unknown_option_and_bad_values_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        load_data("spirals", nosie=0.1, n_samples=-5, val_fraction=1.0, split_seed=-1, key="recipe.data")
    keys = {problem.key for problem in caught.value.problems}
    assert keys == {
        "recipe.data.nosie",
        "recipe.data.n_samples",
        "recipe.data.val_fraction",
        "recipe.data.split_seed",
    }
    assert "did you mean 'noise'" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# splits too small to hold data: an empty split would be evaluated and reported as scores of 0


def small_csv(tmp_path, labels):
    path = tmp_path / "small.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{2 * i},{label}\n" for i, label in enumerate(labels)))
    return path


def test_a_validation_split_left_empty_by_a_three_row_csv_is_an_error(tmp_path):
    path = small_csv(tmp_path, [0, 1, 0])
    with pytest.raises(ConfigError) as caught:
        load_data("csv", path=path)
    [problem] = caught.value.problems
    assert problem.key == "data.val_fraction" and "holds out no sample of the 2 training samples" in str(
        problem
    )
    assert "set data.val_fraction: 0 to train without a val split" in str(problem)
    assert str(path) in str(caught.value)
    bundle = load_data("csv", path=path, val_fraction=0.0)
    assert bundle.val is None and bundle.info["sizes"] == {"train": 2, "val": 0, "test": 1}


def test_a_test_split_left_empty_is_an_error_naming_test_fraction(tmp_path):
    # One sample per class: a stratified split keeps each class's last sample for training.
    path = small_csv(tmp_path, [0, 1, 2, 3, 4, 5])
    with pytest.raises(ConfigError) as caught:
        load_data("csv", path=path, val_fraction=0.0)
    assert [problem.key for problem in caught.value.problems] == ["data.test_fraction"]
    assert load_data("csv", path=path, val_fraction=0.0, test_fraction=0.0).test is None


def test_an_empty_test_split_a_dataset_provides_is_an_error():
    raw = RawData(
        x_train=np.zeros((6, 2)),
        y_train=np.arange(6) % 2,
        x_test=np.zeros((0, 2)),
        y_test=np.zeros(0, dtype=np.int64),
        task="classification",
    )
    with pytest.raises(DataError, match=r"Data 'mine': the test split has no samples"):
        bundle_from_raw(raw, name="mine", val_fraction=0.1, test_fraction=0.2, split_seed=0, scaling="none")
