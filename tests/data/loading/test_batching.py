"""Batch iterators: every sample once per epoch, seeded orders, and exact resume from state_dict."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import Dataset, TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.data.loading.batching import LoaderBatchIterator, TensorBatchIterator


class PlainDataset(Dataset):
    """A map-style Dataset that is not a TensorDataset, so it takes the DataLoader path."""

    def __init__(self, size: int):
        self.x = torch.arange(size, dtype=torch.float32).unsqueeze(1) * torch.ones(1, 3)
        self.y = torch.arange(size)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int):
        return self.x[index], self.y[index]


def tensor_dataset(size: int) -> TensorDataset:
    return TensorDataset(*PlainDataset(size)[:])


def make(kind: str, size: int, batch_size: int, **kwargs):
    dataset = tensor_dataset(size) if kind == "tensor" else PlainDataset(size)
    return make_batch_iterator(dataset, batch_size, **kwargs)


def ids(batches) -> list[list[int]]:
    return [batch[1].tolist() for batch in batches]


KINDS = ["tensor", "loader"]


def test_the_factory_picks_the_fast_path_for_tensor_datasets():
    assert isinstance(make("tensor", 10, 3), TensorBatchIterator)
    assert isinstance(make("loader", 10, 3), LoaderBatchIterator)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("drop_last", "batches"), [(False, 4), (True, 3)])
def test_every_sample_once_per_epoch(kind, drop_last, batches):
    iterator = make(kind, 10, 3, drop_last=drop_last)
    assert len(iterator) == batches
    for epoch in range(3):
        assert iterator.epoch == epoch
        seen = [i for batch in ids(iterator) for i in batch]
        assert len(seen) == len(set(seen)) == (9 if drop_last else 10)
    assert iterator.epoch == 3 and iterator.position == 0


@pytest.mark.parametrize("kind", KINDS)
def test_order_differs_across_epochs_and_seeds_but_repeats_for_a_seed(kind):
    iterator = make(kind, 64, 8, seed=1)
    first, second = ids(iterator), ids(iterator)
    assert first != second
    assert ids(make(kind, 64, 8, seed=1)) == first
    assert ids(make(kind, 64, 8, seed=2)) != first


@pytest.mark.parametrize("kind", KINDS)
def test_no_shuffle_keeps_the_dataset_order(kind):
    assert ids(make(kind, 7, 3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_both_paths_yield_the_same_batches():
    fast, loader = make("tensor", 50, 7, seed=5), make("loader", 50, 7, seed=5)
    for _ in range(2):
        for (x_fast, y_fast), (x_loader, y_loader) in zip(fast, loader, strict=True):
            assert torch.equal(x_fast, x_loader) and torch.equal(y_fast, y_loader)


def test_tensor_batches_are_views_of_one_gathered_copy():
    dataset = tensor_dataset(12)
    batches = list(TensorBatchIterator(dataset, 4, shuffle=True))
    storages = {batch[0].untyped_storage().data_ptr() for batch in batches}
    assert len(storages) == 1, "one gather per epoch, then slices"
    assert storages != {dataset.tensors[0].untyped_storage().data_ptr()}
    unshuffled = next(iter(TensorBatchIterator(dataset, 4, shuffle=False)))
    assert unshuffled[0].untyped_storage().data_ptr() == dataset.tensors[0].untyped_storage().data_ptr()


def uninterrupted(kind: str, epochs: int, **kwargs) -> list[list[int]]:
    iterator = make(kind, 23, 5, seed=7, **kwargs)
    return [batch for _ in range(epochs) for batch in ids(iterator)]


def resumed(
    kind: str, stop_after: int, epochs: int, *, finish_generator: bool = False, **kwargs
) -> list[list[int]]:
    """Consume ``stop_after`` batches, save the state, and continue in a fresh iterator."""
    iterator = make(kind, 23, 5, seed=7, **kwargs)
    seen: list[list[int]] = []
    while len(seen) < stop_after:
        for batch in iterator:
            seen.append(batch[1].tolist())
            if len(seen) == stop_after and not finish_generator:
                break
    state = iterator.state_dict()
    assert set(state) == {"epoch", "position", "seed"}
    fresh = make(kind, 23, 5, seed=0, **kwargs)  # the seed comes back from the state
    fresh.load_state_dict(state)
    while len(seen) < epochs * len(fresh):
        seen.extend(ids(fresh))
    return seen


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stop_after", [1, 3, 5, 7, 10])
def test_resume_yields_exactly_the_remaining_batches(kind, stop_after):
    # 23 samples in batches of 5: 5 per epoch, so 5 and 10 stop after an epoch's last batch.
    assert resumed(kind, stop_after, 3) == uninterrupted(kind, 3)


@pytest.mark.parametrize("kind", KINDS)
def test_resume_at_an_epoch_boundary(kind):
    # The loop finished the epoch, so the state already points at the next one.
    iterator = make(kind, 23, 5, seed=7)
    list(iterator)
    assert iterator.state_dict() == {"epoch": 1, "position": 0, "seed": 7}
    assert resumed(kind, 5, 3, finish_generator=True) == uninterrupted(kind, 3)


def test_state_survives_a_safe_torch_round_trip(tmp_path):
    iterator = make("tensor", 23, 5, seed=7)
    next(iter(iterator))
    torch.save(iterator.state_dict(), tmp_path / "state.pt")
    fresh = make("tensor", 23, 5)
    fresh.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    assert (fresh.epoch, fresh.position, fresh.seed) == (0, 1, 7)


def test_a_state_from_another_batch_size_is_rejected():
    with pytest.raises(ValueError, match="batches per epoch"):
        make("tensor", 23, 5).load_state_dict({"epoch": 0, "position": 6, "seed": 0})


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_batch_size_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="batch_size"):
        make("tensor", 10, bad)


def test_workers_load_the_same_batches_as_the_main_process():
    assert ids(make("loader", 30, 4, seed=3, num_workers=2)) == ids(make("loader", 30, 4, seed=3))


@pytest.mark.parametrize("kind", KINDS)
def test_device_argument_and_to(kind):
    iterator = make(kind, 10, 4, device="cpu")
    assert iterator.to("cpu") is iterator
    assert all(batch[0].device.type == "cpu" for batch in iterator)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=40),
    batch_size=st.integers(min_value=1, max_value=12),
    drop_last=st.booleans(),
    stop_after=st.integers(min_value=0, max_value=30),
)
def test_resume_property(size, batch_size, drop_last, stop_after):
    dataset = tensor_dataset(size)
    reference = TensorBatchIterator(dataset, batch_size, seed=11, drop_last=drop_last)
    expected = [batch[1].tolist() for _ in range(3) for batch in reference]
    stop_after = min(stop_after, len(expected))
    first = TensorBatchIterator(dataset, batch_size, seed=11, drop_last=drop_last)
    taken: list[list[int]] = []
    while len(taken) < stop_after:
        for batch in first:
            taken.append(batch[1].tolist())
            if len(taken) == stop_after:
                break
    second = TensorBatchIterator(dataset, batch_size, seed=0, drop_last=drop_last)
    second.load_state_dict(first.state_dict())
    while len(taken) < len(expected):
        taken.extend(batch[1].tolist() for batch in second)
    assert taken == expected
