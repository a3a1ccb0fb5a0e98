"""Magnitude and random pruners, checked against a numpy reference of the thresholds."""

import numpy as np
import pytest
import torch
from torch import nn

from trainlab.compress.prune import GlobalMagnitude, LayerMagnitude, RandomPruner, prunable_weights
from trainlab.registry import PRUNERS


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Conv1d(20, 8, 3), nn.Flatten(), nn.Linear(8, 3))


def numpy_keep(magnitudes, sparsity):
    """The reference: rank all |w| (stable), drop the round(s * n) smallest."""
    flat = np.concatenate([m.ravel() for m in magnitudes])
    dropped = np.argsort(flat, kind="stable")[: round(sparsity * flat.size)]
    keep = np.ones(flat.size, dtype=bool)
    keep[dropped] = False
    return np.split(keep, np.cumsum([m.size for m in magnitudes])[:-1])


@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.9])
def test_global_magnitude_matches_numpy(sparsity):
    net = model()
    weights = prunable_weights(net)
    assert list(weights) == ["0.weight", "2.weight", "4.weight"]  # biases stay dense
    expected = numpy_keep([w.detach().abs().numpy() for w in weights.values()], sparsity)
    masks = GlobalMagnitude(sparsity).masks(net)
    for (name, weight), keep in zip(weights.items(), expected, strict=True):
        np.testing.assert_array_equal(masks[name].numpy().ravel(), keep)
        assert masks[name].shape == weight.shape


def test_layer_magnitude_matches_numpy_per_layer_and_differs_from_global():
    net = model()
    masks = LayerMagnitude(0.6).masks(net)
    for name, weight in prunable_weights(net).items():
        (keep,) = numpy_keep([weight.detach().abs().numpy()], 0.6)
        np.testing.assert_array_equal(masks[name].numpy().ravel(), keep)
        assert 1 - keep.mean() == pytest.approx(0.6, abs=0.5 / keep.size)
    # One global threshold prunes the layers unevenly (the 3-output head has the largest weights).
    global_masks = GlobalMagnitude(0.6).masks(net)
    assert any(not torch.equal(global_masks[n], masks[n]) for n in masks)


def test_random_pruner_prunes_the_exact_count_reproducibly():
    net = model()
    first, again = RandomPruner(0.7, seed=3).masks(net), RandomPruner(0.7, seed=3).masks(net)
    other = RandomPruner(0.7, seed=4).masks(net)
    total = sum(m.numel() for m in first.values())
    assert sum(int((~m).sum()) for m in first.values()) == round(0.7 * total)
    assert all(torch.equal(first[n], again[n]) for n in first)
    assert any(not torch.equal(first[n], other[n]) for n in first)


@pytest.mark.parametrize("name", PRUNERS.names())
def test_every_pruner_refuses_a_sparsity_of_one(name):
    with pytest.raises(Exception, match="sparsity"):
        PRUNERS.get(name).build(sparsity=1.0)
