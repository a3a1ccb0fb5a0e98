"""The MNIST-1D convolutional network: three strided 1-D convolutions and a linear classifier.

Greydanus 2020 ("Scaling down deep learning", arXiv:2011.14439) benchmarks this network on
MNIST-1D, where it reaches about 94% test accuracy with 5,210 parameters. The layers follow
``ConvBase`` in https://github.com/greydanus/mnist1d (``notebooks/models.py``); the reference
hard-codes the classifier's input (125 = 25 channels x 5 positions, for length-40 inputs),
which this version computes from the input length instead.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated

from pydantic import Field
from torch import nn

from trainlab.errors import ModelError
from trainlab.models._layers import parametrized
from trainlab.models._shapes import flat_output_size, require_input_kind
from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.cosine import Head, head_layer
from trainlab.nn.init import ModelInit, apply_init
from trainlab.nn.normalization import NormSpec, make_norm
from trainlab.nn.pooling import PoolSpec, make_pool
from trainlab.registry import MODELS

INPUTS = ("signal",)

# (kernel_size, stride, padding) of the three convolutions, as in the reference ConvBase.
CONV_LAYOUT = ((5, 2, 1), (3, 2, 1), (3, 2, 1))


def conv_output_length(length: int, kernel_size: int, stride: int, padding: int) -> int:
    """Output length of a 1-D convolution (the formula in the ``nn.Conv1d`` docs, dilation 1)."""
    return (length + 2 * padding - kernel_size) // stride + 1


@MODELS.register(
    "cnn1d",
    reference="Greydanus 2020, Scaling down Deep Learning, arXiv:2011.14439 "
    "(github.com/greydanus/mnist1d, ConvBase)",
    flags={"inputs": INPUTS},
)
def cnn1d(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    channels: Annotated[int, Field(ge=1)] = 25,
    activation: ActivationSpec = "relu",
    norm: NormSpec = "none",
    pool: PoolSpec = "none",
    head: Head = "linear",
    init: ModelInit = None,
) -> nn.Module:
    """The MNIST-1D paper's CNN: three strided conv1d layers and a linear classifier.

    ``conv(C -> channels, k5 s2 p1) -> act -> conv(k3 s2 p1) -> act -> conv(k3 s2 p1) -> act
    -> flatten -> linear``. Each convolution halves the length, so a length-40 signal
    reaches the classifier as 5 positions. With the defaults, a ``(1, 40)`` input and 10
    outputs this is exactly the paper's 5,210-parameter network.

    Args:
        input_shape: ``(C, L)``; the reference takes one channel, this takes any C.
        num_outputs: Width of the linear classifier.
        channels: Channels of every convolution (25 in the paper).
        activation: Activation name or ``{name: ..., **options}`` (ReLU in the paper).
        norm: Normalization after each convolution (none in the paper; ``trainlab catalog norms``).
        pool: Pooling before the classifier (none in the paper; ``trainlab catalog poolings``).
        head: The output layer: ``linear``, or ``cosine`` (a :class:`~trainlab.nn.CosineLinear` whose outputs
            are cosines in [-1, 1], for the margin-softmax losses arcface, cosface and sphereface).
        init: Initialization of the weight layers when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's
            defaults. Biases become 0 unless the spec sets ``bias``.

    Returns:
        An ``nn.Sequential`` (``conv1``, ``act1``, ..., ``conv3``, ``act3``, ``flatten``,
        ``head``) mapping ``(N, C, L)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input is not a signal, or it is shorter than 3 steps.
    """
    require_input_kind("cnn1d", input_shape, INPUTS)
    in_channels, length = input_shape
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    norm_layer: nn.Module = nn.Identity()
    for index, (kernel_size, stride, padding) in enumerate(CONV_LAYOUT, start=1):
        length = conv_output_length(length, kernel_size, stride, padding)
        if length < 1:
            raise ModelError(
                f"'cnn1d' needs signals of at least 3 steps (its first convolution has kernel 5 and "
                f"padding 1), got length {input_shape[1]}; use mlp for shorter inputs"
            )
        norm_layer = make_norm(norm, channels, spatial_dims=1)
        conv = nn.Conv1d(in_channels, channels, kernel_size, stride=stride, padding=padding)
        layers[f"conv{index}"] = parametrized(conv, norm_layer)
        if norm != "none":  # absent rather than an identity, so the paper network's module names stay its own
            layers[f"norm{index}"] = norm_layer
        layers[f"act{index}"] = make_activation(activation)
        in_channels = channels
    layers["pool"] = make_pool(pool, spatial_dims=1)
    layers["flatten"] = nn.Flatten()
    output = head_layer(flat_output_size(nn.Sequential(layers), input_shape), num_outputs, head)
    layers["head"] = parametrized(output, norm_layer)
    return apply_init(nn.Sequential(layers), init)
