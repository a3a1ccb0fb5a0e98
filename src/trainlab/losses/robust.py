"""Regression losses that are not squares: log-cosh (smooth, robust) and quantile (pinball)."""

from __future__ import annotations

import math
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

_DENSE_ANY = {"task": "any", "target": "dense"}


@LOSSES.register(
    "log_cosh",
    reference="Chen, Zhang & Duan 2022 (ICLR), Log-cosh loss; Saleh & Saleh 2022, Statistical Properties of the log-cosh Loss Function",
    flags=_DENSE_ANY,
)
class LogCosh(nn.Module):
    """Log-cosh error mean log(cosh(f - y)): quadratic near zero, linear (slope 1) for large errors.

    Computed as |d| + softplus(−2|d|) − log 2, which does not overflow where cosh would.
    """

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        error = (outputs - targets).abs()
        return (error + F.softplus(-2 * error) - math.log(2.0)).mean()


@LOSSES.register(
    "quantile",
    aliases=("pinball",),
    reference="Koenker & Bassett 1978, Regression Quantiles (Econometrica 46)",
    flags=_DENSE_ANY,
)
class QuantileLoss(nn.Module):
    """Quantile (pinball) loss mean max(τ d, (τ − 1) d), d = y − f: its minimizer is the τ-quantile of y.

    Args:
        quantile: τ in (0, 1); 0.5 is half the absolute error (the median).
    """

    def __init__(self, quantile: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5):
        super().__init__()
        self.quantile = quantile

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        error = targets - outputs
        return torch.maximum(self.quantile * error, (self.quantile - 1) * error).mean()
