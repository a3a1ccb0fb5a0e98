"""Class subsets: the kept classes relabelled in the order given, and a seeded cap on samples per class."""

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from trainlab.data import load_data
from trainlab.data.transforms.class_subset import cap_per_class, select_classes, subset_bundle
from trainlab.errors import ConfigError


def dataset(labels):
    labels = torch.tensor(labels)
    return TensorDataset(torch.arange(len(labels), dtype=torch.float32)[:, None], labels)


def test_select_classes_keeps_their_samples_in_order_and_relabels_them():
    labels = [0, 3, 1, 3, 2, 1, 0]
    kept = select_classes(dataset(labels), [3, 1])
    positions = [i for i, c in enumerate(labels) if c in (3, 1)]
    assert kept.tensors[0].flatten().tolist() == positions
    assert kept.tensors[1].tolist() == [{3: 0, 1: 1}[labels[i]] for i in positions]


def test_cap_per_class_keeps_at_most_n_of_each_class_seeded():
    labels = np.repeat([0, 1, 2], [10, 3, 7])
    capped = cap_per_class(dataset(labels.tolist()), 5, 3, seed=1)
    assert np.bincount(capped.tensors[1].numpy(), minlength=3).tolist() == [5, 3, 5]
    assert all(
        labels[int(i)] == c for i, c in zip(capped.tensors[0].flatten(), capped.tensors[1], strict=True)
    )
    again = cap_per_class(dataset(labels.tolist()), 5, 3, seed=1)
    assert torch.equal(capped.tensors[0], again.tensors[0])
    other = cap_per_class(dataset(labels.tolist()), 5, 3, seed=2)
    assert not torch.equal(capped.tensors[0], other.tensors[0])


def test_subset_bundle_changes_every_split_and_records_the_classes():
    bundle = subset_bundle(load_data("digits"), [7, 2, 9], train_per_class=4, seed=0)
    assert bundle.num_classes == bundle.num_outputs == 3
    assert bundle.info["classes"] == ["7", "2", "9"]
    assert np.bincount(bundle.train.tensors[1].numpy()).tolist() == [4, 4, 4]
    full = load_data("digits")
    expected_test = int(sum((full.test.tensors[1] == c).sum() for c in (7, 2, 9)))
    assert len(bundle.test) == expected_test and bundle.info["sizes"]["test"] == expected_test
    assert bundle.info["subset"] == {"classes": [7, 2, 9], "train_per_class": 4, "seed": 0}


def test_a_class_the_data_lacks_is_named():
    with pytest.raises(ConfigError) as caught:
        subset_bundle(load_data("iris"), [0, 5], train_per_class=None)
    assert [p.key for p in caught.value.problems] == ["data.subset.classes[1]"]
    with pytest.raises(ConfigError, match="needs a built-in classification dataset"):
        subset_bundle(load_data("regression"), [0, 1], train_per_class=None)
