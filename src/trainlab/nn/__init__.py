"""Layers by name: activations, normalization, pooling, the dropout family and initialization."""

from trainlab.nn._slots import apply_weight_slots
from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.dropout import (
    DROPOUTS,
    DropoutSpec,
    DropPath,
    WeightDropout,
    apply_dropconnect,
    drop_path,
    make_dropout,
)
from trainlab.nn.init import INITS, InitSpec, apply_init
from trainlab.nn.maxout import Maxout, maxout
from trainlab.nn.normalization import NormSpec, RMSNorm, apply_weight_norm, make_norm
from trainlab.nn.pooling import POOLINGS, PoolSpec, StochasticPool, make_pool, stochastic_pool

__all__ = [
    "DROPOUTS",
    "INITS",
    "POOLINGS",
    "ActivationSpec",
    "DropPath",
    "DropoutSpec",
    "InitSpec",
    "Maxout",
    "NormSpec",
    "PoolSpec",
    "RMSNorm",
    "StochasticPool",
    "WeightDropout",
    "apply_dropconnect",
    "apply_weight_slots",
    "apply_init",
    "apply_weight_norm",
    "drop_path",
    "make_activation",
    "make_dropout",
    "make_norm",
    "make_pool",
    "maxout",
    "stochastic_pool",
]
