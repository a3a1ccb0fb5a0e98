"""center loss: the centre term and Wen et al.'s centre update written out here, and centres surviving a resume."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import trainlab
from trainlab.errors import ConfigError
from trainlab.losses.center import CenterLoss


def _attached(weight=0.1, alpha=0.5):
    model = nn.Sequential()
    model.add_module("body", nn.Linear(4, 3))
    model.add_module("head", nn.Linear(3, 2))
    loss = CenterLoss(weight=weight, alpha=alpha)
    loss.attach(model)
    return model, loss


def test_the_loss_adds_half_the_mean_squared_distance_to_the_class_centres():
    torch.manual_seed(0)
    model, loss = _attached()
    loss.centers = torch.randn(2, 3)
    centers = loss.centers.clone()
    x, y = torch.randn(6, 4), torch.tensor([0, 1, 1, 0, 1, 1])
    with torch.no_grad():  # evaluation: no centre update
        terms = loss(model(x), y)
        features = model.body(x)
    expected_center = 0.5 * ((features - centers[y]) ** 2).sum(1).mean()
    torch.testing.assert_close(terms.terms["center"], expected_center)
    torch.testing.assert_close(terms.total, F.cross_entropy(model(x), y) + 0.1 * expected_center)
    torch.testing.assert_close(loss.centers, centers)


def test_a_training_step_moves_each_centre_by_wen_et_al_eq_4():
    torch.manual_seed(1)
    model, loss = _attached(alpha=0.5)
    loss.centers = torch.randn(2, 3)
    before = loss.centers.clone()
    x, y = torch.randn(5, 4), torch.tensor([0, 0, 1, 0, 0])
    loss(model(x), y)
    features = model.body(x).detach()
    for j in range(2):
        members = features[y == j]
        delta = (before[j] - members).sum(0) / (1 + len(members))
        torch.testing.assert_close(loss.centers[j], before[j] - 0.5 * delta)


def test_a_model_without_a_head_layer_is_refused():
    with pytest.raises(ConfigError, match="'head'"):
        CenterLoss().attach(nn.Sequential(nn.Linear(3, 2)))


def test_centres_are_checkpointed_and_a_resumed_run_ends_identical(tmp_path):
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 8},
        "loss": {"name": "center", "weight": 0.05},
        "train": {"steps": 40, "batch_size": 16, "checkpoint_every": 20, "deterministic": True},
    }
    whole = trainlab.fit({**recipe, "out": str(tmp_path / "whole")}, verbose=0)
    trainlab.fit({**recipe, "out": str(tmp_path / "split")}, steps=20, verbose=0)
    resumed = trainlab.fit(resume=tmp_path / "split", steps=40, verbose=0)
    for a, b in zip(whole.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert any("loss.center" in row for row in whole.history)
