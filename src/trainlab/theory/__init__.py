"""Theory made computable: information measures, distances, weight norms, curvature and checked derivations.

Every measure is also a ``function`` entry of the catalog (``trainlab catalog functions``), beside
entropy, cross-entropy, KL, JS and the distances of :mod:`trainlab.metrics.functional`, which are
re-exported here so that ``trainlab.theory`` holds them all.
"""

from trainlab.metrics.functional import (
    cosine,
    cross_entropy,
    entropy,
    euclidean,
    js_divergence,
    kl_divergence,
    mahalanobis,
    manhattan,
)
from trainlab.theory.cross_entropy_identity import categorical_fit, decompose, run_identities
from trainlab.theory.curvature import hessian_spectrum, lanczos, run_curvature
from trainlab.theory.distances import chebyshev, correlation, hamming, jaccard, minkowski
from trainlab.theory.information import (
    conditional_entropy,
    joint_distribution,
    joint_entropy,
    mutual_information,
    mutual_information_histogram,
    mutual_information_knn,
    self_information,
)
from trainlab.theory.norms import model_norms, tensor_norms

__all__ = [
    "categorical_fit",
    "chebyshev",
    "conditional_entropy",
    "correlation",
    "cosine",
    "cross_entropy",
    "decompose",
    "entropy",
    "euclidean",
    "hamming",
    "hessian_spectrum",
    "jaccard",
    "joint_distribution",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "lanczos",
    "mahalanobis",
    "manhattan",
    "minkowski",
    "model_norms",
    "mutual_information",
    "mutual_information_histogram",
    "mutual_information_knn",
    "run_curvature",
    "run_identities",
    "self_information",
    "tensor_norms",
]
