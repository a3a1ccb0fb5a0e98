"""Weight penalties added to the loss: L1, L2, nuclear norm, orthogonality and spectral norm."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.regularizers._base import REGULARIZERS, as_matrix, weight_parameters

Strength = Annotated[float, Field(ge=0.0)]


class _WeightPenalty:
    """strength * sum over the weights whose names match ``pattern`` of ``term(weight)``."""

    def __init__(self, strength: float, pattern: str = "*", include_bias: bool = False):
        self.strength = strength
        self.pattern = pattern
        self.include_bias = include_bias
        self._params: list[nn.Parameter] | None = None

    def attach(self, model: nn.Module) -> None:
        self._params = weight_parameters(model, self.pattern, self.include_bias)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, model: nn.Module) -> torch.Tensor:
        params = (
            self._params
            if self._params is not None
            else weight_parameters(model, self.pattern, self.include_bias)
        )
        if not params:
            return torch.zeros((), device=next(model.parameters()).device)
        return self.strength * torch.stack([self.term(p) for p in params]).sum()


@REGULARIZERS.register("l1", reference="Tibshirani 1996, Regression Shrinkage and Selection via the Lasso")
class L1Penalty(_WeightPenalty):
    """L1 penalty strength * sum |w| on weights: drives weights to exactly zero (sparsity).

    Args:
        strength: Penalty coefficient lambda.
        pattern: Shell-style pattern on parameter names (``'linear*'``); default every weight.
        include_bias: Penalize biases and norm parameters too.
    """

    def __init__(self, strength: Strength = 1e-5, pattern: str = "*", include_bias: bool = False):
        super().__init__(strength, pattern, include_bias)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.abs().sum()


@REGULARIZERS.register(
    "l2",
    reference="Hoerl & Kennard 1970, Ridge Regression; Loshchilov & Hutter 2019, Decoupled Weight Decay "
    "Regularization, arXiv:1711.05101 (why it differs from decoupled weight decay)",
)
class L2Penalty(_WeightPenalty):
    """L2 penalty strength/2 * sum w^2 added to the loss; unlike decoupled weight decay, adaptive optimizers rescale it.

    Its gradient is strength * w: coupled weight decay, which Adam's scaling then divides.

    Args:
        strength: Penalty coefficient lambda (its gradient is lambda * w).
        pattern: Shell-style pattern on parameter names; default every weight.
        include_bias: Penalize biases and norm parameters too.
    """

    def __init__(self, strength: Strength = 1e-4, pattern: str = "*", include_bias: bool = False):
        super().__init__(strength, pattern, include_bias)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        return 0.5 * weight.pow(2).sum()


@REGULARIZERS.register(
    "nuclear",
    aliases=("nuclear_norm",),
    reference="Fazel 2002, Matrix Rank Minimization with Applications (PhD thesis, Stanford)",
)
class NuclearNormPenalty(_WeightPenalty):
    """Nuclear-norm penalty: strength * sum of singular values of each weight matrix (favours low rank).

    Args:
        strength: Penalty coefficient.
        pattern: Shell-style pattern on parameter names; default every weight (conv kernels as (out, in*k)).
    """

    def __init__(self, strength: Strength = 1e-4, pattern: str = "*"):
        super().__init__(strength, pattern)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        return torch.linalg.matrix_norm(as_matrix(weight), ord="nuc")


@REGULARIZERS.register(
    "orthogonality",
    reference="Brock, Lim, Ritchie & Weston 2017, Neural Photo Editing with Introspective Adversarial Networks, "
    "arXiv:1609.07093 (orthogonal regularization)",
)
class OrthogonalityPenalty(_WeightPenalty):
    """Orthogonality penalty strength * ||W W^T - I||_F^2, over the smaller side of each weight matrix.

    Args:
        strength: Penalty coefficient.
        pattern: Shell-style pattern on parameter names; default every weight.
    """

    def __init__(self, strength: Strength = 1e-4, pattern: str = "*"):
        super().__init__(strength, pattern)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        matrix = as_matrix(weight)
        if matrix.shape[0] > matrix.shape[1]:
            matrix = matrix.T
        gram = matrix @ matrix.T
        return (gram - torch.eye(gram.shape[0], device=gram.device, dtype=gram.dtype)).pow(2).sum()


@REGULARIZERS.register(
    "spectral_penalty",
    reference="Yoshida & Miyato 2017, Spectral Norm Regularization for Improving the Generalizability of "
    "Deep Learning, arXiv:1705.10941",
)
class SpectralPenalty(_WeightPenalty):
    """Spectral-norm penalty strength/2 * sum sigma_max(W)^2 over weight matrices.

    Args:
        strength: Penalty coefficient.
        pattern: Shell-style pattern on parameter names; default every weight.
    """

    def __init__(self, strength: Strength = 1e-4, pattern: str = "*"):
        super().__init__(strength, pattern)

    def term(self, weight: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.linalg.matrix_norm(as_matrix(weight), ord=2).pow(2)
