"""ohem: the mean loss of the hardest samples, chosen by their own loss, and a gradient only through them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.losses.ohem import OHEMLoss


def test_keeps_the_hardest_share_and_averages_their_cross_entropy():
    torch.manual_seed(0)
    logits, targets = torch.randn(40, 5, requires_grad=True), torch.randint(5, (40,))
    per_sample = F.cross_entropy(logits, targets, reduction="none")
    hardest = sorted(per_sample.tolist(), reverse=True)[:10]
    loss = OHEMLoss(keep=0.25, min_kept=1)(logits, targets)
    assert loss.item() == pytest.approx(sum(hardest) / 10, rel=1e-6)
    loss.backward()
    touched = (logits.grad.abs().sum(dim=1) > 0).sum().item()
    assert touched == 10  # the easy samples get no gradient


def test_min_kept_and_focal_criterion():
    logits, targets = torch.randn(6, 3), torch.randint(3, (6,))
    focal = OHEMLoss(keep=0.1, min_kept=4, criterion="focal", gamma=2.0)
    p = F.softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)
    per_sample = -((1 - p) ** 2) * torch.log(p)
    expected = per_sample.topk(4).values.mean()
    torch.testing.assert_close(focal(logits, targets), expected)
    assert math.isclose(
        OHEMLoss(keep=1.0)(logits, targets).item(), F.cross_entropy(logits, targets).item(), rel_tol=1e-6
    )


def test_trains_from_a_recipe():
    result = trainlab.fit(
        {
            "data": "iris",
            "model": {"name": "mlp", "width": 16},
            "loss": {"name": "ohem", "keep": 0.5},
            "optimizer": {"name": "adam", "lr": 0.01},
            "train": {"steps": 60, "batch_size": 32},
        },
        save=False,
        verbose=0,
    )
    assert result.summary["test"]["accuracy"] > 0.6
