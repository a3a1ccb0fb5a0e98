"""Class samplers: what each draws, exact resume from their state, and sharding across data-parallel ranks."""

import pytest
import torch
from torch.utils.data import TensorDataset

from trainlab.build import build_batches
from trainlab.data import SAMPLERS, load_data
from trainlab.errors import ConfigError
from trainlab.recipe import validate_recipe
from trainlab.train.distributed import ProcessContext


def long_tailed(seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate([120, 40, 9])])
    inputs = torch.randn(len(labels), 3, generator=generator) + labels[:, None]
    return TensorDataset(inputs, labels)


def take(iterator, count):
    """``count`` batches, across epochs: each pass over the iterator is the rest of one epoch."""
    batches = []
    while len(batches) < count:
        for batch in iterator:
            batches.append(batch)
            if len(batches) == count:
                break
    return batches


def _imbalanced():
    labels = torch.cat([torch.zeros(90), torch.ones(9), torch.full((1,), 2)]).long()
    return TensorDataset(torch.arange(100.0)[:, None], labels)


def _epoch_labels(sampler):
    return torch.cat([batch[1] for batch in sampler])


@pytest.mark.parametrize("name", SAMPLERS.names())
def test_a_resumed_sampler_continues_with_the_same_batches(name):
    uninterrupted = SAMPLERS.create(name, long_tailed(), 16, seed=3)
    expected = take(uninterrupted, 3 * len(uninterrupted))  # three epochs, each drawn afresh
    first = SAMPLERS.create(name, long_tailed(), 16, seed=3)
    head = take(first, len(first) + 2)  # stop two batches into the second epoch
    resumed = SAMPLERS.create(name, long_tailed(), 16, seed=3)
    resumed.load_state_dict(first.state_dict())
    tail = take(resumed, len(expected) - len(head))
    assert len(head) + len(tail) == len(expected)
    for got, want in zip(head + tail, expected, strict=True):
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


@pytest.mark.parametrize("name", SAMPLERS.names())
def test_ranks_take_disjoint_slices_of_the_global_batches(name):
    one = SAMPLERS.create(name, long_tailed(), 32, seed=1, drop_last=True)
    ranks = [
        SAMPLERS.create(name, long_tailed(), 16, seed=1, drop_last=True, rank=r, world_size=2) for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1]) == len(one)
    for global_batch, *shards in zip(one, *ranks, strict=True):
        # rank r holds the r-th half of each global batch: together exactly what one process sees
        torch.testing.assert_close(torch.cat([s[0] for s in shards]), global_batch[0])
        assert torch.equal(torch.cat([s[1] for s in shards]), global_batch[1])


def test_the_trainer_builds_a_sharded_sampler_in_data_parallel_runs():
    recipe = validate_recipe(
        {"data": "wine", "model": "mlp", "sampler": "oversample", "train": {"batch_size": 8, "steps": 1}}
    )
    bundle = load_data("wine")
    batches = build_batches(recipe, bundle, torch.device("cpu"), ProcessContext(rank=1, world_size=2))
    assert (batches.rank, batches.world_size, batches.drop_last) == (1, 2, True)
    assert all(len(batch[0]) == 8 for batch in batches)


def test_sharding_without_drop_last_is_refused():
    with pytest.raises(ValueError, match="drop_last"):
        SAMPLERS.create("class_balanced", long_tailed(), 16, rank=0, world_size=2)


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


def test_sampler_options_are_checked_against_the_class_signature():
    with pytest.raises(ConfigError, match="epoch_size"):
        SAMPLERS.create("class_balanced", _imbalanced(), 16, epoch_size=0)
    with pytest.raises(ConfigError, match="epoch_size"):
        SAMPLERS.create("oversample", _imbalanced(), 16, epoch_size=10)  # only class_balanced takes it
