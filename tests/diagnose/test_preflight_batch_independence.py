"""Batch independence: no sample's output depends on another's input; batch norm is the expected exception."""

import torch
from preflight_data import RECIPE, healthy
from torch import nn

from trainlab.diagnose import preflight
from trainlab.diagnose.preflight.batch_independence import coupled_pairs


class SampleMixer(nn.Module):
    """Centres each feature over the batch: every output depends on every sample."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(6, 3)

    def forward(self, x):
        return self.layer(x - x.mean(0, keepdim=True))


class ReshapeBug(nn.Module):
    """Flattens with view(-1, n) on a transposed tensor, so features of different samples share a row."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(6, 3)

    def forward(self, x):
        return self.layer(x.t().reshape(-1, 6))


def result(model):
    return preflight(RECIPE, data=healthy(), model=model, checks=["batch_independence"]).result(
        "batch_independence"
    )


def _reference_pairs(model, inputs):
    # The full Jacobian d outputs / d inputs, from torch, block by block.
    jacobian = torch.autograd.functional.jacobian(model, inputs.double())
    blocks = jacobian.reshape(len(inputs), -1, len(inputs), inputs[0].numel()).abs().amax((1, 3))
    return [(i, j) for i in range(len(inputs)) for j in range(len(inputs)) if i != j and blocks[i, j] > 0]


def test_coupled_pairs_match_the_jacobian():
    torch.manual_seed(0)
    inputs = torch.randn(4, 6)
    for model in (nn.Linear(6, 3).double(), SampleMixer().double(), ReshapeBug().double()):
        assert coupled_pairs(model, inputs) == _reference_pairs(model, inputs)


def test_an_mlp_is_batch_independent():
    assert result(None).status == "pass"


def test_a_model_that_mixes_samples_fails():
    for model in (SampleMixer(), ReshapeBug()):
        row = result(model)
        assert row.status == "fail" and "mixes samples" in row.meaning
        assert "x.flatten(1)" in row.fix


def test_batch_norm_is_the_expected_exception():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    row = result(model)
    assert row.status == "pass" and "batch norm" in row.measured and "1" in row.measured
