"""Layers by name: activations and normalization (registries ACTIVATIONS and NORMS)."""

from trainlab.nn.activations import ActivationSpec, make_activation
from trainlab.nn.normalization import NormSpec, make_norm

__all__ = ["ActivationSpec", "NormSpec", "make_activation", "make_norm"]
