"""A small pre-activation residual network for feature vectors, signals and images.

He, Zhang, Ren & Sun 2016a ("Deep Residual Learning for Image Recognition", arXiv:1512.03385)
add a learned residual to an identity shortcut. This network uses the *pre-activation* block
of their follow-up, He et al. 2016b ("Identity Mappings in Deep Residual Networks",
arXiv:1603.05027, Fig. 4e)::

    x ──────────────────────────────────────────────┐
    └─ norm ─ act ─ layer ─ norm ─ act ─ layer ─ (+) ─▶ x + branch(x)

Nothing sits on the shortcut or after the addition, so each block is exactly
``x + branch(x)``: with ``zero_init_residual`` every block starts as the identity, and the
signal reaches the head undistorted through any depth. Because the last block ends in a
layer, a final ``norm -> act`` precedes the pooling, as in He et al. 2016b.

The same block serves all three input kinds, with ``layer`` chosen by the input:

- ``(F,)`` features: ``Linear(width, width)`` (a residual MLP);
- ``(C, L)`` signals: ``Conv1d(width, width, 3, padding=1)``;
- ``(C, H, W)`` images: ``Conv2d(width, width, 3, padding=1)``.

The inputs trainlab ships are tiny (40 steps, 8x8 pixels), so the network never downsamples:
the width and resolution are constant, and a global average pool feeds the linear head.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.models._layers import parametrized
from trainlab.models._shapes import ALL_KINDS, flat_output_size, require_input_kind
from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.cosine import Head, head_layer
from trainlab.nn.dropout import DropPath
from trainlab.nn.init import ModelInit, apply_init
from trainlab.nn.normalization import NormSpec, make_norm
from trainlab.nn.pooling import PoolSpec, make_pool
from trainlab.registry import MODELS

INPUTS = ALL_KINDS


def _layer(kind: str, in_width: int, out_width: int, bias: bool) -> nn.Module:
    """The weight layer for one input kind: linear for features, a padded 3-wide conv otherwise."""
    if kind == "features":
        return nn.Linear(in_width, out_width, bias=bias)
    conv = nn.Conv1d if kind == "signal" else nn.Conv2d
    return conv(in_width, out_width, kernel_size=3, padding=1, bias=bias)


class ResidualBlock(nn.Module):
    """``x + drop_path(branch(x))`` with a pre-activation branch (He et al. 2016b, Fig. 4e).

    Attributes:
        branch: ``nn.Sequential(norm1, act1, layer1, norm2, act2, layer2)``.
        drop_path: Stochastic depth on the branch (identity when its rate is 0, and at eval).
    """

    def __init__(self, branch: nn.Sequential, drop_path: DropPath | None = None):
        super().__init__()
        self.branch = branch
        self.drop_path = drop_path if drop_path is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.branch(x))


class ResNet(nn.Module):
    """Stem, residual blocks, final norm and activation, pool (global average by default), linear head."""

    def __init__(
        self,
        stem: nn.Module,
        blocks: nn.Sequential,
        norm: nn.Module,
        act: nn.Module,
        head: nn.Module,
        pool: nn.Module | None = None,
    ):
        super().__init__()
        self.stem = stem
        self.blocks = blocks
        self.norm = norm
        self.act = act
        self.pool = pool if pool is not None else nn.Identity()
        self.head = head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened, pooled features the head sees."""
        features = self.act(self.norm(self.blocks(self.stem(x))))
        if features.ndim > 2:
            # Pool over the spatial positions, then flatten: (N, width, *S) -> (N, width * remaining positions).
            features = self.pool(features).flatten(1)
        return features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register(
    "resnet",
    reference="He, Zhang, Ren & Sun 2016, Deep Residual Learning for Image Recognition, arXiv:1512.03385; "
    "He et al. 2016, Identity Mappings in Deep Residual Networks, arXiv:1603.05027 (pre-activation); "
    "Goyal et al. 2017, Accurate, Large Minibatch SGD, arXiv:1706.02677 (zero_init_residual); "
    "Huang et al. 2016, Deep Networks with Stochastic Depth, arXiv:1603.09382 (drop_path)",
    flags={"inputs": INPUTS},
)
def resnet(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    depth: Annotated[int, Field(ge=0)] = 2,
    width: Annotated[int, Field(ge=1)] = 64,
    activation: ActivationSpec = "relu",
    norm: NormSpec = "batch",
    zero_init_residual: bool = False,
    drop_path: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0,
    pool: PoolSpec = "global_avg",
    head: Head = "linear",
    init: ModelInit = None,
) -> nn.Module:
    """A small pre-activation residual network (He et al. 2016) for any input kind.

    ``stem layer -> depth x ResidualBlock -> norm -> act -> global average pool -> linear``.

    Args:
        input_shape: ``(F,)``, ``(C, L)`` or ``(C, H, W)``; chooses linear, conv1d or conv2d layers.
        num_outputs: Width of the linear head.
        depth: Number of residual blocks (two weight layers each); 0 leaves stem and head.
        width: Features (or channels) of every block.
        activation: Activation name or ``{name: ..., **options}``.
        norm: Normalization in each block and before the pool (``"batch"`` as in He et al.).
        zero_init_residual: Zero the last layer of every residual branch, so each block
            starts as the identity (Goyal et al. 2017 zero the scale of the last batch norm in
            each block; in a pre-activation block the branch ends in a layer instead, whose
            weights are zeroed to the same effect). Gradients still reach that layer, so it
            learns from the first step.
        drop_path: Stochastic depth (Huang et al. 2016): the probability of skipping the last
            block's branch for a sample in training. Earlier blocks get linearly smaller rates,
            block l of L skipping with ``drop_path * l / L``, the paper's linear decay rule:
            early features feed everything after them, so they are kept more often.
        pool: Pooling of signals and images before the head (``trainlab catalog poolings``); ignored for
            feature vectors.
        head: The output layer: ``linear``, or ``cosine`` (a :class:`~trainlab.nn.CosineLinear` whose outputs
            are cosines in [-1, 1], for the margin-softmax losses arcface, cosface and sphereface).
        init: Initialization of the weight layers when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's
            defaults. Biases become 0 unless the spec sets ``bias``.

    Returns:
        A ``ResNet`` mapping ``(N, *input_shape)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input has none of the three kinds' ranks.
        ConfigError: the norm does not fit the input (e.g. ``instance`` on feature vectors).
    """
    kind = require_input_kind("resnet", input_shape, INPUTS)
    spatial_dims = len(input_shape) - 1
    final_norm = make_norm(norm, width, spatial_dims)
    # Layers have a bias only when no norm is used: every layer's output reaches a norm (the next
    # block's or the final one) that re-centres it, exactly per channel for batch norm, so a bias
    # adds parameters but little else (torchvision's ResNets omit it for the same reason).
    bias = isinstance(final_norm, nn.Identity)

    blocks = []
    for index in range(depth):
        norm1, norm2 = make_norm(norm, width, spatial_dims), make_norm(norm, width, spatial_dims)
        branch = nn.Sequential(
            OrderedDict(
                norm1=norm1,
                act1=make_activation(activation),
                layer1=parametrized(_layer(kind, width, width, bias), norm1),
                norm2=norm2,
                act2=make_activation(activation),
                layer2=parametrized(_layer(kind, width, width, bias), norm2),
            )
        )
        rate = drop_path * (index + 1) / depth
        blocks.append(ResidualBlock(branch, DropPath(spatial_dims, rate) if rate > 0 else None))
    network = ResNet(
        stem=parametrized(_layer(kind, input_shape[0], width, bias), final_norm),
        blocks=nn.Sequential(*blocks),
        norm=final_norm,
        act=make_activation(activation),
        head=parametrized(head_layer(width, num_outputs, head), final_norm),
        pool=None if kind == "features" else make_pool(pool, spatial_dims),
    )
    pooled = width if kind == "features" else flat_output_size(_Features(network), input_shape)
    if pooled != width:  # a local pool keeps several positions per channel
        network.head = parametrized(head_layer(pooled, num_outputs, head), final_norm)
    apply_init(network, init)
    if zero_init_residual and blocks:
        # After init, so an init spec can't undo it; through the initializer, so it reaches a
        # weight under a parametrization too.
        apply_init(network, "zero_init_residual")
    return network


class _Features(nn.Module):
    """The network up to its head, for measuring the head's input size."""

    def __init__(self, network: ResNet):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network.features(x)
