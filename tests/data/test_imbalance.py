"""Long-tailed subsets, class-balanced samplers, over/under-sampling and threshold tuning."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score
from torch.utils.data import TensorDataset

import trainlab
from trainlab.data import SAMPLERS, long_tailed_counts, make_long_tailed, tune_threshold


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


def _imbalanced():
    labels = torch.cat([torch.zeros(90), torch.ones(9), torch.full((1,), 2)]).long()
    return TensorDataset(torch.arange(100.0)[:, None], labels)


def _epoch_labels(sampler, epoch_batches=None):
    return torch.cat([batch[1] for batch in sampler])


def test_class_balanced_sampler_draws_classes_equally():
    sampler = SAMPLERS.create("class_balanced", _imbalanced(), 50, epoch_size=30000)
    counts = torch.bincount(_epoch_labels(sampler)).double() / 30000
    torch.testing.assert_close(counts, torch.full((3,), 1 / 3, dtype=torch.float64), atol=0.02, rtol=0)


def test_over_and_under_sampling_equalize_counts():
    over = _epoch_labels(SAMPLERS.create("oversample", _imbalanced(), 32))
    assert torch.bincount(over).tolist() == [90, 90, 90]
    under = _epoch_labels(SAMPLERS.create("undersample", _imbalanced(), 32))
    assert torch.bincount(under).tolist() == [1, 1, 1]


def test_sampler_resumes_mid_epoch():
    sampler = SAMPLERS.create("class_balanced", _imbalanced(), 16, seed=3)
    iterator = iter(sampler)
    next(iterator)
    state = sampler.state_dict()
    rest = [b[1] for b in iterator]
    resumed = SAMPLERS.create("class_balanced", _imbalanced(), 16, seed=3)
    resumed.load_state_dict(state)
    for a, b in zip(rest, (b[1] for b in resumed), strict=True):
        torch.testing.assert_close(a, b)


def test_threshold_tuning_finds_the_best_f1_cut_by_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = rng.normal(size=200) + labels
    threshold, value = tune_threshold(torch.from_numpy(scores), torch.from_numpy(labels))
    best = max(f1_score(labels, scores >= t) for t in np.unique(scores))
    assert value == pytest.approx(best)
    assert f1_score(labels, scores >= threshold) == pytest.approx(best)
