"""Layers from input to head, and the head, found in any model's module tree."""

import pytest
import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.finetune.layers import find_head, model_layers, replace_head
from trainlab.models import build_model


def test_cnn1d_layers_are_its_three_convolutions_and_the_head():
    layers = model_layers(build_model("cnn1d", (1, 40), 10))
    assert [layer.modules for layer in layers] == [("conv1",), ("conv2",), ("conv3",), ("head",)]
    assert layers[-1].parameters == ("head.weight", "head.bias")


def test_a_normalization_layer_joins_the_layer_before_it():
    model = build_model("mlp", (1, 40), 10, norm="batch", depth=2)
    layers = model_layers(model)
    assert [layer.modules for layer in layers] == [("linear1", "norm1"), ("linear2", "norm2"), ("head",)]
    every_name = [name for layer in layers for name in layer.parameters]
    assert sorted(every_name) == sorted(name for name, _ in model.named_parameters())


def test_containers_are_opened_so_each_residual_block_is_a_layer():
    model = build_model("resnet", (1, 8, 8), 10)
    layers = model_layers(model)
    blocks = [name for name, _ in model.blocks.named_children()]
    assert [layer.modules[0] for layer in layers] == ["stem", *(f"blocks.{b}" for b in blocks), "head"]
    assert layers[-2].modules[-1] == "norm"  # the final norm scales the last block's output


def test_a_wrapped_sequential_is_opened():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

        def forward(self, x):
            return self.net(x)

    layers = model_layers(Wrapper())
    assert [layer.modules for layer in layers] == [("net.0",), ("net.2",)]


def test_head_is_the_head_attribute_or_the_last_linear():
    assert find_head(build_model("cnn1d", (1, 40), 10))[0] == "head"
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    assert find_head(model) == ("2", model[2])
    with pytest.raises(ModelError, match="no nn.Linear"):
        find_head(nn.Sequential(nn.Conv1d(1, 2, 3)))


def test_replace_head_keeps_the_body_and_gives_the_new_width():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    body = model[0].weight.clone()
    assert replace_head(model, 5) == "2"
    assert model(torch.zeros(2, 4)).shape == (2, 5)
    assert torch.equal(model[0].weight, body)
