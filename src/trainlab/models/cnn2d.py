"""A small 2-D CNN for tiny images (8x8 sklearn digits, 28x28 MNIST): 3x3 convolutions, one max-pool, a linear head."""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated

from pydantic import Field, PositiveInt
from torch import nn

from trainlab.errors import ModelError
from trainlab.models._layers import parametrized
from trainlab.models._shapes import flat_output_size, require_input_kind
from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.cosine import Head, head_layer
from trainlab.nn.dropout import DropoutSpec, make_dropout
from trainlab.nn.init import ModelInit, apply_init
from trainlab.nn.normalization import NormSpec, make_norm
from trainlab.nn.pooling import PoolSpec, make_pool
from trainlab.registry import MODELS

INPUTS = ("image",)


@MODELS.register(
    "cnn2d",
    reference="LeCun, Bottou, Bengio & Haffner 1998, Gradient-Based Learning Applied to Document "
    "Recognition (Proc. IEEE); 3x3 convolutions as in Simonyan & Zisserman 2014, arXiv:1409.1556",
    flags={"inputs": INPUTS},
)
def cnn2d(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    channels: Annotated[tuple[PositiveInt, ...], Field(min_length=1)] = (32, 64),
    activation: ActivationSpec = "relu",
    norm: NormSpec = "none",
    dropout: Annotated[float, Field(ge=0, lt=1)] | DropoutSpec = 0.0,
    pool: PoolSpec = "max",
    head: Head = "linear",
    init: ModelInit = None,
) -> nn.Module:
    """A small CNN: ``[conv3x3 -> norm -> act] per entry of channels -> maxpool 2 -> dropout -> linear``.

    The convolutions are padded so that they keep the image size, and there is a single
    2x2 max-pool at the end: an 8x8 digit has little resolution to spare, so it is
    downsampled once (to 4x4) before the classifier, in the spirit of LeNet (LeCun et al.
    1998) with the stacked 3x3 kernels of Simonyan & Zisserman 2014.

    Args:
        input_shape: ``(C, H, W)`` with H and W at least 2.
        num_outputs: Width of the linear classifier.
        channels: Output channels of each 3x3 convolution, in order.
        activation: Activation name or ``{name: ..., **options}``.
        norm: Normalization after each convolution (``"none"``, ``"batch"``, ...).
        dropout: Probability of zeroing a pooled feature during training, or a dropout-family layer
            such as ``{name: spatial, p: 0.1}``.
        pool: The pooling before the classifier (``trainlab catalog poolings``); 2x2 max by default.
        head: The output layer: ``linear``, or ``cosine`` (a :class:`~trainlab.nn.CosineLinear` whose outputs
            are cosines in [-1, 1], for the margin-softmax losses arcface, cosface and sphereface).
        init: Initialization of the weight layers when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's
            defaults. Biases become 0 unless the spec sets ``bias``.

    Returns:
        An ``nn.Sequential`` (``conv1``, ``norm1``, ``act1``, ..., ``pool``, ``dropout``,
        ``flatten``, ``head``) mapping ``(N, C, H, W)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input is not an image, or it is smaller than 2x2.
    """
    require_input_kind("cnn2d", input_shape, INPUTS)
    in_channels, height, width = input_shape
    if height < 2 or width < 2:
        raise ModelError(
            f"'cnn2d' max-pools by 2, so images must be at least 2x2, got {height}x{width}; use mlp instead"
        )
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    dropout_layer = make_dropout(dropout, spatial_dims=2, key="dropout")
    for index, out_channels in enumerate(channels, start=1):
        norm_layer = make_norm(norm, out_channels, spatial_dims=2)
        # A bias before a norm is subtracted away again (exactly so for batch norm), so the
        # convolution only has one when no norm follows (weight norm's slot is an identity).
        has_bias = isinstance(norm_layer, nn.Identity)
        conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=has_bias)
        layers[f"conv{index}"] = parametrized(conv, norm_layer, dropout_layer)
        layers[f"norm{index}"] = norm_layer
        layers[f"act{index}"] = make_activation(activation)
        in_channels = out_channels
    layers["pool"] = make_pool(pool, spatial_dims=2)
    layers["dropout"] = dropout_layer
    layers["flatten"] = nn.Flatten()
    output = head_layer(flat_output_size(nn.Sequential(layers), input_shape), num_outputs, head)
    # Weight norm reaches the output layer too; DropConnect only the hidden ones (Wan et al. 2013).
    layers["head"] = parametrized(output, norm_layer)
    return apply_init(nn.Sequential(layers), init)
