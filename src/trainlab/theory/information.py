"""Information measures beyond entropy and KL: self-information, joint and conditional entropy, mutual information.

A joint distribution is a table ``joint[x, y]`` of probabilities (rows are X, columns Y) that sums
to 1; :func:`joint_distribution` makes one from paired discrete samples. Continuous variables get
two estimators of mutual information: a histogram (binning, then the discrete formula) and the
k-nearest-neighbour estimator of Kraskov, Stögbauer & Grassberger. Logarithms are natural (nats);
pass ``base=2`` for bits. Entropy, cross-entropy, KL and JS live beside the distances in
:mod:`trainlab.metrics.functional`.
"""

from __future__ import annotations

import math

import torch

from trainlab.metrics.functional import FUNCTIONS, entropy

_COVER_THOMAS = "Cover & Thomas 2006, Elements of Information Theory, ch. 2"


@FUNCTIONS.register(reference=_COVER_THOMAS + " (self-information, surprisal)")
def self_information(p: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Self-information (surprisal) I(x) = -log p(x) of an outcome of probability p."""
    information = -torch.log(p)
    return information / math.log(base) if base else information


@FUNCTIONS.register(reference=_COVER_THOMAS + ".2 (joint entropy)")
def joint_entropy(joint: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Joint entropy H(X, Y) = -sum p(x, y) log p(x, y) of a joint table (last two dims)."""
    return entropy(joint.flatten(-2), base)


@FUNCTIONS.register(reference=_COVER_THOMAS + ".2 (conditional entropy, chain rule)")
def conditional_entropy(joint: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Conditional entropy H(Y | X) = H(X, Y) - H(X) of a joint table whose rows are X."""
    return joint_entropy(joint, base) - entropy(joint.sum(-1), base)


@FUNCTIONS.register(reference=_COVER_THOMAS + ".4 (mutual information)")
def mutual_information(joint: torch.Tensor, base: float | None = None) -> torch.Tensor:
    """Mutual information I(X; Y) = H(X) + H(Y) - H(X, Y) of a joint table (rows X, columns Y)."""
    return entropy(joint.sum(-1), base) + entropy(joint.sum(-2), base) - joint_entropy(joint, base)


def joint_distribution(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The empirical joint table of paired discrete samples: rows are x's distinct values, columns y's, sorted."""
    _, x_codes = torch.unique(x, return_inverse=True)
    _, y_codes = torch.unique(y, return_inverse=True)
    rows, columns = int(x_codes.max()) + 1, int(y_codes.max()) + 1
    counts = torch.bincount(x_codes * columns + y_codes, minlength=rows * columns)
    return counts.reshape(rows, columns).double() / len(x)


@FUNCTIONS.register(
    reference="Moon, Rajagopalan & Lall 1995, Estimation of mutual information using kernel density estimators (histogram baseline)"
)
def mutual_information_histogram(
    x: torch.Tensor, y: torch.Tensor, bins: int = 10, base: float | None = None
) -> torch.Tensor:
    """Mutual information of two continuous 1-D samples by binning each into ``bins`` equal-width bins."""
    return mutual_information(joint_distribution(_bin(x, bins), _bin(y, bins)), base)


def _bin(values: torch.Tensor, bins: int) -> torch.Tensor:
    """Equal-width bin index of each value over [min, max], the last bin closed (as numpy.histogram)."""
    low, high = values.min(), values.max()
    width = (high - low).clamp_min(torch.finfo(values.dtype).tiny)
    return ((values - low) / width * bins).floor().clamp(max=bins - 1).long()


@FUNCTIONS.register(
    reference="Kraskov, Stögbauer & Grassberger 2004, Estimating mutual information, Phys. Rev. E 69 (estimator 1)"
)
def mutual_information_knn(
    x: torch.Tensor, y: torch.Tensor, k: int = 3, base: float | None = None
) -> torch.Tensor:
    """Mutual information of continuous samples by the k-nearest-neighbour (KSG) estimator.

    I = ψ(k) + ψ(N) - <ψ(n_x + 1) + ψ(n_y + 1)>, where ε_i is the max-norm distance from sample i to
    its k-th neighbour in the joint space and n_x(i) counts the samples strictly closer than ε_i in x
    alone. Samples are rows (a 1-D tensor is one variable); memory is N² (a few thousand samples).
    """
    x, y = _as_rows(x), _as_rows(y)
    n = len(x)
    x_distances = torch.cdist(x, x, p=math.inf)
    y_distances = torch.cdist(y, y, p=math.inf)
    joint = torch.maximum(x_distances, y_distances)
    joint.fill_diagonal_(math.inf)
    radius = joint.kthvalue(k, dim=1).values.unsqueeze(1)
    # Counting includes the sample itself (distance 0), so n + 1 of the formula is the count.
    x_counts = (x_distances < radius).sum(1).double()
    y_counts = (y_distances < radius).sum(1).double()
    digamma = torch.special.digamma
    information = (
        digamma(torch.tensor(float(k), dtype=torch.float64))
        + digamma(torch.tensor(float(n), dtype=torch.float64))
        - (digamma(x_counts) + digamma(y_counts)).mean()
    )
    return information / math.log(base) if base else information


def _as_rows(values: torch.Tensor) -> torch.Tensor:
    return values.double().reshape(len(values), -1)
