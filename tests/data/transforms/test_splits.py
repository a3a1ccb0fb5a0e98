"""Hold-out splits: sizes, determinism, and stratification checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import StratifiedShuffleSplit

from trainlab.data.transforms.splits import TEST_STREAM, VAL_STREAM, held_out_count, split_indices


def test_held_out_count_rounds_and_keeps_at_least_one():
    assert held_out_count(100, 0.1) == 10
    assert held_out_count(5, 0.01) == 1
    assert held_out_count(100, 0.0) == 0
    assert held_out_count(0, 0.5) == 0


def test_same_seed_same_split_other_seed_or_stream_another():
    labels = np.arange(200) % 4
    kept, held = split_indices(200, 0.25, seed=3, labels=labels)
    kept_again, held_again = split_indices(200, 0.25, seed=3, labels=labels)
    np.testing.assert_array_equal(held, held_again)
    np.testing.assert_array_equal(kept, kept_again)
    assert not np.array_equal(held, split_indices(200, 0.25, seed=4, labels=labels)[1])
    assert not np.array_equal(
        split_indices(200, 0.25, seed=3, stream=TEST_STREAM)[1],
        split_indices(200, 0.25, seed=3, stream=VAL_STREAM)[1],
    )


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6),
    fraction=st.floats(min_value=0.0, max_value=0.9),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_stratified_split_is_a_partition_with_per_class_shares(counts, fraction, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    kept, held = split_indices(len(labels), fraction, seed=seed, labels=labels)
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(len(labels)))
    for label, count in enumerate(counts):
        taken = int(np.sum(labels[held] == label))
        # Largest-remainder rounding moves each class by less than one sample (exactly one only
        # when the at-least-one rule forces a sample out of a tiny fraction).
        assert abs(taken - fraction * count) <= 1 or (count == 1 and taken == 0)
        if count > 1 or fraction == 0:
            assert taken < count, "a class is never emptied from the kept side"
    # The total is the rounded share, short by at most one per class that the keep-one rule capped.
    capped = sum(int(np.sum(labels[held] == label)) == count - 1 for label, count in enumerate(counts))
    shortfall = held_out_count(len(labels), fraction) - len(held)
    assert 0 <= shortfall <= capped


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.33])
def test_stratified_class_counts_match_scikit_learn(fraction):
    labels = np.repeat(np.arange(5), [50, 31, 17, 9, 93])
    _, held = split_indices(len(labels), fraction, seed=0, labels=labels)
    splitter = StratifiedShuffleSplit(
        n_splits=1, test_size=held_out_count(len(labels), fraction), random_state=0
    )
    _, reference = next(splitter.split(np.zeros(len(labels)), labels))
    ours, theirs = np.bincount(labels[held], minlength=5), np.bincount(labels[reference], minlength=5)
    assert ours.sum() == theirs.sum()
    assert np.all(np.abs(ours - theirs) <= 1)


def test_unstratified_split_sizes():
    kept, held = split_indices(101, 0.2, seed=0)
    assert len(held) == 20 and len(kept) == 81


def test_fraction_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError):
        split_indices(10, 1.0, seed=0)
