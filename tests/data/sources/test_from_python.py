"""bundle_from_python: pairs and Datasets from Python, inferred metadata, optional splits and scaling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from trainlab.data import bundle_from_python, load_data
from trainlab.errors import ConfigError, DataError


def test_numpy_pairs_infer_classification():
    x, y = np.random.default_rng(0).normal(size=(30, 5)), np.arange(30) % 4
    bundle = bundle_from_python((x, y), val=(x[:6], y[:6]))
    assert bundle.task == "classification" and bundle.num_classes == 4 and bundle.input_shape == (5,)
    assert bundle.train.tensors[0].dtype == torch.float32 and bundle.val.tensors[1].dtype == torch.int64
    assert bundle.test is None and bundle.name == "custom"
    assert bundle.info["val_split"] == "given" and bundle.info["scaler"] is None
    assert torch.equal(bundle.train.tensors[0], torch.tensor(x, dtype=torch.float32)), "used as given"


@pytest.mark.parametrize("as_list", [False, True])
def test_text_labels_become_classes_shared_by_every_split(as_list):
    rng = np.random.default_rng(0)
    names = np.array(["owl", "cat", "dog"])
    y, y_val = names[np.arange(30) % 3], np.array(["dog", "owl", "dog"])
    x, x_val = rng.normal(size=(30, 4)), rng.normal(size=(3, 4))
    bundle = bundle_from_python((x, list(y) if as_list else y), val=(x_val, y_val))
    assert bundle.task == "classification" and bundle.num_classes == 3
    assert bundle.info["classes"] == ["cat", "dog", "owl"]  # sorted, as a CSV's text labels are
    assert bundle.train.tensors[1].tolist() == [["cat", "dog", "owl"].index(label) for label in y]
    assert bundle.val.tensors[1].tolist() == [1, 2, 1]
    with pytest.raises(DataError, match="targets are text"):
        bundle_from_python((x, y), task="regression")


def test_float_targets_infer_regression():
    bundle = bundle_from_python((torch.randn(20, 1, 8), torch.randn(20, 3)), name="mine")
    assert bundle.task == "regression" and bundle.target_shape == (3,) and bundle.num_classes is None
    assert bundle.input_shape == (1, 8) and bundle.name == "mine"


def test_task_can_be_given_for_whole_float_labels():
    bundle = bundle_from_python(
        (torch.randn(4, 2), torch.tensor([0.0, 1.0, 2.0, 1.0])), task="classification"
    )
    assert bundle.train.tensors[1].dtype == torch.int64 and bundle.num_classes == 3


def test_pairs_can_be_split_and_scaled_like_registered_data(tmp_path):
    # The same arrays through load_data (as an npz file) and from Python give the same bundle.
    x, y = np.random.default_rng(1).normal(2.0, 3.0, size=(90, 4)).astype(np.float32), np.arange(90) % 3
    options = dict(val_fraction=0.2, test_fraction=0.25, split_seed=7)
    ours = bundle_from_python((x, y), scaling="standardize", **options)
    assert ours.info["test_split"] == "carved" and ours.info["val_split"] == "carved"
    assert ours.info["sizes"] == {"train": 54, "val": 14, "test": 22}
    np.savez(tmp_path / "d.npz", x=x, y=y)
    from_file = load_data("npz", path=tmp_path / "d.npz", **options)
    for split in ("train", "val", "test"):
        for a, b in zip(ours.split(split).tensors, from_file.split(split).tensors, strict=True):
            assert torch.equal(a, b)


class Unlabelled(Dataset):
    """A Dataset that does not declare its classes."""

    def __len__(self) -> int:
        return 10

    def __getitem__(self, index: int):
        return torch.full((3, 4), float(index)), index % 2


class Squares(Unlabelled):
    classes = ["even", "odd"]


def test_generic_dataset_is_described_by_its_first_sample():
    dataset = Squares()
    bundle = bundle_from_python(dataset)
    assert bundle.train is dataset
    assert bundle.task == "classification" and bundle.input_shape == (3, 4) and bundle.num_classes == 2


def test_generic_dataset_without_classes_needs_num_classes():
    with pytest.raises(ConfigError, match="num_classes"):
        bundle_from_python(Unlabelled())
    assert bundle_from_python(Unlabelled(), num_classes=2).num_classes == 2


def test_generic_dataset_splits_are_seeded_subsets_and_never_rescaled():
    bundle = bundle_from_python(
        Squares(), val_fraction=0.2, test_fraction=0.2, split_seed=3, scaling="standardize"
    )
    assert all(isinstance(bundle.split(s), Subset) for s in ("train", "val", "test"))
    indices = [
        int(bundle.split(s)[i][0][0, 0])
        for s in ("train", "val", "test")
        for i in range(len(bundle.split(s)))
    ]
    assert sorted(indices) == list(range(10))
    again = bundle_from_python(Squares(), val_fraction=0.2, test_fraction=0.2, split_seed=3)
    assert [int(again.test[i][0][0, 0]) for i in range(len(again.test))] == [
        int(bundle.test[i][0][0, 0]) for i in range(len(bundle.test))
    ]
    assert bundle.info["scaler"] is None and "not applied" in bundle.info["scaling"]


def test_a_dataset_split_next_to_a_scaled_pair_is_refused():
    pair = (torch.randn(10, 3, 4), torch.arange(10) % 2)
    with pytest.raises(ConfigError, match="val: is a Dataset, which cannot be rescaled"):
        bundle_from_python(pair, val=Squares(), scaling="standardize")
    bundle = bundle_from_python(pair, val=Squares(), test=TensorDataset(*pair))
    assert isinstance(bundle.val, Squares) and bundle.info["sizes"]["val"] == 10


def test_python_data_is_checked():
    with pytest.raises(DataError, match=r"not below num_classes=2"):
        bundle_from_python((torch.randn(3, 2), torch.tensor([0, 1, 2])), num_classes=2)
    with pytest.raises(DataError, match="non-finite"):
        bundle_from_python((torch.tensor([[0.0], [float("nan")]]), torch.tensor([0, 1])))
    with pytest.raises(DataError, match="samples have shape"):
        bundle_from_python((torch.randn(3, 2), torch.zeros(3)), val=(torch.randn(3, 5), torch.zeros(3)))
    with pytest.raises(DataError, match="3 inputs but 2 targets"):
        bundle_from_python((torch.randn(3, 2), torch.zeros(2)))


def test_bad_arguments_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        bundle_from_python((torch.randn(3, 2), torch.zeros(3)), task="ranking", val_fraction=1.5)
    assert {p.key for p in caught.value.problems} == {"task", "val_fraction"}
    with pytest.raises(ConfigError, match="train: must be a torch Dataset or an"):
        bundle_from_python(torch.randn(3, 2))
