"""Layers by name: activations, normalization, pooling, the dropout family and initialization."""

from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.cosine import CosineLinear, Head, head_layer
from trainlab.nn.dropout import (
    DROPOUTS,
    DropConnect,
    DropoutSpec,
    DropPath,
    WeightDropout,
    drop_path,
    make_dropout,
)
from trainlab.nn.init import INITS, InitSpec, apply_init
from trainlab.nn.learned_pooling import GatedPool, MixedPool
from trainlab.nn.maxout import Maxout, maxout
from trainlab.nn.normalization import NormSpec, RMSNorm, WeightNorm, make_norm
from trainlab.nn.pooling import POOLINGS, PoolSpec, StochasticPool, make_pool, stochastic_pool

__all__ = [
    "DROPOUTS",
    "INITS",
    "POOLINGS",
    "ActivationSpec",
    "CosineLinear",
    "DropConnect",
    "DropPath",
    "DropoutSpec",
    "GatedPool",
    "Head",
    "InitSpec",
    "Maxout",
    "MixedPool",
    "NormSpec",
    "PoolSpec",
    "RMSNorm",
    "StochasticPool",
    "WeightDropout",
    "WeightNorm",
    "apply_init",
    "drop_path",
    "head_layer",
    "make_activation",
    "make_dropout",
    "make_norm",
    "make_pool",
    "maxout",
    "stochastic_pool",
]
