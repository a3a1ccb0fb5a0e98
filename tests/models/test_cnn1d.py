"""cnn1d against the MNIST-1D paper's ConvBase, written out independently here."""

import pytest
import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.models import build_model, count_parameters


class PaperConvBase(nn.Module):
    """ConvBase from github.com/greydanus/mnist1d (notebooks/models.py), without the print."""

    def __init__(self, output_size, channels=25, linear_in=125):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(linear_in, output_size)

    def forward(self, x):
        x = x.view(-1, 1, x.shape[-1])
        h1 = self.conv1(x).relu()
        h2 = self.conv2(h1).relu()
        h3 = self.conv3(h2).relu()
        h3 = h3.view(h3.shape[0], -1)
        return self.linear(h3)


def test_paper_configuration_has_5210_parameters():
    assert count_parameters(build_model("cnn1d", (1, 40), 10)) == 5210


def test_matches_the_paper_network():
    torch.manual_seed(0)
    reference = PaperConvBase(10)
    model = build_model("cnn1d", (1, 40), 10)
    # Same layers, our names: convN -> convN, linear -> head.
    renamed = {k.replace("linear.", "head."): v for k, v in reference.state_dict().items()}
    model.load_state_dict(renamed)
    x = torch.randn(16, 1, 40)
    torch.testing.assert_close(model(x), reference(x), rtol=0, atol=0)


@pytest.mark.parametrize("length", [3, 4, 40, 50, 101])
def test_classifier_input_fits_any_length(length):
    model = build_model("cnn1d", (2, length), 4, channels=7)
    # Measure the flattened feature size by running the convolutions, independently of the formula.
    features = model[:-1](torch.zeros(1, 2, length))
    assert model.head.in_features == features.shape[1]
    assert model(torch.randn(3, 2, length)).shape == (3, 4)


def test_channels_and_activation_options():
    model = build_model("cnn1d", (1, 40), 10, channels=8, activation="gelu")
    assert model.conv1.out_channels == model.conv3.out_channels == 8
    assert isinstance(model.act2, nn.GELU)


def test_too_short_signal_is_a_model_error():
    with pytest.raises(ModelError, match=r"model\.name: 'cnn1d' needs signals of at least 3 steps"):
        build_model("cnn1d", (1, 2), 10)


def test_image_input_names_the_models_that_take_it():
    with pytest.raises(ModelError, match=r"model\.name: 'cnn1d' needs a signal \(C, L\).*cnn2d"):
        build_model("cnn1d", (1, 8, 8), 10)


def test_norm_option_normalizes_after_each_convolution():
    import torch

    from trainlab.models import build_model

    model = build_model("cnn1d", (1, 40), 10, norm="batch")
    names = [name for name, _ in model.named_children()]
    assert names[:6] == ["conv1", "norm1", "act1", "conv2", "norm2", "act2"]
    assert all(isinstance(getattr(model, f"norm{i}"), torch.nn.BatchNorm1d) for i in (1, 2, 3))
    assert sum(p.numel() for p in model.parameters()) == 5210 + 3 * 2 * 25  # a scale and a shift per channel
    paper = build_model("cnn1d", (1, 40), 10)
    assert not any(name.startswith("norm") for name, _ in paper.named_children())
