"""mixed and gated pooling against max and average pooling and the gate written out per window."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.nn import GatedPool, MixedPool, make_pool


def test_mixed_pooling_is_a_learned_convex_mix_of_max_and_average():
    x = torch.randn(3, 4, 10)
    pool = MixedPool(1, kernel_size=2)
    torch.testing.assert_close(pool(x), 0.5 * F.max_pool1d(x, 2) + 0.5 * F.avg_pool1d(x, 2))
    with torch.no_grad():
        pool.mix_logit.fill_(30.0)
    torch.testing.assert_close(pool(x), F.max_pool1d(x, 2))
    pool.mix_logit.data.fill_(0.3)
    pool(x).sum().backward()
    assert pool.mix_logit.grad is not None and pool.mix_logit.grad != 0


def test_gated_pooling_gates_each_window_by_its_inner_product_with_the_mask():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 6)
    pool = GatedPool(2, kernel_size=2)
    with torch.no_grad():
        pool.mask.copy_(torch.randn(2, 2))
    out = pool(x)
    largest, mean = F.max_pool2d(x, 2), F.avg_pool2d(x, 2)
    for n in range(2):
        for c in range(3):
            for i in range(3):
                for j in range(3):
                    window = x[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    gate = torch.sigmoid((window * pool.mask).sum())
                    expected = gate * largest[n, c, i, j] + (1 - gate) * mean[n, c, i, j]
                    torch.testing.assert_close(out[n, c, i, j], expected)


@pytest.mark.parametrize("name", ["mixed", "gated"])
def test_built_by_name_and_trained_in_a_model(name):
    assert make_pool({"name": name, "kernel_size": 2}, spatial_dims=1)(torch.randn(1, 2, 8)).shape == (
        1,
        2,
        4,
    )
    result = trainlab.fit(
        {"data": "mnist1d", "model": {"name": "cnn1d", "pool": name}, "train": {"steps": 3}},
        save=False,
        verbose=0,
    )
    pool = result.model.pool
    assert any(p.requires_grad for p in pool.parameters())
