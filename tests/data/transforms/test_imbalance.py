"""Long-tailed subsets: the exponential profile, kept counts, and only the training split affected."""

import pytest
import torch
from torch.utils.data import TensorDataset

import trainlab
from trainlab.data import long_tailed_counts, make_long_tailed


def test_long_tailed_counts_follow_the_exponential_profile():
    counts = long_tailed_counts([500] * 10, 100)
    expected = [int(500 * 100 ** (-c / 9)) for c in range(10)]
    assert counts == expected and counts[0] / counts[-1] == pytest.approx(100)


def test_make_long_tailed_keeps_that_many_of_each_class():
    labels = torch.arange(5).repeat(100)
    dataset = TensorDataset(torch.randn(500, 2), labels)
    subset = make_long_tailed(dataset, 5, ratio=10)
    assert torch.bincount(subset.tensors[1]).tolist() == long_tailed_counts([100] * 5, 10)


def test_recipe_imbalance_makes_only_the_training_split_long_tailed():
    recipe = {"data": {"name": "mnist1d", "imbalance": {"ratio": 100}}, "model": "mlp", "train": {"steps": 1}}
    summary = trainlab.fit(recipe, save=False).summary
    assert summary["data"]["sizes"]["train"] < 1500
