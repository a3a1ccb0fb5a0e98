"""Encoders and decoders for the representation models: MLP (optionally tied) or strided conv1d."""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.errors import ModelError
from trainlab.nn.activations import ActivationSpec, make_activation

Architecture = Literal["mlp", "conv1d"]


class TiedLinear(nn.Module):
    """A linear layer that applies the transpose of another one's weight, with a bias of its own.

    The source layer is kept outside the module tree, so its weight is stored (and trained) once,
    by the encoder that owns it (Vincent et al. 2010 tie the decoder as W' = W^T).
    """

    def __init__(self, source: nn.Linear):
        super().__init__()
        self._source = [source]  # a list, so that nn.Module does not register it a second time
        self.bias = nn.Parameter(torch.zeros(source.in_features))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.linear(inputs, self._source[0].weight.t(), self.bias)


def build_coders(
    input_shape: tuple[int, ...],
    code_width: int,
    latent: int,
    *,
    architecture: Architecture,
    hidden: list[int],
    activation: ActivationSpec,
    tied: bool = False,
) -> tuple[nn.Sequential, nn.Sequential]:
    """An encoder ``(N, *input_shape) -> (N, code_width)`` and a decoder ``(N, latent) -> (N, *input_shape)``.

    ``code_width`` differs from ``latent`` for a VAE, whose encoder outputs a mean and a
    log-variance per latent unit. The decoder mirrors the encoder's hidden layers.

    Raises:
        ModelError: conv1d on inputs that are not signals, a length the strides do not divide,
            or tied weights on a conv1d or a VAE encoder.
    """
    if tied and (architecture != "mlp" or code_width != latent):
        raise ModelError("tied weights need the mlp architecture of a plain autoencoder; set tied: false")
    if architecture == "conv1d":
        return _conv1d_coders(input_shape, code_width, latent, hidden, activation)
    features = math.prod(input_shape)
    widths = [features, *hidden]
    encoder = nn.Sequential(nn.Flatten())
    for index, (fan_in, fan_out) in enumerate(zip(widths, widths[1:], strict=False), start=1):
        encoder.add_module(f"linear{index}", nn.Linear(fan_in, fan_out))
        encoder.add_module(f"act{index}", make_activation(activation, key="activation"))
    encoder.add_module("code", nn.Linear(widths[-1], code_width))
    encoder_linears = [m for m in encoder if isinstance(m, nn.Linear)]
    decoder = nn.Sequential()
    reversed_widths = [latent, *reversed(hidden), features]
    for index, (fan_in, fan_out) in enumerate(
        zip(reversed_widths, reversed_widths[1:], strict=False), start=1
    ):
        source = encoder_linears[-index]
        decoder.add_module(f"linear{index}", TiedLinear(source) if tied else nn.Linear(fan_in, fan_out))
        if index < len(reversed_widths) - 1:
            decoder.add_module(f"act{index}", make_activation(activation, key="activation"))
    decoder.add_module("unflatten", nn.Unflatten(1, input_shape))
    return encoder, decoder


def _conv1d_coders(
    input_shape: tuple[int, ...],
    code_width: int,
    latent: int,
    channels: list[int],
    activation: ActivationSpec,
) -> tuple[nn.Sequential, nn.Sequential]:
    """Stride-2 convolutions (kernel 4, padding 1: each halves the length) and their transposes."""
    if len(input_shape) != 2:
        raise ModelError(f"architecture conv1d needs a signal (C, L), but the data gives shape {input_shape}")
    in_channels, length = input_shape
    if not channels:
        raise ModelError(
            "architecture conv1d needs at least one hidden width (channels); set hidden: [16, 32]"
        )
    if length % 2 ** len(channels):
        raise ModelError(
            f"conv1d halves the length {len(channels)} times, which length {length} does not allow; "
            f"use fewer hidden layers or architecture: mlp"
        )
    reduced = length // 2 ** len(channels)
    encoder = nn.Sequential()
    previous = in_channels
    for index, width in enumerate(channels, start=1):
        encoder.add_module(f"conv{index}", nn.Conv1d(previous, width, 4, stride=2, padding=1))
        encoder.add_module(f"act{index}", make_activation(activation, key="activation"))
        previous = width
    encoder.add_module("flatten", nn.Flatten())
    encoder.add_module("code", nn.Linear(previous * reduced, code_width))
    decoder = nn.Sequential(
        nn.Linear(latent, previous * reduced),
        make_activation(activation, key="activation"),
        nn.Unflatten(1, (previous, reduced)),
    )
    widths = [*reversed(channels[:-1]), in_channels]
    for index, width in enumerate(widths, start=1):
        decoder.add_module(f"deconv{index}", nn.ConvTranspose1d(previous, width, 4, stride=2, padding=1))
        if index < len(widths):
            decoder.add_module(f"act{index}", make_activation(activation, key="activation"))
        previous = width
    return encoder, decoder


def first_layer_filters(encoder: nn.Sequential) -> torch.Tensor:
    """The first weight layer's filters as rows ``(units, inputs)``, for pictures."""
    first = next(m for m in encoder.modules() if isinstance(m, (nn.Linear, nn.Conv1d)))
    return first.weight.detach().reshape(first.weight.shape[0], -1)
