"""cnn2d: layer sizes for 8x8 digits, options, and the errors for inputs that are not images."""

import pytest
import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.models import build_model, count_parameters


def test_digits_layout_and_parameter_count():
    model = build_model("cnn2d", (1, 8, 8), 10)
    conv1 = 1 * 32 * 9 + 32
    conv2 = 32 * 64 * 9 + 64
    head = 64 * 4 * 4 * 10 + 10  # one 2x2 max-pool: 8x8 -> 4x4
    assert count_parameters(model) == conv1 + conv2 + head
    assert model(torch.randn(5, 1, 8, 8)).shape == (5, 10)


def test_channels_norm_and_dropout_options():
    model = build_model("cnn2d", (3, 9, 7), 4, channels=[8, 8, 16], norm="batch", dropout=0.25)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 8, 16]
    # A bias before batch norm is cancelled by the mean subtraction, so the convolutions have none.
    assert all(c.bias is None for c in convs)
    assert isinstance(model.norm3, nn.BatchNorm2d)
    assert model.dropout.p == 0.25
    assert model.head.in_features == 16 * 4 * 3
    assert model(torch.randn(2, 3, 9, 7)).shape == (2, 4)


def test_convolutions_have_a_bias_without_norm():
    model = build_model("cnn2d", (1, 8, 8), 10)
    assert model.conv1.bias is not None


def test_signal_input_is_a_model_error_that_suggests_other_models():
    with pytest.raises(ModelError) as info:
        build_model("cnn2d", (1, 40), 10)
    message = str(info.value)
    assert message.startswith("model.name: 'cnn2d' needs an image (C, H, W) input")
    assert "a signal (C, L) of shape (1, 40)" in message
    assert "cnn1d" in message and "mlp" in message


def test_image_smaller_than_the_pool_is_a_model_error():
    with pytest.raises(ModelError, match="at least 2x2"):
        build_model("cnn2d", (1, 1, 8), 10)
