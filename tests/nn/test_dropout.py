"""The dropout family: what each zeroes, its scaling, and eval-mode identity."""

import pytest
import torch
from torch import nn

from trainlab.models import build_model
from trainlab.nn import DROPOUTS, WeightDropout, drop_path, make_dropout


def test_spatial_dropout_zeroes_whole_channels():
    torch.manual_seed(0)
    layer = make_dropout({"name": "spatial", "p": 0.5}, 2).train()
    out = layer(torch.ones(8, 16, 4, 4))
    per_channel = out.flatten(2)
    assert torch.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))


def test_drop_path_drops_whole_samples_and_rescales():
    torch.manual_seed(0)
    out = drop_path(torch.ones(10000, 3), 0.3, training=True)
    rows = out[:, 0]
    assert torch.all((out == 0).all(1) | (out == 1 / 0.7).all(1))
    assert (rows == 0).double().mean().item() == pytest.approx(0.3, abs=0.02)


def test_dropconnect_masks_weights_in_training_only():
    model = build_model("mlp", (6,), 3, depth=1, width=50, dropout={"name": "dropconnect", "p": 0.5})
    assert nn.utils.parametrize.is_parametrized(model.linear1, "weight")
    assert not nn.utils.parametrize.is_parametrized(model.head)
    model.train()
    weight = model.linear1.weight
    assert (weight == 0).double().mean().item() == pytest.approx(0.5, abs=0.1)
    model.eval()
    torch.testing.assert_close(model.linear1.weight, model.linear1.parametrizations.weight.original)
    assert isinstance(model.linear1.parametrizations.weight[0], WeightDropout)


@pytest.mark.parametrize("name", DROPOUTS.names())
def test_every_dropout_is_the_identity_in_eval(name):
    layer = make_dropout({"name": name, "p": 0.5}, 1).eval()
    x = torch.randn(3, 4, 5)
    torch.testing.assert_close(layer(x), x)


def test_alpha_dropout_keeps_selu_statistics():
    torch.manual_seed(0)
    x = torch.randn(200000)
    out = make_dropout({"name": "alpha", "p": 0.2}, 0).train()(x)
    assert out.mean().item() == pytest.approx(0.0, abs=0.02)
    assert out.std().item() == pytest.approx(1.0, abs=0.02)
