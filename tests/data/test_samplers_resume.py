"""Class samplers resume exactly from their state and shard across data-parallel ranks."""

import pytest
import torch
from torch.utils.data import TensorDataset

from trainlab.build import build_batches
from trainlab.data import SAMPLERS, load_data
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
