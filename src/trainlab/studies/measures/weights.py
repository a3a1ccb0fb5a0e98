"""Measurements of the trained weights: sparsity, norm, effective rank and condition number."""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Annotated

from pydantic import Field

from trainlab.errors import TrainlabError
from trainlab.studies.measures._run_files import matrix, weight_tensors
from trainlab.studies.registries import MEASURES


def _matching(run_dir: Path, pattern: str) -> list[object]:
    tensors = weight_tensors(run_dir)
    chosen = [tensor for name, tensor in sorted(tensors.items()) if fnmatch.fnmatchcase(name, pattern)]
    if not chosen:
        raise TrainlabError(
            f"measure.pattern: '{pattern}' matches no saved weight of '{run_dir}' "
            f"(saved: {', '.join(sorted(tensors)[:8])})"
        )
    return chosen


@MEASURES.register(
    "weight_sparsity",
    reference="Tibshirani 1996, Regression Shrinkage and Selection via the Lasso (exact zeros under L1)",
)
class WeightSparsity:
    """The fraction of weights whose magnitude is at most ``threshold`` (0: exactly zero)."""

    def __init__(self, pattern: str = "*weight", threshold: Annotated[float, Field(ge=0.0)] = 0.0):
        """Options of the measure.

        Args:
            pattern: Shell pattern over the saved tensors' names (``*weight``: every weight, no biases).
            threshold: Magnitudes at or below it count as zero.
        """
        self.pattern, self.threshold = pattern, threshold

    def __call__(self, run_dir: Path) -> float:
        import torch

        tensors = _matching(run_dir, self.pattern)
        flat = torch.cat([t.reshape(-1).double() for t in tensors])  # type: ignore[attr-defined]
        return float((flat.abs() <= self.threshold).double().mean())


@MEASURES.register(
    "weight_norm",
    reference="Krogh & Hertz 1992, A Simple Weight Decay Can Improve Generalization (NIPS 4)",
)
class WeightNorm:
    """The L2 (Frobenius) norm of the matching weights taken together."""

    def __init__(self, pattern: str = "*weight"):
        """Options of the measure.

        Args:
            pattern: Shell pattern over the saved tensors' names.
        """
        self.pattern = pattern

    def __call__(self, run_dir: Path) -> float:
        squares = [float((t.double() ** 2).sum()) for t in _matching(run_dir, self.pattern)]  # type: ignore[attr-defined]
        return math.sqrt(math.fsum(squares))


@MEASURES.register(
    "effective_rank",
    reference="Roy & Vetterli 2007, The Effective Rank: A Measure of Effective Dimensionality (EUSIPCO)",
)
class EffectiveRank:
    """exp of the entropy of a weight matrix's normalized singular values (Roy & Vetterli 2007)."""

    def __init__(self, parameter: str):
        """Options of the measure.

        Args:
            parameter: The saved weight's name, e.g. ``linear1.weight``.
        """
        self.parameter = parameter

    def __call__(self, run_dir: Path) -> float:
        import torch

        singular = torch.linalg.svdvals(matrix(run_dir, self.parameter))
        p = singular / singular.sum()
        p = p[p > 0]
        return float(torch.exp(-(p * p.log()).sum()))


@MEASURES.register(
    "condition_number",
    reference="Golub & Van Loan 2013, Matrix Computations (4th ed.), sec. 2.6: the 2-norm condition number",
)
class ConditionNumber:
    """The largest over the smallest singular value of a weight matrix (inf when it is singular)."""

    def __init__(self, parameter: str):
        """Options of the measure.

        Args:
            parameter: The saved weight's name, e.g. ``linear1.weight``.
        """
        self.parameter = parameter

    def __call__(self, run_dir: Path) -> float:
        import torch

        singular = torch.linalg.svdvals(matrix(run_dir, self.parameter))
        smallest = float(singular.min())
        return float(singular.max()) / smallest if smallest > 0 else math.inf
