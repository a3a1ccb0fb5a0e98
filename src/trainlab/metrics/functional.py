"""Metrics as plain functions: information theory (entropy, cross-entropy, KL, JS) and distances.

Distributions are probability vectors along the last dimension; distances are between the rows
of ``x`` and ``y`` (broadcast). Logarithms are natural (nats); pass ``base=2`` for bits.
"""

from __future__ import annotations

import math

import torch

from trainlab.registry import new_registry

FUNCTIONS = new_registry("function")
_WIKI = "https://en.wikipedia.org/wiki/{}"


def _log(p: torch.Tensor, base: float | None) -> torch.Tensor:
    logs = torch.log(p)
    return logs / math.log(base) if base else logs


@FUNCTIONS.register(reference="Shannon 1948, A Mathematical Theory of Communication")
def entropy(p: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Shannon entropy H(p) = -sum p log p (0 log 0 = 0)."""
    return -torch.where(p > 0, p * _log(p, base), torch.zeros_like(p)).sum(-1)


@FUNCTIONS.register(reference=_WIKI.format("Cross-entropy"))
def cross_entropy(p: torch.Tensor, q: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Cross-entropy H(p, q) = -sum p log q."""
    return -torch.where(p > 0, p * _log(q, base), torch.zeros_like(p)).sum(-1)


@FUNCTIONS.register(reference="Kullback & Leibler 1951, On Information and Sufficiency")
def kl_divergence(p: torch.Tensor, q: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Kullback-Leibler divergence KL(p || q) = sum p log(p / q)."""
    return torch.where(p > 0, p * (_log(p, base) - _log(q, base)), torch.zeros_like(p)).sum(-1)


@FUNCTIONS.register(reference="Lin 1991, Divergence Measures Based on the Shannon Entropy")
def js_divergence(p: torch.Tensor, q: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Jensen-Shannon divergence: the mean KL of p and q to their average m = (p + q) / 2."""
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, base) + 0.5 * kl_divergence(q, m, base)


@FUNCTIONS.register(reference=_WIKI.format("Euclidean_distance"))
def euclidean(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean (L2) distance ||x - y||_2."""
    return (x - y).pow(2).sum(-1).sqrt()


@FUNCTIONS.register(reference=_WIKI.format("Taxicab_geometry"))
def manhattan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Manhattan (L1) distance sum |x - y|."""
    return (x - y).abs().sum(-1)


@FUNCTIONS.register(reference=_WIKI.format("Cosine_similarity"))
def cosine(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cosine distance 1 - x.y / (||x|| ||y||)."""
    return 1 - torch.nn.functional.cosine_similarity(x, y, dim=-1, eps=1e-12)


@FUNCTIONS.register(reference="Mahalanobis 1936, On the Generalised Distance in Statistics")
def mahalanobis(x: torch.Tensor, y: torch.Tensor, covariance: torch.Tensor) -> torch.Tensor:
    """Mahalanobis distance sqrt((x - y)^T S^-1 (x - y)) for covariance S."""
    diff = x - y
    solved = torch.linalg.solve(covariance, diff.unsqueeze(-1)).squeeze(-1)
    return (diff * solved).sum(-1).clamp_min(0).sqrt()
