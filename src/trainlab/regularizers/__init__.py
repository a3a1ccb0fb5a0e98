"""Regularizers by name: penalties added to the loss, weight parametrizations, and constraints.

A recipe lists them under ``regularizers:``; each penalty is logged as ``penalty.<name>``.
"""

from trainlab.regularizers import activity, constraints, penalties  # noqa: F401  (registrations)
from trainlab.regularizers._base import REGULARIZERS, Regularizer, weight_parameters
from trainlab.regularizers.activity import ActivityL1, KLSparsity
from trainlab.regularizers.constraints import MaxNorm, SpectralNormParametrization
from trainlab.regularizers.penalties import (
    L1Penalty,
    L2Penalty,
    NuclearNormPenalty,
    OrthogonalityPenalty,
    SpectralPenalty,
)

__all__ = [
    "REGULARIZERS",
    "ActivityL1",
    "KLSparsity",
    "L1Penalty",
    "L2Penalty",
    "MaxNorm",
    "NuclearNormPenalty",
    "OrthogonalityPenalty",
    "Regularizer",
    "SpectralNormParametrization",
    "SpectralPenalty",
    "weight_parameters",
]
