"""Multilayer perceptron: flatten, then ``depth`` blocks of linear -> norm -> activation -> dropout."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Annotated

import torch
from pydantic import Field, PositiveInt
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.models._layers import parametrized
from trainlab.models._shapes import ALL_KINDS
from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.cosine import Head, head_layer
from trainlab.nn.dropout import DropoutSpec, make_dropout
from trainlab.nn.init import ModelInit, apply_init
from trainlab.nn.normalization import NormSpec, make_norm
from trainlab.registry import MODELS


def _hidden_widths(depth: int, width: int | list[int]) -> list[int]:
    """The width of each hidden layer, with a cross-field check of ``depth`` against ``width``.

    Raises:
        ConfigError: ``width`` is a list whose length is not ``depth``.
    """
    if isinstance(width, int):
        return [width] * depth
    if len(width) != depth:
        raise ConfigError(
            [
                Problem(
                    "width",
                    f"lists {len(width)} widths but depth is {depth}; give one width per hidden layer "
                    f"or set depth: {len(width)}",
                )
            ]
        )
    return list(width)


@MODELS.register(
    "mlp",
    reference="Rumelhart, Hinton & Williams 1986, Learning Representations by Back-Propagating Errors "
    "(Nature 323); block order linear -> norm -> activation as in Ioffe & Szegedy 2015, arXiv:1502.03167",
    flags={"inputs": ALL_KINDS},
)
def mlp(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    depth: Annotated[int, Field(ge=0)] = 2,
    width: PositiveInt | list[PositiveInt] = 128,
    activation: ActivationSpec = "relu",
    norm: NormSpec = "none",
    dropout: Annotated[float, Field(ge=0, lt=1)] | DropoutSpec = 0.0,
    bias: bool = True,
    share_hidden: bool = False,
    head: Head = "linear",
    init: ModelInit = None,
) -> nn.Module:
    """Multilayer perceptron on the flattened input; takes any input shape.

    Each hidden layer is ``linear -> norm -> activation -> dropout``: normalising the
    pre-activations follows Ioffe & Szegedy 2015, and dropout after the activation follows
    Srivastava et al. 2014. The output layer is a plain linear layer giving logits.

    Args:
        input_shape: Shape of one sample; it is flattened, so an image becomes a vector.
        num_outputs: Width of the output layer.
        depth: Number of hidden layers; 0 gives a linear model (logistic regression with a
            cross-entropy loss).
        width: Units of every hidden layer, or a list with one width per hidden layer.
        activation: Activation name or ``{name: ..., **options}`` (see ``trainlab catalog activations``).
        norm: Normalization after each hidden linear layer (see ``trainlab catalog norms``).
        dropout: Probability of zeroing a hidden unit during training, or a dropout-family layer
            ``{name: alpha, p: 0.05}`` (see ``trainlab catalog dropouts``).
        bias: Whether hidden linear layers have a bias. The output layer always has one,
            since no norm follows it to supply a shift.
        share_hidden: Weight sharing across depth (Lan et al. 2020, ALBERT's cross-layer sharing; Dehghani
            et al. 2019): hidden layers 2 to ``depth`` are one block (linear, norm, activation, dropout)
            applied ``depth - 1`` times, so depth adds computation but no parameters. Needs equal widths.
        head: The output layer: ``linear``, or ``cosine`` (a :class:`~trainlab.nn.CosineLinear` whose outputs
            are cosines in [-1, 1], for the margin-softmax losses arcface, cosface and sphereface).
        init: Initialization of the weight layers when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's
            defaults. Biases become 0 unless the spec sets ``bias``.

    Returns:
        An ``nn.Sequential`` with named layers (``linear1``, ``norm1``, ``act1``, ``dropout1``,
        ..., ``head``) mapping ``(N, *input_shape)`` to ``(N, num_outputs)``.

    Raises:
        ConfigError: ``width`` is a list of the wrong length, or the norm does not fit.
    """
    widths = _hidden_widths(depth, width)
    if share_hidden and (depth < 2 or len(set(widths)) > 1):
        raise ConfigError(
            [
                Problem(
                    "share_hidden",
                    f"shares hidden layers 2..depth, so it needs depth >= 2 and one width (got depth {depth}, widths {widths})",
                )
            ]
        )
    repeats = depth - 1 if share_hidden else 1
    widths = widths[:2] if share_hidden else widths
    layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
    in_features = math.prod(input_shape)
    norm_layer: nn.Module = nn.Identity()  # a linear model (depth 0) has no norm slot
    for index, out_features in enumerate(widths, start=1):
        # Every block keeps all four layers (dropout 0 and norm "none" are identities) so that
        # parameter names stay the same across an ablation of those options.
        norm_layer = make_norm(norm, out_features, spatial_dims=0)
        dropout_layer = make_dropout(dropout, spatial_dims=0, key="dropout")
        linear = nn.Linear(in_features, out_features, bias=bias)
        layers[f"linear{index}"] = parametrized(linear, norm_layer, dropout_layer)
        layers[f"norm{index}"] = norm_layer
        layers[f"act{index}"] = make_activation(activation)
        layers[f"dropout{index}"] = dropout_layer
        in_features = out_features
    if repeats > 1:  # the second block, applied depth - 1 times
        block = nn.Sequential(
            OrderedDict((name[:-1], layers.pop(name)) for name in ("linear2", "norm2", "act2", "dropout2"))
        )
        layers["shared"] = RepeatedBlock(block, repeats)
    # Weight norm reaches the output layer too; DropConnect only the hidden ones (Wan et al. 2013).
    layers["head"] = parametrized(head_layer(in_features, num_outputs, head), norm_layer)
    return apply_init(nn.Sequential(layers), init)


class RepeatedBlock(nn.Module):
    """One block applied ``times`` times in a row: depth with shared weights (each application reuses them)."""

    def __init__(self, block: nn.Module, times: int):
        super().__init__()
        self.block, self.times = block, times

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.times):
            x = self.block(x)
        return x

    def extra_repr(self) -> str:
        return f"times={self.times}"
