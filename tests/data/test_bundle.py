"""DataBundle: the output width it gives a model, and splits that are never empty."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import IterableDataset, TensorDataset

from trainlab.data import DataBundle, bundle_from_python
from trainlab.errors import DataError


def pairs(n: int) -> TensorDataset:
    return TensorDataset(torch.zeros(n, 2), torch.zeros(n, dtype=torch.long))


def make(train=None, val=None, test=None, task="classification") -> DataBundle:
    return DataBundle(
        name="toy",
        task=task,
        train=pairs(4) if train is None else train,
        val=val,
        test=test,
        input_shape=(2,),
        num_classes=2 if task == "classification" else None,
        target_shape=(3,) if task == "regression" else (),
    )


def test_num_outputs_is_the_classes_or_the_flattened_target():
    assert make().num_outputs == 2
    assert make(task="regression").num_outputs == 3


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_an_empty_split_is_refused_where_the_bundle_is_made(split):
    with pytest.raises(DataError, match=rf"Data 'toy': the {split} split has no samples"):
        make(**{split: pairs(0)})


class Stream(IterableDataset):
    def __iter__(self):
        yield torch.zeros(2), torch.tensor(0)


def test_a_dataset_without_a_length_is_accepted():
    assert make(val=Stream()).val is not None


def test_carving_a_one_sample_dataset_leaves_no_training_data():
    class One(torch.utils.data.Dataset):
        classes = ["a", "b"]

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return torch.zeros(2), 0

    with pytest.raises(DataError, match="the train split has no samples"):
        bundle_from_python(One(), val_fraction=0.5)
